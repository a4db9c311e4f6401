"""What each server makes of raw bytes before its app sees them, run here on the same bytes, in-process: h11 (under
Hypercorn, greeter's server) and http.server with Werkzeug's request handler (the twin's). tests/fuzz_families.py
says from them which layer a difference between the two answers comes from.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import Any

import h11
from werkzeug.serving import WSGIRequestHandler
from werkzeug.urls import uri_to_iri

HYPERCORN_HEAD_LIMIT = 16 * 1024  # hypercorn.config.Config.h11_max_incomplete_size, h11's own default too
HYPERCORN_READ = 2**16  # hypercorn/asyncio/tcp_server.py, MAX_RECV: what it reads at most at once
TOKEN = re.compile(rb"[-!#$%&'*+.^_`|~0-9a-zA-Z]+")


@dataclass(frozen=True)
class Refusal:
    """A server's refusal of the bytes: its status and reason. Status 0: it closes without an answer; -1: it
    raises, and the connection drops."""

    status: int
    reason: str


def h11_head(data: bytes) -> h11.Request | Refusal | None:
    """The request h11 reads from the bytes as Hypercorn gives them to it (64 KiB at a time, at best), its refusal,
    or None while it waits for more."""
    connection = h11.Connection(h11.SERVER, max_incomplete_event_size=HYPERCORN_HEAD_LIMIT)
    try:
        for start in range(0, len(data), HYPERCORN_READ):
            connection.receive_data(data[start : start + HYPERCORN_READ])
            event = connection.next_event()
            if isinstance(event, h11.Request):
                return event
    except h11.RemoteProtocolError as error:
        return Refusal(error.error_status_hint, str(error))
    return None


def h11_after_head(data: bytes) -> Refusal | None:
    """What h11 refuses after a head it took: the body, or bytes after a request that closes the connection."""
    connection = h11.Connection(h11.SERVER, max_incomplete_event_size=HYPERCORN_HEAD_LIMIT)
    try:
        for start in range(0, len(data), HYPERCORN_READ):
            connection.receive_data(data[start : start + HYPERCORN_READ])
            while True:
                event = connection.next_event()
                if event in (h11.NEED_DATA, h11.PAUSED) or isinstance(event, h11.ConnectionClosed):
                    break
    except h11.RemoteProtocolError as error:
        return Refusal(error.error_status_hint, str(error))
    return None


def head_length(data: bytes) -> int:
    """How long the first request's head is, up to its blank line (all the bytes, if none ends it)."""
    end = re.search(rb"\r?\n\r?\n", data)
    return end.end() if end else len(data)


def request_line_problem(data: bytes) -> str:
    """What in the request line h11's grammar refuses (h11/_abnf.py: method SP request-target SP HTTP/d.d)."""
    line = re.split(rb"\r?\n", data, maxsplit=1)[0]
    parts = line.split(b" ")
    if b"\t" in line or b"" in parts or len(parts) > 3:
        return "spaces"
    if len(parts) < 3:
        return "no version"
    method, target, version = parts
    if not TOKEN.fullmatch(method):
        return "method"
    if re.search(rb"[\x80-\xff]", target):
        return "non-ASCII"
    if not re.fullmatch(rb"[\x21-\x7e]+", target):
        return "control byte"
    if not re.fullmatch(rb"HTTP/[0-9]\.[0-9]", version):
        return "version"
    return "?"


class _WouldWait(Exception):
    """The handler asked for a line the bytes do not end: on a socket it would wait for the rest."""


class _Bytes(io.BytesIO):
    def readline(self, size: int | None = -1) -> bytes:
        line = super().readline(size)
        if not line.endswith(b"\n") and (size is None or size < 0 or len(line) < size):
            raise _WouldWait
        return line


class _Server:
    """What the handler asks of its server: the twin's, threaded, on loopback, without TLS."""

    ssl_context = None
    multithread = True
    multiprocess = False
    server_address = ("127.0.0.1", 5000)
    passthrough_errors = False


class _OfflineHandler(WSGIRequestHandler):
    """Werkzeug's request handler on given bytes, with no socket and no app: how its server reads them."""

    raw_requestline: bytes

    def __init__(self, data: bytes) -> None:  # no socket, no handling yet
        self.rfile = _Bytes(data)
        self.wfile = io.BytesIO()
        self.server = _Server()  # type: ignore[assignment]
        self.client_address = ("127.0.0.1", 1)
        self.connection = None
        self.refusal: Refusal | None = None

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        self.refusal = Refusal(int(code), message or "")

    def log_message(self, format: str, *args: Any) -> None:
        pass


def werkzeug_head(data: bytes) -> dict[str, Any] | Refusal | None:
    """The WSGI environ Werkzeug's server builds from the bytes (werkzeug/serving.py, make_environ), its refusal,
    or None while it waits for more (http.server reads header lines up to a blank one, even for HTTP/0.9)."""
    return _werkzeug_read(data)[1]


def _werkzeug_read(data: bytes) -> tuple[_OfflineHandler, dict[str, Any] | Refusal | None]:
    handler = _OfflineHandler(data)
    try:
        handler.raw_requestline = handler.rfile.readline(65537)
        if len(handler.raw_requestline) > 65536:
            return handler, Refusal(414, "request line too long")
        if not handler.parse_request():
            return handler, handler.refusal or Refusal(0, "a blank request line: it closes without an answer")
        return handler, handler.make_environ()
    except _WouldWait:
        return handler, None
    except Exception as error:  # its own bug: the thread dies, the client gets nothing
        return handler, Refusal(-1, f"{type(error).__name__}: {error}")


def werkzeug_answers(data: bytes) -> bool:
    """Whether Werkzeug's server sends an answer to the bytes at all, so the fuzzer waits for it patiently: not if it
    waits for more of the head, dies on its own bug, or raises in its request log, which runs before the status
    line is written (log_request's uri_to_iri, werkzeug/serving.py:446: a port that is no number, a punycode label
    that does not decode)."""
    handler, environ = _werkzeug_read(data)
    if environ is None or (isinstance(environ, Refusal) and environ.status == -1):
        return False
    if isinstance(environ, Refusal):
        return True  # its own error page, logged from the request line
    try:
        uri_to_iri(handler.path)
    except Exception:  # whatever the log raises: the thread's error, no answer
        return False
    return True


def target_of(data: bytes) -> bytes:
    """The second word of the request line, as both servers split it on a space."""
    words = data.lstrip(b"\r\n").split(b"\n", 1)[0].rstrip(b"\r").split(b" ")
    return words[1] if len(words) >= 2 else b""


def hosts_differ_by_whitespace(head: h11.Request, environ: dict[str, Any]) -> bool:
    """Whether the two servers gave the apps the same Host but for whitespace around it: h11 strips it (RFC 9110,
    5.5), http.server keeps what follows the value."""
    h11_host = next((value.decode("latin-1") for name, value in head.headers if name == b"host"), None)
    twin_host = environ.get("HTTP_HOST")
    return h11_host != twin_host and (h11_host or "").strip(" \t") == (twin_host or "").strip(" \t")
