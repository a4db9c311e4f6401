"""HTTP/2 requests Hypercorn raises on (greeter/server/http2_guard.py): each gets a clean refusal, one short log line
and no traceback, over plain TCP (prior knowledge) and TLS, and the server answers the next request."""

from __future__ import annotations

import socket
import ssl
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import h2.config
import h2.connection
import httpx
import pytest
from conftest import GREETER_READY, Certificate, Server, StartServer, command_path, scaled
from hpack import Decoder
from hyperframe.frame import Frame, GoAwayFrame, HeadersFrame, RstStreamFrame

from greeter.server.http2_guard import LINES_PER_WINDOW, WINDOW_SECONDS, RateLimitedLog, excerpt, refusal

READ_TIMEOUT = scaled(10.0)
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00"
PROTOCOL_ERROR, ENHANCE_YOUR_CALM = 1, 11
# the bytes as they were found: HEADERS on stream 1 (END_STREAM, END_HEADERS) after the preface and SETTINGS
NOT_ASCII_PATH = PREFACE + b"\x00\x00\x10\x01\x05\x00\x00\x00\x01\x82\x86A\x86\xa0\xe4\x1d\x13\x9d\tD\x84c\xff\xff\xee"
NOT_ASCII_METHOD = PREFACE + b"\x00\x00\x12\x01\x05\x00\x00\x00\x01B\x03G\xffT\x86A\tlocalhost\x84"
PLAIN_CONNECT = PREFACE + b"\x00\x00\x17\x01\x05\x00\x00\x00\x01B\x07CONNECTA\x0clocalhost:80"
GET = [(":method", "GET"), (":path", "/hello/"), (":scheme", "http"), (":authority", "localhost")]


def client() -> h2.connection.H2Connection:
    connection = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    connection.initiate_connection()
    return connection


def rapid_reset(streams: int = 1200) -> bytes:
    """Streams opened (GET /) and reset at once, all in one write."""
    connection = client()
    for stream_id in range(1, 2 * streams, 2):
        connection.send_headers(stream_id, GET, end_stream=True)
        connection.reset_stream(stream_id)
    return connection.data_to_send()


def priority_flood(streams: int = 1200) -> bytes:
    """A PRIORITY frame for each of many streams never opened."""
    connection = client()
    for stream_id in range(1, 2 * streams, 2):
        connection.prioritize(stream_id, weight=16)
    return connection.data_to_send()


STREAM_REFUSED = {"not_ascii_path": NOT_ASCII_PATH, "not_ascii_method": NOT_ASCII_METHOD, "connect": PLAIN_CONNECT}
CONNECTION_REFUSED = {"rapid_reset": rapid_reset(), "priority_flood": priority_flood()}


@dataclass
class Exchange:
    """One raw HTTP/2 connection: the frames it read, and whether the server closed it cleanly."""

    sock: socket.socket
    frames: list[Frame] = field(default_factory=list)
    buffer: bytes = b""
    closed: bool = False

    def read_until(self, done: type[Frame], stream_id: int | None = None) -> Frame:
        deadline = time.monotonic() + READ_TIMEOUT
        while True:
            for frame in self.frames:
                if isinstance(frame, done) and stream_id in (None, frame.stream_id):
                    return frame
            assert not self.closed, f"closed before a {done.__name__}: {self.frames}"
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            data = self.sock.recv(65536)  # a timeout fails the test; a reset (ConnectionResetError) too
            self.closed = not data
            self.buffer += data
            while len(self.buffer) >= 9:
                frame, length = Frame.parse_frame_header(memoryview(self.buffer[:9]))
                if len(self.buffer) < 9 + length:
                    break
                frame.parse_body(memoryview(self.buffer[9 : 9 + length]))
                self.frames.append(frame)
                self.buffer = self.buffer[9 + length :]

    def read_to_end(self) -> None:
        deadline = time.monotonic() + READ_TIMEOUT
        while not self.closed:
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            self.closed = not self.sock.recv(65536)


@pytest.fixture(scope="module")
def plain_server(start_module_server: StartServer) -> Server:
    return start_module_server([command_path("greeter"), "0"], GREETER_READY)


@pytest.fixture(scope="module")
def tls_server(start_module_server: StartServer, self_signed: Certificate) -> Server:
    keys = ["--certfile", str(self_signed.certfile), "--keyfile", str(self_signed.keyfile)]
    return start_module_server([command_path("greeter"), "0", *keys], GREETER_READY)


@pytest.fixture(params=["plain", "tls"])
def server(request: pytest.FixtureRequest) -> Server:
    return request.getfixturevalue(f"{request.param}_server")  # type: ignore[no-any-return]


def trust(server: Server, certificate: Certificate) -> ssl.SSLContext | None:
    if not server.base_url.startswith("https:"):
        return None
    context = ssl.create_default_context(cafile=str(certificate.certfile))
    context.set_alpn_protocols(["h2"])
    return context


@contextmanager
def connect(server: Server, certificate: Certificate) -> Iterator[Exchange]:
    host, _, port = server.base_url.split("//")[1].rstrip("/").rpartition(":")
    sock = socket.create_connection((host, int(port)), timeout=READ_TIMEOUT)
    context = trust(server, certificate)
    if context is not None:
        sock = context.wrap_socket(sock, server_hostname="localhost")
        assert sock.selected_alpn_protocol() == "h2"
    with sock:
        yield Exchange(sock)


def new_log(server: Server, before: int) -> str:
    time.sleep(0.2)  # the worker writes its line as it refuses; a moment for the file
    return server.output()[before:]


def assert_one_short_line(log: str) -> None:
    assert "Traceback" not in log and "Unhandled exception" not in log, log
    lines = log.splitlines()
    assert len(lines) == 1 and "greeter: " in lines[0] and len(lines[0]) < 300, log


async def assert_still_serving(server: Server, certificate: Certificate) -> None:
    verify: ssl.SSLContext | bool = ssl.create_default_context(cafile=str(certificate.certfile))
    plain = server.base_url.startswith("http:")
    for http2 in (False, True):  # HTTP/1.1; HTTP/2 by prior knowledge on plain TCP, by ALPN on TLS
        async with httpx.AsyncClient(http1=not (http2 and plain), http2=http2, verify=verify) as http:
            response = await http.get(f"{server.base_url}/hello/", timeout=READ_TIMEOUT)
        assert response.status_code == 200 and response.http_version == ("HTTP/2" if http2 else "HTTP/1.1")


@pytest.mark.parametrize("name", STREAM_REFUSED)
async def test_a_request_hypercorn_cannot_take_gets_its_stream_reset_and_the_connection_serves_on(
    server: Server, self_signed: Certificate, name: str
) -> None:
    before = len(server.output())
    with connect(server, self_signed) as exchange:
        exchange.sock.sendall(STREAM_REFUSED[name])
        reset = exchange.read_until(RstStreamFrame, stream_id=1)
        assert isinstance(reset, RstStreamFrame) and reset.error_code == PROTOCOL_ERROR
        next_request = client()  # the same connection's next stream is answered
        next_request.data_to_send()  # its preface was sent already
        next_request.send_headers(3, GET, end_stream=True)
        exchange.sock.sendall(next_request.data_to_send())
        answer = exchange.read_until(HeadersFrame, stream_id=3)
        assert isinstance(answer, HeadersFrame)
        assert (b":status", b"200") in [tuple(header) for header in Decoder().decode(answer.data, raw=True)]
        assert not any(isinstance(frame, GoAwayFrame) for frame in exchange.frames)
    assert_one_short_line(new_log(server, before))
    await assert_still_serving(server, self_signed)


@pytest.mark.parametrize("name", CONNECTION_REFUSED)
async def test_a_flood_of_streams_gets_a_goaway_and_a_clean_close(
    server: Server, self_signed: Certificate, name: str
) -> None:
    before = len(server.output())
    with connect(server, self_signed) as exchange:
        exchange.sock.sendall(CONNECTION_REFUSED[name])
        goaway = exchange.read_until(GoAwayFrame)
        assert isinstance(goaway, GoAwayFrame) and goaway.error_code == ENHANCE_YOUR_CALM
        exchange.read_to_end()  # the end of file, not a reset
    assert_one_short_line(new_log(server, before))
    await assert_still_serving(server, self_signed)


def test_many_refusals_are_logged_a_few_lines_a_minute(start_server: StartServer) -> None:
    greeter = start_server([command_path("greeter"), "0"], GREETER_READY)
    before = len(greeter.output())
    for _ in range(3 * LINES_PER_WINDOW):
        with socket.create_connection(greeter.address, timeout=READ_TIMEOUT) as sock:
            sock.sendall(NOT_ASCII_PATH)
            Exchange(sock).read_until(RstStreamFrame, stream_id=1)
    log = new_log(greeter, before)
    assert "Traceback" not in log
    assert len(log.splitlines()) == LINES_PER_WINDOW, log


def test_the_rate_limited_log_counts_what_it_did_not_say(caplog: pytest.LogCaptureFixture) -> None:
    limited = RateLimitedLog(lines=2, seconds=0.2)
    for number in range(5):
        limited.say(f"line {number}")
    time.sleep(0.25)
    limited.say("line 5")
    assert [record.getMessage() for record in caplog.records] == [
        "line 0",
        "line 1",
        "line 5 (3 more such lines not logged)",
    ]


def test_what_is_refused_and_how_it_is_quoted() -> None:
    assert refusal([(b":method", b"GET"), (b":path", b"/hello/")]) is None
    assert refusal([(b":method", b"G\xffT"), (b":path", b"/")]) == r"its :method b'G\xffT' is not ASCII"
    assert (
        refusal([(b":method", b"CONNECT"), (b":authority", b"h:80")]) == "CONNECT without :path (greeter is no proxy)"
    )
    assert refusal([(b":method", b"GET"), (b":path", b"/\xff" * 100)]) == (
        "its :path " + excerpt(b"/\xff" * 100) + " is not ASCII"
    )
    assert excerpt(b"\x00" * 100) == repr(b"\x00" * 24) + "... (100 bytes)"


def test_the_serving_docs_give_the_limit_on_lines() -> None:
    serving = (Path(__file__).parent.parent / "docs" / "serving.md").read_text()
    assert WINDOW_SECONDS == 60.0
    assert f"at most {LINES_PER_WINDOW} lines a minute from all connections together" in " ".join(serving.split())
