"""A connection upgraded to HTTP/2 with `Upgrade: h2c` and left open is answered, then closed at the stop with a
GOAWAY: greeter exits 0 without waiting out its graceful timeout, and its log has no traceback.

The fuzzer found it: a `CONNECT ... Upgrade: h2c` (the upgraded request a WebSocket stream that Hypercorn refuses
with a 400) got the headers of its answer and never the end of it; the connection hung until the graceful timeout
cut it off (greeter/server/h2c_upgrade.py says why).
"""

from __future__ import annotations

import re
import signal
import socket
import time
from pathlib import Path

import h2.config
import h2.connection
import h2.events
import pytest
from conftest import GREETER_READY, STOP_TIMEOUT, StartServer, command_path, scaled

from greeter.shared.paths import HYPERCORN_TOML

GRACEFUL_TIMEOUT = 60  # far past STOP_TIMEOUT: a stop that waits for it fails
ANSWER_TIMEOUT = scaled(10.0)
HEAD_END = b"\r\n\r\n"


def _upgrade_request(request_line: str, client: h2.connection.H2Connection) -> bytes:
    settings = client.initiate_upgrade_connection()
    assert settings is not None  # a client's: the HTTP2-Settings header
    return (
        f"{request_line}\r\nHost: localhost\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
        f"HTTP2-Settings: {settings.decode('ascii')}\r\n\r\n"
    ).encode("ascii")


def _events_until(
    sock: socket.socket, client: h2.connection.H2Connection, done: type[h2.events.Event], pending: bytes
) -> tuple[list[h2.events.Event], bytes]:
    """The HTTP/2 events read until one of type `done` (or the end of file), and the bytes past the 101's head."""
    events: list[h2.events.Event] = []
    deadline = time.monotonic() + ANSWER_TIMEOUT
    data = pending
    while not any(isinstance(event, done) for event in events):
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            pytest.fail(f"no {done.__name__} within {ANSWER_TIMEOUT} s; events {events}")
        if not chunk:
            break
        data += chunk
        if data.startswith(b"HTTP/1.1 "):  # the 101 first, in HTTP/1.1
            if HEAD_END not in data:
                continue
            head, _, data = data.partition(HEAD_END)
            assert head.startswith(b"HTTP/1.1 101 "), head
        events += client.receive_data(data)
        data = b""
    return events, data


@pytest.mark.parametrize(
    ("request_line", "status"),
    [("CONNECT /hello HTTP/1.1", b"400"), ("GET /hello/h2c HTTP/1.1", b"200")],
    ids=["connect", "get"],
)
def test_an_h2c_upgrade_left_open_is_answered_then_closed_at_the_stop(
    start_server: StartServer, tmp_path: Path, request_line: str, status: bytes
) -> None:
    config = tmp_path / "hypercorn.toml"
    shipped = HYPERCORN_TOML.read_text()
    config.write_text(re.sub(r"(?m)^graceful_timeout = .*$", f"graceful_timeout = {GRACEFUL_TIMEOUT}", shipped))
    server = start_server([command_path("greeter"), "0", "--config", str(config)], GREETER_READY)
    client = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True, header_encoding=None))
    with socket.create_connection(server.address, timeout=ANSWER_TIMEOUT) as sock:
        # the client never sends its own preface: it upgrades, then leaves the connection open, as the fuzzer did
        sock.sendall(_upgrade_request(request_line, client))
        answered, rest = _events_until(sock, client, h2.events.StreamEnded, b"")
        responses = [event for event in answered if isinstance(event, h2.events.ResponseReceived)]
        assert [dict(response.headers)[b":status"] for response in responses] == [status], answered
        assert any(isinstance(event, h2.events.StreamEnded) and event.stream_id == 1 for event in answered)
        server.send(signal.SIGTERM)
        closing, _ = _events_until(sock, client, h2.events.ConnectionTerminated, rest)
        assert any(isinstance(event, h2.events.ConnectionTerminated) for event in closing), closing
    assert server.stop(timeout=STOP_TIMEOUT) == 0
    assert "Traceback" not in server.output(), server.output()
