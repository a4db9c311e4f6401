"""The Flask twin answers every request exactly as the Quart app does, and reads like it."""

from __future__ import annotations

import inspect
from types import ModuleType

import pytest
from flask import Flask
from flask.testing import FlaskClient
from quart import Quart
from quart.testing import QuartClient

from greeter import process, views
from greeter.flask_twin import process as twin_process
from greeter.flask_twin import views as twin_views

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


def test_same_rules_and_view_names(app: Quart, flask_app: Flask) -> None:
    def rules(some_app: Quart | Flask) -> set[tuple[str, str, frozenset[str]]]:
        return {(rule.rule, rule.endpoint, frozenset(rule.methods or ())) for rule in some_app.url_map.iter_rules()}

    # the one rule only the Quart app has: the twin has no live stream (an intended difference)
    stream = ("/process/stream", "process.process_stream", frozenset({"GET", "HEAD", "OPTIONS"}))
    assert rules(app) == rules(flask_app) | {stream}


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
