"""HTTP/2 requests Hypercorn cannot take, refused before it sees them, and one short line for each connection.

On each of these Hypercorn 0.18 raises inside a connection's task: the connection dies with the client told nothing
(it has had only the SETTINGS), and the log gets a traceback copying every byte received (the
H2ProtocolAssumedError that began it holds them), 3.6 KB for a 78-byte request:

- a `:method` that is not ASCII: hypercorn/protocol/h2.py:322 decodes it as ASCII (UnicodeDecodeError);
- a `:path` that is not ASCII: hypercorn/protocol/http_stream.py:93 and ws_stream.py:215 decode it as ASCII;
- a plain CONNECT (no `:protocol`, so no `:path`: RFC 9113, 8.5): h2.py:365 reads a `raw_path` it never set
  (UnboundLocalError); Hypercorn takes CONNECT only as a WebSocket (RFC 8441), and greeter is no proxy;
- more than 1,000 streams in its priority tree: h2.py:352 (and :310, for a PRIORITY frame) raise priority's
  TooManyStreamsError: a PRIORITY frame for each of 1,001 streams never opened does it; so does a rapid reset
  (CVE-2023-44487), 1,001 streams opened and reset in one write, for a stream the client resets stays in the tree
  (h2.py:273 closes it, but only h2.py:174 and :180 take a stream out, once its answer is sent).
  Over a connection's life Hypercorn's own keep_alive_max_requests (1,000, h2.py:256) ends it first, with a
  GOAWAY.

Here the connection's h2 `receive_data` is wrapped, on its own H2Protocol, so Hypercorn gets the events checked:

- such a request's stream is reset with PROTOCOL_ERROR and its other events are dropped; the connection serves on;
- a read that opens more streams than twice the most a client may have open at once (h2_max_concurrent_streams:
  only streams it resets itself allow more, nginx's rule), or that would take the priority tree past its 1,000,
  gets a GOAWAY with ENHANCE_YOUR_CALM naming the last stream Hypercorn was given, and the connection closes.

Whatever else Hypercorn raises on a connection's bytes (greeter/server/closing_connection.py catches it) ends
that connection with a GOAWAY (INTERNAL_ERROR) on HTTP/2, and one line instead of the traceback.
Each connection logs one line at most, with a short escaped excerpt; all together at most LINES_PER_WINDOW lines
every WINDOW_SECONDS, then the next line counts those not said.
"""

from __future__ import annotations

import logging
import time

from h2.errors import ErrorCodes
from h2.events import DataReceived, Event, PriorityUpdated, RequestReceived
from hypercorn.protocol.h2 import H2Protocol

PRIORITY_TREE_STREAMS = 1000  # priority.PriorityTree()'s maximum_streams, as hypercorn/protocol/h2.py:122 makes it
EXCERPT_BYTES = 24  # the most of a client's bytes a line quotes
ERROR_CHARACTERS = 120  # the most of an unexpected exception's message a line quotes
LINES_PER_WINDOW = 10
WINDOW_SECONDS = 60.0

log = logging.getLogger("hypercorn.error")


def excerpt(value: bytes) -> str:
    """The first bytes of what a client sent, escaped (repr), with how long it was past that."""
    shown = repr(value[:EXCERPT_BYTES])
    return shown if len(value) <= EXCERPT_BYTES else f"{shown}... ({len(value)} bytes)"


def refusal(headers: list[tuple[bytes, bytes]]) -> str | None:
    """Why Hypercorn cannot take a request with these headers (h2 has validated the rest), or None."""
    fields = dict(headers)  # h2 refuses a pseudo-header sent twice
    method = fields.get(b":method", b"")
    if not method.isascii():
        return f"its :method {excerpt(method)} is not ASCII"
    path = fields.get(b":path")
    if path is None:
        return f"{method.decode()} without :path (greeter is no proxy)"
    if not path.isascii():
        return f"its :path {excerpt(path)} is not ASCII"
    return None


class RateLimitedLog:
    """At most `lines` lines every `seconds` from all connections together; the next line said counts the rest."""

    def __init__(self, lines: int = LINES_PER_WINDOW, seconds: float = WINDOW_SECONDS) -> None:
        self.lines = lines
        self.seconds = seconds
        self.window_began = -seconds
        self.said = 0
        self.unsaid = 0

    def say(self, line: str) -> None:
        now = time.monotonic()
        if now - self.window_began >= self.seconds:
            self.window_began, self.said = now, 0
        if self.said >= self.lines:
            self.unsaid += 1
            return
        self.said += 1
        if self.unsaid:
            line += f" ({self.unsaid} more such lines not logged)"
            self.unsaid = 0
        log.warning(line)


REFUSALS = RateLimitedLog()  # the worker's own: one per process


class Http2Guard:
    """One connection's checks on what reaches Hypercorn's HTTP/2 protocol, and its one line; see the module."""

    def __init__(self, peer: str) -> None:
        self.peer = peer
        self.watched: H2Protocol | None = None
        self.said = False
        self.gone_away = False  # our GOAWAY is out: the connection is to close
        self.highest_given = 0  # the last stream Hypercorn was given, for the GOAWAY

    def watch(self, protocol: object) -> None:
        """Check the connection's HTTP/2 events from now on, once it speaks HTTP/2: called with each protocol before
        it is given a byte, the one TLS's ALPN chose (greeter/server/closing_connection.py) and each one an h2c
        upgrade or a cleartext preface makes (greeter/server/h2c_upgrade.py); once per connection, not per send."""
        if not isinstance(protocol, H2Protocol) or protocol is self.watched:
            return
        self.watched = protocol
        receive = protocol.connection.receive_data

        def checked(data: bytes) -> list[Event]:
            return self.checked(protocol, receive(data))

        protocol.connection.receive_data = checked  # type: ignore[method-assign,assignment]  # this connection's object only

    def checked(self, protocol: H2Protocol, events: list[Event]) -> list[Event]:
        """The events Hypercorn can take; the others answered here (RST_STREAM or GOAWAY)."""
        if self.gone_away:
            return []
        opened = [event.stream_id for event in events if isinstance(event, RequestReceived)]
        tree = protocol.priority._streams  # the root stream 0 and one entry per stream Hypercorn keeps
        new_in_tree = {
            event.stream_id
            for event in events
            if isinstance(event, (RequestReceived, PriorityUpdated)) and event.stream_id not in tree
        }
        most_open = protocol.config.h2_max_concurrent_streams
        if len(opened) > 2 * most_open:
            self.go_away(protocol, f"{len(opened)} streams opened in one read (it may have {most_open} open)")
            return []
        if len(tree) - 1 + len(new_in_tree) > PRIORITY_TREE_STREAMS:
            self.go_away(protocol, f"over {PRIORITY_TREE_STREAMS} streams in Hypercorn's priority tree")
            return []
        refused: set[int] = set()
        kept: list[Event] = []
        for event in events:
            stream_id = getattr(event, "stream_id", None)
            if isinstance(event, RequestReceived) and (why := refusal(event.headers)) is not None:
                protocol.connection.reset_stream(event.stream_id, ErrorCodes.PROTOCOL_ERROR)
                refused.add(event.stream_id)
                self.say(f"reset an HTTP/2 stream: {why}")
            elif stream_id in refused:
                if isinstance(event, DataReceived):  # the connection's window still counts it
                    protocol.connection.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            else:
                if isinstance(event, RequestReceived):
                    self.highest_given = max(self.highest_given, event.stream_id)
                kept.append(event)
        return kept

    def go_away(self, protocol: H2Protocol, why: str, error_code: ErrorCodes = ErrorCodes.ENHANCE_YOUR_CALM) -> None:
        """GOAWAY (Hypercorn sends it with what it sends next, or the caller does), and the connection is to close."""
        self.gone_away = True
        protocol.connection.close_connection(error_code, last_stream_id=self.highest_given)
        self.say(f"closed an HTTP/2 connection with {error_code.name}: {why}")

    def failed(self, error: BaseException) -> None:
        """Hypercorn raised on this connection's bytes: one line, never its traceback (which copies them)."""
        leaves = [error]
        while isinstance(leaves[0], BaseExceptionGroup):
            leaves = list(leaves[0].exceptions)
        first = leaves[0]
        message = repr(str(first))[1:-1]
        if len(message) > ERROR_CHARACTERS:
            message = message[:ERROR_CHARACTERS] + "..."
        self.say(f"ended a connection Hypercorn failed on: {type(first).__name__}: {message}")

    def say(self, what: str) -> None:
        if not self.said:
            self.said = True
            REFUSALS.say(f"greeter: {what}, from {self.peer}")
