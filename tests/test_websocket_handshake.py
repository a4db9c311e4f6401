"""A WebSocket handshake goes through the app as the GET it is (greeter/plumbing/websocket_as_http.py): the Host's
400, the security headers and the log line, answered as the twin on Werkzeug's server answers it. Real servers, raw
bytes: an HTTP/1.1 Upgrade to both, and HTTP/2's extended CONNECT (RFC 8441) to greeter, which the twin cannot
speak, beside the twin's answer to the HTTP/1.1 handshake."""

from __future__ import annotations

import socket

import h2.config
import h2.connection
import h2.events
import h2.settings
import pytest
from conftest import GREETER_READY, RUNNING_ON, Server, StartServer, command_path, scaled

from greeter.plumbing.websocket_as_http import WebsocketAsHTTP
from greeter.tools.compare.raw_http import RawAnswer, exchange_raw

TRUSTED = {"GREETER_TRUSTED_HOSTS": "localhost,.example.org"}
UPGRADE = (
    b"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    b"Sec-WebSocket-Version: 13\r\n"
)
# what both servers send of their own, or frame otherwise: the rest of every answer must be the same
OWN_HEADERS = {"date", "server", "connection"}
TIMEOUT = scaled(10)


@pytest.fixture(scope="module")
def greeter(start_module_server: StartServer) -> Server:
    return start_module_server([command_path("greeter"), "0"], GREETER_READY, env=TRUSTED)


@pytest.fixture(scope="module")
def twin(start_module_server: StartServer) -> Server:
    argv = [command_path("flask"), "--app", "greeter.flask_twin", "run", "--port", "0"]
    return start_module_server(argv, RUNNING_ON, env=TRUSTED)


def request(path: str, host: str, extra: bytes = b"") -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: {host}\r\n".encode() + extra + b"\r\n"


async def answer(server: Server, data: bytes) -> RawAnswer:
    exchange = await exchange_raw(*server.address, data, patience=TIMEOUT, quiet=0.5, timeout=TIMEOUT)
    assert len(exchange.answers) == 1, exchange.sent
    return exchange.answers[0]


def shape(answer: RawAnswer) -> tuple[int | None, dict[str, str], bytes]:
    headers = {name.lower(): value for name, value in answer.headers if name.lower() not in OWN_HEADERS}
    return answer.status, headers, answer.body


# the twin's router matches a handshake as a WebSocket request (werkzeug/routing/map.py:307): an HTTP route is 400
CASES = [
    ("/hello", "evil.example", 400),  # the Host refused first, as for any request
    ("/hello", "localhost", 404),  # no WebSocket route, so no slash redirect
    ("/hello/", "www.example.org", 400),  # an HTTP route: WebsocketMismatch
    ("/no/such/page", "localhost", 404),
]


@pytest.mark.parametrize(("path", "host", "status"), CASES)
async def test_a_handshake_is_answered_as_the_twin_answers_it(
    greeter: Server, twin: Server, path: str, host: str, status: int
) -> None:
    handshake = shape(await answer(greeter, request(path, host, UPGRADE)))
    assert handshake[0] == status
    assert handshake == shape(await answer(twin, request(path, host, UPGRADE)))
    assert handshake[1]["x-content-type-options"] == "nosniff"


async def test_a_refused_host_is_refused_as_in_a_plain_get(greeter: Server) -> None:
    handshake = shape(await answer(greeter, request("/hello", "evil.example", UPGRADE)))
    assert handshake == shape(await answer(greeter, request("/hello", "evil.example")))
    assert handshake[2] == b"Bad Request: this server does not answer for the host name 'evil.example'.\n"


async def test_a_refused_handshake_is_one_line_in_the_log(greeter: Server, twin: Server) -> None:
    line = "400 for GET /hail/: this server does not answer for the host name 'evil.example'."
    for server in (greeter, twin):
        await answer(server, request("/hail/", "evil.example", UPGRADE))
        server.wait_for(line, TIMEOUT)


def over_http2(server: Server, headers: list[tuple[str, str]]) -> tuple[int, dict[str, str], bytes]:
    """One request on an HTTP/2 connection with prior knowledge (h2c): its status, headers and body."""
    connection = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    connection.initiate_connection()
    with socket.create_connection(server.address, timeout=TIMEOUT) as sock:
        sock.sendall(connection.data_to_send())
        sent = False
        status, got, body = 0, dict[str, str](), b""
        while True:
            data = sock.recv(65536)
            assert data, "the server closed the connection before answering"
            for event in connection.receive_data(data):
                if isinstance(event, h2.events.RemoteSettingsChanged) and not sent:
                    assert connection.remote_settings[h2.settings.SettingCodes.ENABLE_CONNECT_PROTOCOL] == 1
                    connection.send_headers(1, headers, end_stream=False)
                    sent = True
                elif isinstance(event, h2.events.ResponseReceived):
                    decoded = {bytes(name).decode(): bytes(value).decode() for name, value in event.headers}
                    got = {name: value for name, value in decoded.items() if name not in OWN_HEADERS}
                    status = int(got.pop(":status"))
                elif isinstance(event, h2.events.DataReceived):
                    body += event.data
                    connection.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                elif isinstance(event, h2.events.StreamEnded | h2.events.StreamReset):
                    return status, got, body
            sock.sendall(connection.data_to_send())


@pytest.mark.parametrize(("path", "host", "status"), CASES)
async def test_an_http2_extended_connect_is_answered_as_the_twin_answers_a_handshake(
    greeter: Server, twin: Server, path: str, host: str, status: int
) -> None:
    headers = [(":method", "CONNECT"), (":protocol", "websocket"), (":scheme", "http"), (":path", path)]
    connect = over_http2(greeter, [*headers, (":authority", host), ("sec-websocket-version", "13")])
    assert connect[0] == status
    # HTTP/2 frames the body itself (no content-length needed), the rest is the same
    twins = shape(await answer(twin, request(path, host, UPGRADE)))
    assert (connect[0], connect[1] | {"content-length": ""}, connect[2]) == (
        twins[0],
        twins[1] | {"content-length": ""},
        twins[2],
    )


async def test_without_the_extension_a_handshake_is_closed_never_served() -> None:
    sent: list[dict[str, object]] = []
    served: list[object] = []

    async def app(scope: object, receive: object, send: object) -> None:
        served.append(scope)

    async def receive() -> dict[str, str]:
        return {"type": "websocket.connect"}

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    scope = {"type": "websocket", "path": "/", "headers": [], "extensions": {}}
    await WebsocketAsHTTP(app)(scope, receive, send)  # type: ignore[arg-type]
    assert (served, [message["type"] for message in sent]) == ([], ["websocket.close"])
