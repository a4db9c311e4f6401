"""A worker's serving loop: Hypercorn's own pieces, stopped so that no request the worker has received goes unanswered.

Hypercorn's loop (hypercorn/asyncio/run.py:151-172, worker_serve) does it all at the one instant its shutdown trigger
returns: it sets `context.terminated`, so every connection is closed right after its answer without saying so
(hypercorn/protocol/h11.py:271-289 recycles a connection only while not terminated; the answer carries no
`Connection: close`, h11.py:122-126), and every idle keep-alive connection at once (tcp_server.py:136-141); new
HTTP/2 streams are reset (h2.py:245-251). A client sending its next request on a kept-alive connection at that
instant loses it: the request crosses the close. This loop runs the same pieces (Lifespan, WorkerContext, a
TCPServer subclass: greeter/server/closing_connection.py) and stops in this order instead:

1. the stop event is set (`stopping(app)` for Quart's app): every HTTP/1 answer from now on says `Connection: close`
   (greeter/plumbing/asgi_connection.py), and idle connections close as closing_connection.py says, each once
   nothing is unread on it;
2. on a full stop (the listening socket closes after this worker), with new connections already refused
   (greeter/server/stop_listening.py), the connections the kernel has queued are taken and answered; on a reload
   this worker just stops accepting, and the new one takes them;
3. this process's descriptor of the listening socket closes (never `shutdown()`: the supervisor and the other
   workers share the socket);
4. requests in flight have `graceful_timeout` from the stop; past it Hypercorn's own `terminated` is set and what
   is left is cancelled (a request cut off gets Hypercorn's 500, with no body).

Hypercorn 0.18 internals this relies on, besides closing_connection.py's (tests/test_lossless_stop.py checks
each of them is still there): Lifespan(app, config, loop, state) and its handle_lifespan, wait_for_startup and
wait_for_shutdown (hypercorn/asyncio/lifespan.py); WorkerContext(max_requests) and its `terminate` and `terminated`
events (worker_context.py); StatsdLogger (statsd.py); wrap_app (utils.py); Config.create_sockets and
create_ssl_context. No HTTP/3: greeter/server/hypercorn_config.py refuses quic_bind.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable, Coroutine
from contextlib import suppress
from random import randint
from typing import Any

from hypercorn.asyncio.lifespan import Lifespan
from hypercorn.asyncio.statsd import StatsdLogger
from hypercorn.asyncio.worker_context import WorkerContext
from hypercorn.config import Config
from hypercorn.typing import ASGIFramework
from hypercorn.utils import wrap_app

from greeter.server.closing_connection import ClosingConnection
from greeter.server.stop_listening import readable, refuse_new_connections

# waits until the worker is to stop; True when the listening socket closes after this worker (a full stop: what
# the kernel queued is to be taken), False when other workers serve on it (a reload: they take what is queued)
ShutdownTrigger = Callable[[], Coroutine[Any, Any, bool]]

QUEUED_SECONDS = 1.0  # the longest a stopping worker goes on taking connections the kernel has queued
HANDSHAKE_SECONDS = 0.005  # a handshake under way when new connections were refused is queued within this
QUEUE_POLL_SECONDS = 0.002


async def serve(app: ASGIFramework, config: Config, *, stop: asyncio.Event, shutdown_trigger: ShutdownTrigger) -> None:
    """Serve the app on the config's sockets as hypercorn.asyncio.serve does, until the trigger returns; then stop
    as the module says.

    stop: set here once the worker begins to stop; the app then closes each connection after its answer (Quart's:
    greeter/plumbing/asgi_connection.py's `stopping(app)`)."""
    asgi = wrap_app(app, config.wsgi_max_body_size, "asgi")
    config.set_statsd_logger_class(StatsdLogger)
    # Hypercorn's loggers made now, as its own loop makes them (for its "Running on", which the banner says instead):
    # greeter's own lines go through them (hypercorn.error), even in a worker that never answers a request
    _ = config.log  # the property makes them on first use
    loop = asyncio.get_running_loop()
    lifespan_state: dict[str, Any] = {}
    lifespan = Lifespan(asgi, config, loop, lifespan_state)
    lifespan_task = loop.create_task(lifespan.handle_lifespan())
    await lifespan.wait_for_startup()
    if lifespan_task.done() and (error := lifespan_task.exception()) is not None:
        raise error

    sockets = config.create_sockets()
    ssl_context = config.create_ssl_context() if config.ssl_enabled else None
    max_requests = None
    if config.max_requests is not None:
        max_requests = config.max_requests + randint(0, config.max_requests_jitter)
    context = WorkerContext(max_requests)
    connections: set[asyncio.Task[None]] = set()

    async def on_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        connections.add(task)
        task.add_done_callback(connections.discard)
        with suppress(asyncio.CancelledError):  # ours, past the graceful timeout
            await ClosingConnection(asgi, loop, config, context, lifespan_state, reader, writer, stop=stop)

    listening = [(sock, ssl_context) for sock in sockets.secure_sockets]
    listening += [(sock, None) for sock in sockets.insecure_sockets]
    servers = [
        await asyncio.start_server(
            on_connection,
            backlog=config.backlog,
            sock=sock,
            ssl=ssl,
            ssl_handshake_timeout=config.ssl_handshake_timeout if ssl else None,
        )
        for sock, ssl in listening
    ]

    trigger = loop.create_task(shutdown_trigger())
    too_many = loop.create_task(context.terminate.wait())  # max_requests reached
    try:
        await asyncio.wait([trigger, too_many], return_when=asyncio.FIRST_COMPLETED)
        last = trigger.result() if trigger.done() else False
    finally:
        trigger.cancel()
        too_many.cancel()
        stop.set()  # from here every HTTP/1 answer says Connection: close; idle connections go as nothing is unread
        if last:  # no other worker takes what is queued: refused first (if the supervisor has not), then taken
            for sock, _ in listening:
                refuse_new_connections(sock)
            await take_queued([sock for sock, _ in listening])
        for server in servers:
            server.close()  # this process's descriptor of the listening socket; the others keep theirs
        ends = loop.time() + config.graceful_timeout
        while connections and (remaining := ends - loop.time()) > 0:
            await asyncio.wait(set(connections), timeout=remaining)
        await context.terminated.set()  # Hypercorn's own stop, for whatever outlived the graceful timeout
        for task in set(connections):
            task.cancel()
        await asyncio.gather(*connections, return_exceptions=True)
        for server in servers:
            await server.wait_closed()
        await lifespan.wait_for_shutdown()
        lifespan_task.cancel()
        await asyncio.gather(lifespan_task, return_exceptions=True)


async def take_queued(socks: list[socket.socket]) -> None:
    """Let the event loop accept until the kernel's queue of completed connections is empty, or QUEUED_SECONDS:
    with new connections refused first it only shrinks (other workers on the socket may take some too)."""
    loop = asyncio.get_running_loop()
    ends = loop.time() + QUEUED_SECONDS
    await asyncio.sleep(HANDSHAKE_SECONDS)
    while any(readable(sock.fileno()) for sock in socks if sock.fileno() >= 0) and loop.time() < ends:
        await asyncio.sleep(QUEUE_POLL_SECONDS)  # the loop's own accept takes them meanwhile
