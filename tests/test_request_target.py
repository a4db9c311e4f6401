"""greeter reads a request's target and Host as the twin's server does (greeter/plumbing/request_target.py,
flask_routing.py, locations.py), in-process, each request as Hypercorn hands it over.

Each row is a request line's target and what the Flask twin on Werkzeug's development server answers it (seen on
the real servers: tests/test_fuzz.py compares the two there, and the twin's own test client here). The scope is
the one Hypercorn makes (hypercorn/protocol/http_stream.py): the target split at its first "?", the part before
percent-decoded, and a `server`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

import pytest
from quart.testing import QuartClient

from greeter import create_app
from greeter.shared.security import MALFORMED_HOST

APP = create_app({"TESTING": True})


def hypercorns_scope(target: bytes) -> dict[str, Any]:
    raw_path, _, query = target.partition(b"?")
    return {
        "path": unquote(raw_path.decode("ascii")),
        "raw_path": raw_path,
        "query_string": query,
        "server": ("127.0.0.1", 8000),  # a server's scope: Quart's test client's has none
    }


async def answer(target: bytes, host: str = "a") -> tuple[int, str | None, str]:
    client = APP.test_client()
    assert isinstance(client, QuartClient)  # the protocol Quart declares lacks open()'s defaults
    response = await client.open("/", headers={"Host": host}, scope_base=hypercorns_scope(target))
    return response.status_code, response.headers.get("Location"), await response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("target", "status", "location", "text"),
    [
        (b"?", 308, "http://a/", None),  # was IndexError in quart/asgi.py, a 500
        (b"?x=1", 308, "http://a/?x=1", None),
        (b"#x", 308, "http://a/", None),  # was 200 Hello World!
        (b"http://h", 308, "http://h/", None),
        (b"/hello#x", 308, "http://a/hello/", None),  # was 404: Hypercorn kept the fragment in the path
        (b"/hello/#", 200, None, "Greetings and Felicitations"),  # was "Hello #"
        (b"/hello?a#b", 308, "http://a/hello/?a", None),  # was ?a#b
        (b"/hello?v=,<", 308, "http://a/hello/?v=,%3C", None),  # was ?v=,<: not through iri_to_uri
        (b"hello/;", 200, None, "Hello ;, nice to meet you!"),  # was Greetings: urlparse dropped ;params
        (b"hello/a%3Fb", 200, None, "Hello a?b, nice to meet you!"),  # was Hello a: the decoded ? cut it
        (b"hello/a%0Ab", 200, None, "Hello a\nb, nice to meet you!"),  # was Hello ab
        (b"http://h/hello", 308, "http://h/hello/", None),  # was http://a/hello/: the authority is the Host
        (b"http://u@h/hello", 400, None, MALFORMED_HOST),
        (b"//hello/", 200, None, "Greetings and Felicitations"),  # one slash, as http.server makes it
        (b"http://[::1/x", 400, None, None),  # was ValueError from urlparse, a 500
        (b"*", 404, None, None),
        (b"/static/" + b"a" * 8000, 404, None, None),  # was OSError ENAMETOOLONG, a 500
    ],
)
async def test_targets_are_read_as_werkzeug_reads_them(
    target: bytes, status: int, location: str | None, text: str | None
) -> None:
    got_status, got_location, got_text = await answer(target)
    assert (got_status, got_location) == (status, location)
    if text is not None:
        assert got_text == text


@pytest.mark.parametrize("host", ["a" * 64, "a..b", ".a", "xn--", "xn--zz", "b." + "a" * 64 + ":8000"])
async def test_hosts_idna_refuses_are_refused_by_the_guard(host: str) -> None:
    # were a 500: BadHost out of Quart's request context, or url_root's UnicodeError on /process/ (in both apps)
    for target in (b"/", b"/process/"):
        assert await answer(target, host) == (400, None, MALFORMED_HOST)


# not xn--: Flask's test client itself raises on it, reading the URL for its cookies (werkzeug/test.py:950)
@pytest.mark.parametrize("host", ["a" * 64, "a..b", ".a"])
def test_the_twin_refuses_them_alike(flask_client: Any, host: str) -> None:
    for path in ("/", "/process/"):
        response = flask_client.get(path, headers={"Host": host})
        assert (response.status_code, response.get_data(as_text=True)) == (400, MALFORMED_HOST)


async def test_a_long_label_that_idna_takes_is_answered() -> None:
    assert (await answer(b"/", "a" * 63 + ".b"))[:2] == (200, None)


async def test_the_test_clients_own_scopes_are_left_alone() -> None:
    # Quart's test client writes raw_path from the decoded path: its %23 is a "#" there, which is no fragment
    response = await APP.test_client().get("/hello/%230")
    assert await response.get_data(as_text=True) == "Hello #0, nice to meet you!"


async def test_a_views_own_location_goes_out_as_a_uri() -> None:
    app = create_app({"TESTING": True})

    @app.route("/away")
    async def away() -> tuple[str, int, dict[str, str]]:
        return "", 302, {"Location": "/hello/é?q=<x>", "Content-Location": "/ü"}

    response = await app.test_client().get("/away")
    assert response.headers["Location"] == "/hello/%C3%A9?q=%3Cx%3E"
    assert response.headers["Content-Location"] == "/%C3%BC"
