"""The Flask twin answers every request exactly as the Quart app does, and reads like it."""

from __future__ import annotations

import inspect
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from quart import Quart
from quart.testing import QuartClient

from greeter import process, views
from greeter.flask_twin import process as twin_process
from greeter.flask_twin import views as twin_views
from greeter.shared.paths import PACKAGE_DIR

PATHS = [
    "/", "/?x=1", "/index", "/index/", "/index?x=1",
    "/hello", "/hello/", "/hello?x=1&y=%C3%A9", "/hello/?x=1",
    "/hello/Scott", "/hello/Scott/", "/hello/Scott?x=1", "/hello/%3Cb%3E", "/hello/%E2%82%AC", "/hello/%F0%9F%98%80",
    "/hello/%ZZ", "/hello/%FF", "/hello/a%2Fb", "/hello/..",
    "/hail", "/hail/", "/hail/?x=1", "/greet", "/greet/", "/greet?x=1",
    "/HELLO/", "/nope", "/hello//Scott", "/hello/./Scott",
    "/wait/0", "/wait/0.01", "/wait", "/wait/", "/wait/abc", "/wait/-1", "/wait/nan", "/wait/1e1", "/wait/11",
]  # fmt: skip
# not here: paths starting with //, which Flask's test client reads as a host name (//hello/ is host "hello");
# both real servers treat them alike, and `greeter compare` sends them over HTTP
METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("path", PATHS)
async def test_same_response(client: QuartClient, flask_client: FlaskClient, method: str, path: str) -> None:
    quart_response = await client.open(path, method=method)
    flask_response = flask_client.open(path, method=method)
    quart_body = await quart_response.get_data()
    # Werkzeug drops a HEAD body inside the app, Quart leaves that to the server (Hypercorn does it):
    # the wire is the same, and tests/test_serving.py checks it there
    if method == "HEAD":
        assert flask_response.data == b""
        quart_body = b""
    assert quart_response.status_code == flask_response.status_code
    assert quart_response.headers.get("Location") == flask_response.headers.get("Location")
    assert quart_response.content_type == flask_response.content_type
    assert _allowed(quart_response.headers.get("Allow")) == _allowed(flask_response.headers.get("Allow"))
    assert quart_body == flask_response.data


def _allowed(allow: str | None) -> set[str] | None:
    return None if allow is None else set(allow.split(", "))


Rule = tuple[str, str, frozenset[str]]
# the one rule only the Quart app has: the twin has no live stream (an intended difference)
STREAM: Rule = ("/process/stream", "process.process_stream", frozenset({"GET", "HEAD", "OPTIONS"}))
ADDED_BY_ROUTING = {"HEAD", "OPTIONS"}  # every rule answers these as well as the methods it names


def rules(some_app: Quart | Flask) -> set[Rule]:
    return {(rule.rule, rule.endpoint, frozenset(rule.methods or ())) for rule in some_app.url_map.iter_rules()}


def the_other_file(path: Path) -> Path:
    """A view's file in the other app: greeter/views.py and greeter/flask_twin/views.py are twins."""
    relative = path.resolve().relative_to(PACKAGE_DIR)
    twin = relative.relative_to("flask_twin") if relative.parts[0] == "flask_twin" else Path("flask_twin", relative)
    return PACKAGE_DIR / twin


def shown(path: Path) -> str:
    return str(path.relative_to(PACKAGE_DIR.parent))


def missing_twin(rule: Rule, has_it: Quart | Flask) -> str:
    """One sentence: the file a rule of one app only must go into, and what to write there."""
    path, endpoint, methods = rule
    view = has_it.view_functions[endpoint]
    where = Path(inspect.getsourcefile(view) or view.__code__.co_filename)
    name = endpoint.rpartition(".")[2]
    parameters = ", ".join(inspect.signature(view).parameters)
    named = sorted(methods - ADDED_BY_ROUTING)
    route = f'@bp.route("{path}")' if named == ["GET"] else f'@bp.route("{path}", methods={named!r})'.replace("'", '"')
    if isinstance(has_it, Quart):
        what = f"a def {name}({parameters}) with {route}, the synchronous twin of {shown(where)}'s"
    else:
        what = f"an async def {name}({parameters}) with {route}, the async twin of {shown(where)}'s"
    return f"{shown(the_other_file(where))} has no view for {path} ({endpoint}): add {what}."


def missing_twins(app: Quart, flask_app: Flask) -> list[str]:
    """A sentence for each rule that only one of the two apps has (the live stream aside)."""
    quart_rules, flask_rules = rules(app) - {STREAM}, rules(flask_app)
    return [missing_twin(rule, app) for rule in sorted(quart_rules - flask_rules)] + [
        missing_twin(rule, flask_app) for rule in sorted(flask_rules - quart_rules)
    ]


def test_same_rules_and_view_names(app: Quart, flask_app: Flask) -> None:
    assert STREAM in rules(app)
    if problems := missing_twins(app, flask_app):
        pytest.fail(" ".join(problems), pytrace=False)  # the sentences alone: what to do, not a set difference


def student_view(path: Path, source: str) -> Any:
    """A view as if written at the end of one of the package's files (its code names that file)."""
    namespace: dict[str, Any] = {}
    exec(compile(source, str(path), "exec"), namespace)
    return next(value for name, value in namespace.items() if not name.startswith("__"))


def test_a_page_added_to_one_app_only_is_one_sentence_saying_where_it_goes(app: Quart, flask_app: Flask) -> None:
    # names no student's page has: the sentences are checked among those of whatever pages the apps have now
    farewell = student_view(PACKAGE_DIR / "views.py", "async def farewell_g20(name):\n    return name\n")
    app.add_url_rule("/farewell-g20/<name>", "greetings.farewell_g20", farewell)
    assert (
        "greeter/flask_twin/views.py has no view for /farewell-g20/<name> (greetings.farewell_g20): add a def"
        ' farewell_g20(name) with @bp.route("/farewell-g20/<name>"), the synchronous twin of greeter/views.py\'s.'
    ) in missing_twins(app, flask_app)
    # and the other way round, with methods of its own
    sign = student_view(PACKAGE_DIR / "flask_twin" / "views.py", "def sign_g20(name, message):\n    return name\n")
    flask_app.add_url_rule("/sign-g20/<name>/<message>", "greetings.sign_g20", sign, methods=["POST"])
    assert (
        "greeter/views.py has no view for /sign-g20/<name>/<message> (greetings.sign_g20): add an async def"
        ' sign_g20(name, message) with @bp.route("/sign-g20/<name>/<message>", methods=["POST"]), the async twin'
        " of greeter/flask_twin/views.py's."
    ) in missing_twins(app, flask_app)


@pytest.mark.parametrize(
    ("module", "twin", "name"),
    [
        *((views, twin_views, name) for name in ["hello_world", "greeting", "custom_greeting", "hail", "greet"]),
        *((process, twin_process, name) for name in ["process_page", "wait", "init_app", "figures", "process_of"]),
    ],
)
def test_same_names_async_and_sync(module: ModuleType, twin: ModuleType, name: str) -> None:
    function, twin_function = getattr(module, name), getattr(twin, name)
    assert inspect.isfunction(twin_function) and not inspect.iscoroutinefunction(twin_function)
    if name.endswith(("_of", "init_app", "figures")):
        assert not inspect.iscoroutinefunction(function)  # set-up and helpers are plain on both sides
    else:
        assert inspect.iscoroutinefunction(function)
