"""`greeter compare`: a corpus sent to a Flask app and its Quart port (greeter's own pair by default), every answer
compared, and the table or JSON printed."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from flask import Flask
from quart import Quart

from greeter.shared.errors import GreeterError
from greeter.tools.compare import report
from greeter.tools.compare.comparison import Comparison, compare_in_process, compare_over_http
from greeter.tools.compare.corpus import CORPUS_TOML, Corpus, load_corpus
from greeter.tools.compare.differences import differences_markdown
from greeter.tools.compare.url_map import derive_corpus
from greeter.tools.servers import (
    ServerSpec,
    all_running,
    greeter_on_hypercorn,
    twin_on_werkzeug,
    user_flask_on_werkzeug,
    user_quart_on_hypercorn,
)
from greeter.tools.user_apps import load_flask_app, load_quart_app

GREETERS_CORPUS = "greeter's corpus.toml"


class OptionsApart(GreeterError):
    """--flask without --quart, or the other way: one sentence, exit status 2."""


@dataclass(frozen=True)
class Pair:
    """The two apps compared: how each is served, how each is made in-process, and what each is called."""

    flask_server: Callable[[], ServerSpec]
    quart_server: Callable[[], ServerSpec]
    flask_app: Callable[[], Flask]
    quart_app: Callable[[], Quart]
    in_process_names: tuple[str, str]
    corpus: Callable[[], Corpus]  # when no --corpus is given
    flask_shown: str  # the Flask app, named as its URL map's corpus is: `flask_app:create_app()`


def run_compare(
    *,
    flask: str | None = None,
    quart: str | None = None,
    corpus_path: Path | None = None,
    as_json: bool = False,
    only_differences: bool = False,
    in_process: bool = False,
    list_differences: bool = False,
) -> int:
    """Print the comparison (or the intended differences); the exit status: 1 on any MISMATCH, else 0.

    A mistake in what was given (an app that does not load, a corpus file that cannot be read) is a GreeterError."""
    pair = _pair(flask, quart)
    corpus = pair.corpus() if corpus_path is None else load_corpus(corpus_path)
    if corpus.url_map:
        corpus = corpus.with_cases_first(derive_corpus(pair.flask_app(), pair.flask_shown, pair.quart_app()))
    if list_differences:
        print(differences_markdown(corpus.intended, corpus.masks, corpus.cases), end="")
        return 0
    comparison = asyncio.run(_compare(pair, corpus, in_process=in_process))
    if as_json:
        print(json.dumps(report.as_json(comparison, only_differences=only_differences), indent=2, ensure_ascii=False))
    else:
        print(report.text(comparison, only_differences=only_differences))
    return 1 if comparison.failed else 0


def _pair(flask: str | None, quart: str | None) -> Pair:
    if flask is None and quart is None:
        return _greeters_pair()
    if flask is None or quart is None:
        given, missing = ("--flask", "--quart") if quart is None else ("--quart", "--flask")
        raise OptionsApart(
            f"{given} needs {missing} too: give both (--flask MODULE:APP --quart MODULE:APP), or neither to compare"
            " greeter's own two apps."
        )
    flask_app = load_flask_app(flask)
    quart_app = load_quart_app(quart)
    return Pair(
        flask_server=lambda: user_flask_on_werkzeug(flask_app),
        quart_server=lambda: user_quart_on_hypercorn(quart_app),
        flask_app=lambda: flask_app.app,
        quart_app=lambda: quart_app.app,
        in_process_names=(
            f"{flask_app.shown} through Flask's test client",
            f"{quart_app.shown} through Quart's test client",
        ),
        corpus=lambda: derive_corpus(flask_app.app, flask_app.shown, quart_app.app),
        flask_shown=flask_app.shown,
    )


def _greeters_pair() -> Pair:
    def flask_app() -> Flask:
        from greeter.flask_twin import create_flask_app  # looked up when called: a test may replace it

        return create_flask_app()

    def quart_app() -> Quart:
        from greeter import create_app

        return create_app()

    def corpus() -> Corpus:
        loaded = load_corpus(CORPUS_TOML)
        return Corpus(GREETERS_CORPUS, loaded.cases, loaded.intended, loaded.masks, loaded.notes)

    return Pair(
        flask_server=twin_on_werkzeug,
        quart_server=greeter_on_hypercorn,
        flask_app=flask_app,
        quart_app=quart_app,
        in_process_names=("the Flask twin through Flask's test client", "the Quart app through Quart's test client"),
        corpus=corpus,
        flask_shown="greeter.flask_twin:create_flask_app()",
    )


async def _compare(pair: Pair, corpus: Corpus, *, in_process: bool) -> Comparison:
    if in_process:
        return await compare_in_process(corpus, pair.flask_app(), pair.quart_app(), pair.in_process_names)
    with all_running(pair.flask_server(), pair.quart_server(), every_warning=True) as (twin, quart):
        return await compare_over_http(corpus, twin, quart)
