"""One connection of a worker: Hypercorn's TCPServer, but an idle connection is closed only when nothing has
arrived on it, and, once the worker stops, only after its client had a moment to send what it was about to.

Hypercorn closes an idle keep-alive connection the instant its worker stops (hypercorn/asyncio/tcp_server.py:136-141,
`_idle_timeout` waits on `context.terminated`), even with the client's next request already in the kernel's buffer
or in the stream reader: that request is never answered, and the client, which sent it on an open connection, gets
an end of file instead. Here an idle connection is closed:

- only when no byte is unread: in the kernel, in the stream reader, or in h11's buffer (a request on its way is
  waited for, up to UNREAD_WAIT_SECONDS, and answered: it is no longer idle then);
- once the worker stops, HTTP/1 only after it has been idle for LINGER_SECONDS: a busy client sends its next
  request within that, and its answer says `Connection: close` (greeter/plumbing/asgi_connection.py), so it closes
  the connection itself; HTTP/2 at once, with a GOAWAY, which names the last stream handled (a client sends again,
  safely, any stream past it);
- FIN first: the last look for unread bytes and the half-close (`shutdown(SHUT_WR)`) have no await between them,
  so nothing arrives unseen in between; what crosses the FIN is read and dropped unparsed (the client, which sees
  the end of file, cannot know it was handled: it was not), and the connection closes once the client has closed
  its end (or FIN_WAIT_SECONDS), so the close is not a reset that could destroy an answer still unread there.

What no server can close is the race of a client that writes on an idle connection at the very instant the FIN is
on its way: that request crosses the FIN and is never handled, so it is safe to send again (RFC 9112, 9.3.1).

Hypercorn 0.18 internals this relies on (tests/test_lossless_stop.py checks each of them is still there):
TCPServer's constructor and its `_idle_timeout`, `_read_data` and `_close` methods and `reader`, `writer`,
`protocol`, `loop`, `config` attributes (hypercorn/asyncio/tcp_server.py); the ProtocolWrapper's `protocol`
(H11Protocol or H2Protocol); H11Protocol's `connection` (an h11.Connection, its `trailing_data`) and `stream`;
H2Protocol's `connection` (an h2 H2Connection), `streams` and `closed`; and greeter/server/h2c_upgrade.py's.
"""

from __future__ import annotations

import asyncio
import socket
from contextlib import suppress
from ssl import SSLError
from typing import Any

from h2.errors import ErrorCodes
from hypercorn.asyncio.tcp_server import MAX_RECV, TCPServer
from hypercorn.events import Closed, RawData
from hypercorn.protocol.h2 import H2Protocol
from hypercorn.protocol.h11 import H11Protocol

from greeter.server.h2c_upgrade import handle_data
from greeter.server.http2_guard import Http2Guard
from greeter.server.stop_listening import readable

LINGER_SECONDS = 0.5  # a stopping worker closes an HTTP/1 connection idle for this long: its client is not busy
UNREAD_WAIT_SECONDS = 1.0  # bytes that arrived but are not a whole request yet: how long to wait for the rest
FIN_WAIT_SECONDS = 0.1  # after our FIN: how long to drop what crosses it, waiting for the client's end of file
WRITE_POLL_SECONDS = 0.005  # how often to look whether the last answer's tail has gone, or the rest of a request came


class ClosingConnection(TCPServer):
    """Hypercorn's connection, closed when idle only when nothing has arrived, FIN first; see the module."""

    def __init__(self, *args: Any, stop: asyncio.Event) -> None:
        super().__init__(*args)
        self.stop = stop  # the worker's stop (shared by its connections): set once it begins to stop
        self.fin_sent = False  # our FIN is out: whatever arrives from now on crossed it
        self.client_done: asyncio.Event | None = None  # made with the FIN: set at the client's end of file
        self.gone_away = False  # HTTP/2: our GOAWAY is out
        self.http2_guard = Http2Guard(peer_name(self.writer))  # HTTP/2 Hypercorn cannot take: http2_guard.py

    async def _idle_timeout(self) -> None:
        # started by Hypercorn each time the connection becomes idle, and cancelled as soon as a request arrives
        # whole (the protocol says Updated(idle=False)): until the FIN below, a request always wins
        idle_since = self.loop.time()
        keep_alive_ends = idle_since + self.config.keep_alive_timeout
        http2 = isinstance(self.protocol.protocol, H2Protocol)
        try:
            async with asyncio.timeout_at(keep_alive_ends):
                await self.stop.wait()
            if not http2:  # a GOAWAY says exactly what was handled: HTTP/2 needs no linger
                await asyncio.sleep(min(keep_alive_ends, idle_since + LINGER_SECONDS) - self.loop.time())
        except TimeoutError:  # the keep-alive timeout, stopping or not: closed the same careful way
            pass
        if http2:
            await self._go_away()
        transport = self.writer.transport
        while transport.get_write_buffer_size() and not transport.is_closing():
            await asyncio.sleep(WRITE_POLL_SECONDS)  # the last answer's tail is still on its way out
        waited_until = self.loop.time() + UNREAD_WAIT_SECONDS
        while self._unread() and self.loop.time() < waited_until:
            await asyncio.sleep(WRITE_POLL_SECONDS)  # once whole, Hypercorn cancels this task and answers it
        if self._answering():
            return  # a request came in (Hypercorn cancels this task for it; this is only in case it did not)
        # past the wait, bytes still unread are a request that never came whole: closed as Hypercorn closes it
        if not self._unread():
            self._send_fin()  # no await since the look above: nothing arrived unseen in between
        await asyncio.shield(self._close_idle())

    async def _go_away(self) -> None:
        protocol = self.protocol.protocol
        if isinstance(protocol, H2Protocol) and not protocol.closed and not protocol.streams and not self.gone_away:
            self.gone_away = True
            protocol.connection.close_connection()  # GOAWAY, naming the last stream it handled
            await self.protocol_send(RawData(data=protocol.connection.data_to_send()))

    def _answering(self) -> bool:
        """Whether a request is being answered on this connection."""
        protocol = self.protocol.protocol
        if isinstance(protocol, H11Protocol):
            return protocol.stream is not None
        return isinstance(protocol, H2Protocol) and bool(protocol.streams)

    def _unread(self) -> bool:
        """Whether the client sent something nobody has handled yet: bytes in the kernel, the stream reader or
        h11's buffer."""
        protocol = self.protocol.protocol
        if isinstance(protocol, H11Protocol) and protocol.connection.trailing_data[0]:
            return True
        if self.reader._buffer:  # type: ignore[attr-defined]  # StreamReader: read, not yet handed to the protocol
            return True
        if self.reader.at_eof():  # the client has closed its end: nothing more can come (the kernel's EOF stays)
            return False
        sock = self.writer.get_extra_info("socket")
        return sock is not None and readable(sock.fileno())

    def _send_fin(self) -> None:
        """Half-close now: no more answers from us, and the client sees the end of file at once. Not over TLS,
        which has no half-close: its close sends close_notify, then the FIN."""
        sock = self.writer.get_extra_info("socket")
        if sock is None or self.writer.get_extra_info("ssl_object") is not None:
            return
        half = socket.socket(fileno=sock.fileno())
        try:  # the socket itself: the transport's write_eof would send the FIN a loop turn later (uvloop)
            half.shutdown(socket.SHUT_WR)
        except OSError:  # the client is gone already
            return
        finally:
            half.detach()  # the descriptor stays the transport's
        self.client_done = asyncio.Event()
        self.fin_sent = True

    async def _close_idle(self) -> None:
        if self.client_done is not None:
            with suppress(TimeoutError):
                await asyncio.wait_for(self.client_done.wait(), FIN_WAIT_SECONDS)
        await self.protocol.handle(Closed())
        self.writer.close()

    async def _read_data(self) -> None:
        # Hypercorn's loop (tcp_server.py, _read_data), but what arrives after our FIN is never parsed: it crossed
        # the FIN, and the client, which sees the end of file, counts it as not handled
        self.http2_guard.watch(self.protocol.protocol)  # HTTP/2 from the start (TLS's ALPN); h2c: handle_data says
        while not self.reader.at_eof():
            try:
                data = await asyncio.wait_for(self.reader.read(MAX_RECV), self.config.read_timeout)
            except (ConnectionError, OSError, TimeoutError, SSLError):
                break
            if not self.fin_sent:
                try:  # an h2c upgrade answers its request to the end (greeter/server/h2c_upgrade.py)
                    await handle_data(self.protocol, data, self.http2_guard.watch)
                except Exception as error:  # Hypercorn's, on these bytes: one line and a GOAWAY, not a dead task
                    self.http2_guard.failed(error)
                    await self._go_away_now(ErrorCodes.INTERNAL_ERROR)
                if self.http2_guard.gone_away and not self.fin_sent:
                    self._end_soon()
        if self.client_done is not None:
            self.client_done.set()
        await self.protocol.handle(Closed())

    async def _go_away_now(self, error_code: ErrorCodes) -> None:
        protocol = self.protocol.protocol
        self.http2_guard.gone_away = True
        if isinstance(protocol, H2Protocol) and not protocol.closed:
            with suppress(Exception):  # its state may be what failed: the close that follows is what matters
                protocol.connection.close_connection(error_code, last_stream_id=self.http2_guard.highest_given)
                await self.protocol_send(RawData(data=protocol.connection.data_to_send()))

    def _end_soon(self) -> None:
        """Close after a GOAWAY as an idle connection closes (FIN first, then what crosses it dropped unparsed),
        so the client reads the GOAWAY rather than a reset; over TLS, too, what comes after it is not parsed."""
        self._send_fin()
        self.fin_sent = True
        if self.client_done is None:
            self.client_done = asyncio.Event()
        self._task_group.spawn(self._close_idle)

    async def _close(self) -> None:
        if not self.fin_sent:
            await super()._close()  # Hypercorn's: FIN (write_eof), then close
            return
        try:  # half-closed by us already: uvloop refuses a second write_eof
            self.writer.close()
            await self.writer.wait_closed()
        except (BrokenPipeError, ConnectionAbortedError, ConnectionResetError, RuntimeError, asyncio.CancelledError):
            pass
        finally:
            await self.idle_task.stop()


def peer_name(writer: asyncio.StreamWriter) -> str:
    """host:port of the client, as a log line names it."""
    peer = writer.get_extra_info("peername")
    if isinstance(peer, tuple) and len(peer) >= 2:
        return f"[{peer[0]}]:{peer[1]}" if ":" in str(peer[0]) else f"{peer[0]}:{peer[1]}"
    return "a Unix socket" if peer is not None else "an unknown client"
