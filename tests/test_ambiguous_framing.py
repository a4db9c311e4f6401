"""A request with both Transfer-Encoding and Content-Length (greeter/plumbing/asgi_connection.py): RFC 9112 6.3 has
the server read it by its chunks and close the connection after it, for a proxy in front may have read it by its
length, and taken what follows for part of its body. Real servers, raw bytes: greeter answers it with Connection:
close, so Hypercorn closes, and what was smuggled after it is never answered, as on the twin's server."""

from __future__ import annotations

import pytest
from conftest import GREETER_READY, RUNNING_ON, Server, StartServer, command_path, scaled

from greeter.tools.compare.raw_http import RawExchange, exchange_raw

TIMEOUT = scaled(10)
SMUGGLING = (
    b"GET / HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\nContent-Length: 100\r\n\r\n0\r\n\r\n"
    b"GET /hello/SMUGGLED HTTP/1.1\r\nHost: localhost\r\n\r\n"
)
# the same two requests, the first framed one way only: the connection stays open for the second
PLAIN = (
    b"GET / HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
    b"GET /hello/ann HTTP/1.1\r\nHost: localhost\r\n\r\n"
)


@pytest.fixture(scope="module")
def greeter(start_module_server: StartServer) -> Server:
    return start_module_server([command_path("greeter"), "0"], GREETER_READY)


@pytest.fixture(scope="module")
def twin(start_module_server: StartServer) -> Server:
    return start_module_server([command_path("flask"), "--app", "greeter.flask_twin", "run", "--port", "0"], RUNNING_ON)


async def exchange(server: Server, data: bytes) -> RawExchange:
    return await exchange_raw(*server.address, data, patience=TIMEOUT, quiet=1.0, timeout=TIMEOUT)


@pytest.mark.parametrize("app", ["greeter", "twin"])
async def test_both_framings_answer_one_request_and_close(app: str, request: pytest.FixtureRequest) -> None:
    done = await exchange(request.getfixturevalue(app), SMUGGLING)
    assert [answer.status for answer in done.answers] == [200]
    assert dict((name.lower(), value) for name, value in done.answers[0].headers)["connection"] == "close"
    assert done.closed
    assert b"SMUGGLED" not in done.sent


async def test_chunked_alone_keeps_the_connection(greeter: Server) -> None:
    done = await exchange(greeter, PLAIN)
    assert [answer.status for answer in done.answers] == [200, 200]
    assert b"Hello ann" in done.answers[1].body
