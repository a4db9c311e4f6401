"""The corpus made from a Flask app's URL map: each converter's sample, every method, the slash variants, static
files, a path no rule matches, and what cannot be built said, not guessed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Blueprint, Flask
from quart import Quart
from werkzeug.routing import BaseConverter, ValidationError

from greeter.tools.compare.url_map import NO_SUCH_PATH, converter_samples, derive_corpus


class ColourConverter(BaseConverter):
    """A custom converter with a sample of its own."""

    regex = "red|green"
    sample = ("red", "green")


class YearConverter(BaseConverter):
    """No sample: it takes greeter's standard integer sample, 1, which its to_url writes with four digits."""

    regex = r"\d{4}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: Any) -> str:
        return f"{int(value):04d}"


class NothingFitsConverter(BaseConverter):
    regex = "[A-Z]{5}"

    def to_python(self, value: str) -> str:
        raise ValidationError


def view(**values: Any) -> str:
    return "x"


def app_with_rules(tmp_path: Path) -> Flask:
    static = tmp_path / "static"
    (static / "css").mkdir(parents=True)
    (static / "css" / "site.css").write_text("body {}")
    (static / "app.js").write_text("")
    (static / ".hidden").write_text("")
    app = Flask(__name__, static_folder=str(static))
    app.url_map.converters.update(colour=ColourConverter, year=YearConverter, nothing=NothingFitsConverter)
    app.add_url_rule("/", "index", view)
    app.add_url_rule("/hello/<name>", "hello", view)
    app.add_url_rule("/items/<int(min=3, max=9):item>/", "item", view, methods=["GET", "POST", "DELETE"])
    app.add_url_rule("/price/<float:value>", "price", view)
    app.add_url_rule("/files/<path:where>", "files", view)
    app.add_url_rule("/orders/<uuid:order>", "order", view)
    app.add_url_rule("/pages/<any(about, help):page>", "page", view)
    app.add_url_rule("/paint/<colour:colour>", "paint", view)
    app.add_url_rule("/archive/<year:year>", "archive", view)
    app.add_url_rule("/codes/<nothing:code>", "codes", view)
    app.add_url_rule("/login", "login_form", view, methods=["GET"])
    app.add_url_rule("/login", "login", view, methods=["POST"])
    app.add_url_rule("/feed", "feed", view, methods=["GET", "PROPFIND"])
    app.add_url_rule("/admin", "admin", view, subdomain="admin")
    shop = Blueprint("shop", __name__, static_folder=str(static / "css"), static_url_path="/shop/static")
    app.register_blueprint(shop)
    return app


@pytest.fixture
def corpus(tmp_path: Path) -> dict[str, list[str]]:
    derived = derive_corpus(app_with_rules(tmp_path), "site:app")
    assert derived.source == "the URL map of site:app"
    methods: dict[str, list[str]] = {}
    for case in derived.cases:
        methods.setdefault(case.target, []).append(case.method)
    assert len({(case.method, case.target) for case in derived.cases}) == len(derived.cases)  # none twice
    methods["notes"] = list(derived.notes)
    return methods


def test_every_rule_with_its_methods_and_one_it_refuses(corpus: dict[str, list[str]]) -> None:
    assert corpus["/"] == ["GET", "HEAD", "OPTIONS", "POST"]  # POST: a method the rule does not take, a 405
    assert corpus["/items/3/"] == ["GET", "HEAD", "POST", "DELETE", "OPTIONS", "PUT"]
    # two rules, one path: every method of both, as a browser meets them
    assert corpus["/login"] == ["GET", "HEAD", "POST", "OPTIONS", "PUT"]
    assert corpus["/feed"] == ["GET", "HEAD", "OPTIONS", "PROPFIND", "POST"]


def test_each_converter_has_a_sample(corpus: dict[str, list[str]]) -> None:
    for target in (
        "/hello/sample",
        "/items/3/",  # within min and max
        "/price/1.5",
        "/files/a/b",
        "/orders/12345678-1234-5678-1234-567812345678",
        "/pages/about",  # each item of any
        "/pages/help",
        "/paint/red",  # a custom converter's own samples
        "/paint/green",
        "/archive/0001",  # the standard sample, through its to_url
    ):
        assert target in corpus, target


def test_the_trailing_slash_variants(corpus: dict[str, list[str]]) -> None:
    assert corpus["/hello/sample/"] == corpus["/items/3"] == ["GET", "HEAD"]
    assert "//" not in corpus  # the root has none


def test_static_files_and_a_path_that_matches_nothing(corpus: dict[str, list[str]]) -> None:
    for target in ("/static/app.js", "/static/css/site.css", "/static/greeter-compare-no-such-file.txt"):
        assert corpus[target][:2] == ["GET", "HEAD"], target
    assert "/static/.hidden" not in corpus
    assert "/shop/static/site.css" in corpus  # a blueprint's own static folder
    assert corpus[NO_SUCH_PATH] == ["GET", "HEAD"]


def test_what_cannot_be_built_is_said(corpus: dict[str, list[str]]) -> None:
    assert corpus["notes"] == [
        "/codes/<nothing:code>: left out, as no sample fits its converter NothingFitsConverter for <code> (give"
        " NothingFitsConverter a `sample` attribute, or write the rule's cases in a corpus file)",
        "/admin: a rule for a host or subdomain, left out (write its cases in a corpus file)",
    ]


def test_a_rule_only_the_quart_app_has_is_said(tmp_path: Path) -> None:
    flask_app, quart_app = Flask(__name__), Quart(__name__)
    flask_app.add_url_rule("/", "index", view)
    quart_app.add_url_rule("/", "index", view)
    quart_app.add_url_rule("/stream", "stream", view)
    derived = derive_corpus(flask_app, "a:app", quart_app)
    assert derived.notes == ("/stream: only in the Quart app's URL map, not sent (the corpus is the Flask app's)",)


def test_a_sample_must_fit_the_converters_own_rules() -> None:
    app = Flask(__name__)
    rule = app.url_map.converters["int"](app.url_map, min=10)
    assert converter_samples(rule) == [10]
    assert converter_samples(app.url_map.converters["int"](app.url_map, max=0)) == [0]
    assert converter_samples(app.url_map.converters["string"](app.url_map, length=1)) == ["x"]
