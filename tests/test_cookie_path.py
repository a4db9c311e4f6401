"""Cookies stay under the app's prefix, in both apps: on a course server every student shares one origin.

A cookie with Path=/ (Werkzeug's default for set_cookie, and the session's) would go with every request to every
classmate's app; under /~ann/greeter each cookie's path is put under the prefix, as url_for's URLs are.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask import Response as FlaskResponse
from flask import make_response as flask_make_response
from flask import session as flask_session
from quart import Quart
from quart import Response as QuartResponse
from quart import make_response as quart_make_response
from quart import session as quart_session
from quart.testing import QuartClient
from werkzeug.datastructures import Headers

from greeter import create_app
from greeter.flask_twin import create_flask_app
from greeter.shared.cookie_path import cookie_path_under, scope_cookies

CONFIG = {"TESTING": True, "PROXY_HOPS": 1, "SECRET_KEY": "test only"}
UNDER_ANN = {"X-Forwarded-Prefix": "/~ann/greeter", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "course.example"}


def quart_app_setting_cookies() -> Quart:
    """The Quart app with the three ways a student sets a cookie: the session, make_response, a Response."""
    app = create_app(CONFIG)

    @app.route("/test-cookie-path/remember/")
    async def remember() -> QuartResponse:
        quart_session["visits"] = 1
        response = await quart_make_response("remembered")
        assert isinstance(response, QuartResponse)  # a string makes Quart's own Response
        response.set_cookie("theme", "dark")
        response.set_cookie("hello_seen", "1", path="/hello/")
        response.delete_cookie("old")
        return response

    @app.route("/test-cookie-path/plain/")
    async def plain() -> QuartResponse:
        response = QuartResponse("plain")
        response.set_cookie("plain", "1", httponly=True)
        return response

    return app


def flask_app_setting_cookies() -> Flask:
    """The twin with the same three, synchronous."""
    app = create_flask_app(CONFIG)

    @app.route("/test-cookie-path/remember/")
    def remember() -> FlaskResponse:
        flask_session["visits"] = 1
        response = flask_make_response("remembered")
        response.set_cookie("theme", "dark")
        response.set_cookie("hello_seen", "1", path="/hello/")
        response.delete_cookie("old")
        return response

    @app.route("/test-cookie-path/plain/")
    def plain() -> FlaskResponse:
        response = FlaskResponse("plain")
        response.set_cookie("plain", "1", httponly=True)
        return response

    return app


async def set_cookies(make: Callable[[], Quart | Flask], path: str, headers: dict[str, str]) -> dict[str, str]:
    """Each cookie's name and its Path, as the answer to `path` sets them."""
    app = make()
    if isinstance(app, Quart):
        quart_client = app.test_client()
        assert isinstance(quart_client, QuartClient)
        cookies = (await quart_client.get(path, headers=headers)).headers.getlist("Set-Cookie")
    else:
        cookies = app.test_client().get(path, headers=headers).headers.getlist("Set-Cookie")
    paths = {}
    for cookie in cookies:
        name = cookie.split("=", 1)[0]
        attributes = dict(part.strip().partition("=")[::2] for part in cookie.split(";")[1:])
        paths[name] = attributes.get("Path", "(none)")
    return paths


APPS = pytest.mark.parametrize("make", [quart_app_setting_cookies, flask_app_setting_cookies], ids=["quart", "flask"])


@APPS
async def test_under_a_prefix_every_cookie_is_under_it(make: Callable[[], Quart | Flask]) -> None:
    assert await set_cookies(make, "/test-cookie-path/remember/", UNDER_ANN) == {
        "theme": "/~ann/greeter",
        "hello_seen": "/~ann/greeter/hello/",
        "old": "/~ann/greeter",  # deleted where it was set
        "session": "/~ann/greeter",
    }
    assert await set_cookies(make, "/test-cookie-path/plain/", UNDER_ANN) == {"plain": "/~ann/greeter"}


@APPS
async def test_at_the_root_of_a_site_cookies_are_as_set(make: Callable[[], Quart | Flask]) -> None:
    assert await set_cookies(make, "/test-cookie-path/remember/", {}) == {
        "theme": "/",
        "hello_seen": "/hello/",
        "old": "/",
        "session": "/",
    }


@pytest.mark.parametrize(
    ("prefix", "path", "scoped"),
    [
        ("/~ann/greeter", "/", "/~ann/greeter"),
        ("/~ann/greeter/", "/", "/~ann/greeter"),
        ("/~ann/greeter", "/hello/", "/~ann/greeter/hello/"),
        ("/~ann/greeter", "/~ann/greeter", "/~ann/greeter"),  # already under it: as the app computed it
        ("/~ann/greeter", "/~ann/greeter/x", "/~ann/greeter/x"),
        ("/~ann/greeter", "/~ann/greeterx", "/~ann/greeter/~ann/greeterx"),
        ("/~ann/greeter", "relative", "relative"),  # not a path: a browser ignores it (RFC 6265 5.2.4)
        ("", "/", "/"),
    ],
)
def test_cookie_path_under(prefix: str, path: str, scoped: str) -> None:
    assert cookie_path_under(prefix, path) == scoped


def test_only_the_path_attribute_changes() -> None:
    headers = Headers()
    headers.add("Set-Cookie", 'a="x\\073y"; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; path=/; HttpOnly')
    headers.add("Set-Cookie", "b=1; Secure")
    scope_cookies(headers, "/~ann/greeter")
    assert headers.getlist("Set-Cookie") == [
        'a="x\\073y"; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/~ann/greeter; HttpOnly',
        "b=1; Secure",  # no Path: the browser's default, the request's own folder, is under the prefix already
    ]
