"""One worker: the app on Hypercorn, on the socket greeter opened, until a stop signal or its supervisor says."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from contextlib import suppress

from hypercorn.config import Config
from setproctitle import setproctitle

from greeter import create_app
from greeter.plumbing.asgi_connection import stopping
from greeter.process import begin_shutdown, process_of
from greeter.server.not_starting import answer_until_replaced
from greeter.server.out_of_files import OutOfFiles
from greeter.server.serving_loop import serve
from greeter.server.start_failure import say_start_failure
from greeter.server.watchdog import Watchdog
from greeter.server.zygote import READY, REPLACE, SHUTDOWN, Orders
from greeter.shared.paths import PACKAGE_DIR
from greeter.shared.run_facts import RunFacts
from greeter.shared.say import flush_output, say
from greeter.shared.stop_request import STOP_SIGNALS, StopRequest, hangup_line


def serve_worker(
    config: Config,
    sock: socket.socket,
    orders: Orders | None = None,
    *,
    title: str | None = None,
    refuse_new: Callable[[], object] | None = None,
    run: RunFacts | None = None,
    if_not_starting: str | None = None,
) -> None:
    """One worker: the app on Hypercorn, on the socket, until a stop signal or, under a supervisor, its orders.

    orders: the supervisor's end of a pipe, in a worker process; None when this process serves on its own.
    title: the name `ps` shows for a worker process.
    refuse_new: serving alone on a Unix socket, how new connections are refused at a stop (its file removed);
    a TCP socket's new connections are refused by greeter/server/serving_loop.py itself.
    run: its part of the whole run, from its supervisor (greeter/shared/run_facts.py), for /process/.
    if_not_starting: under a supervisor, how to answer every request if the code does not start (DEBUG_PAGE or
    ONE_LINE, greeter/server/zygote.py); None: the worker exits, status 1.
    """
    if title is not None:
        setproctitle(title)
    # fd:// makes Hypercorn adopt the socket; detach so two socket objects never close one descriptor
    config.bind = [f"fd://{sock.detach()}"]
    config.workers = 1  # this process is one of them
    try:
        with asyncio.Runner(loop_factory=event_loop_factory(config.worker_class)) as runner:
            runner.run(_serve(config, orders, refuse_new or _nothing, run, if_not_starting))
    finally:
        flush_output()  # a closed terminal's EIO is not this worker's failure


def _nothing() -> None:
    pass


def event_loop_factory(worker_class: str) -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's loop for the uvloop worker class (as Hypercorn's own workers do); None: asyncio's own."""
    if worker_class == "uvloop":
        import uvloop  # only where it is asked for: it is not built for every platform

        return uvloop.new_event_loop
    return None


async def _serve(
    config: Config,
    orders: Orders | None,
    refuse_new: Callable[[], object],
    run: RunFacts | None,
    if_not_starting: str | None,
) -> None:
    try:
        app = create_app()  # a new app rather than greeter.app: it reads the GREETER_* environment set since import
    except Exception as error:  # the code does not start: the student's error, not greeter's frames
        say_start_failure(error, PACKAGE_DIR)
        if orders is None or if_not_starting is None:
            raise SystemExit(1) from None
        # every request answered at once with what the supervisor asked for, until the next change replaces it
        await answer_until_replaced(config, orders, error, if_not_starting)
        return
    process_of(app).state.run = run  # /process/ says which worker this is and why it is new, and counts into it
    stop = asyncio.Event()
    order = SHUTDOWN  # serving alone: the listening socket closes with this process
    loop = asyncio.get_running_loop()
    # names a view that holds the loop, and ends a stop that the held loop cannot (greeter/server/watchdog.py)
    watchdog = Watchdog(
        app.config["BLOCKED_LOOP_SECONDS"],
        config.graceful_timeout,
        orders=orders,
    )
    if orders is None:

        def on_signal(signal_number: int) -> None:
            StopRequest.remember(signal_number)
            stop.set()

        for signal_number in STOP_SIGNALS:
            loop.add_signal_handler(signal_number, on_signal, signal_number)
        watchdog.hear_stop_signals(STOP_SIGNALS)
        if StopRequest.requested:  # asked for before the loop's own handlers took over: kept, not lost
            stop.set()
            watchdog.stop_asked()
    else:

        def obey() -> None:
            nonlocal order
            with suppress(EOFError):  # the supervisor is gone: stop rather than serve on unsupervised
                order = orders.recv()
            loop.remove_reader(orders.fileno())
            watchdog.stop_asked(replaced=order == REPLACE)
            stop.set()

        loop.add_reader(orders.fileno(), obey)
        orders.send(READY)  # the app is built: the new code imports and starts

    async def shutdown_trigger() -> bool:
        await stop.wait()
        if orders is None:
            if line := hangup_line(StopRequest.signal_number):
                say(line)
            refuse_new()  # then the connections queued are taken (greeter/server/serving_loop.py)
        # streams first: the loop then waits for open connections, and a stream would hold one open
        begin_shutdown(app, config.graceful_timeout, replaced=order == REPLACE)
        return order == SHUTDOWN

    watchdog.start(loop)
    OutOfFiles().install(loop)  # one line when no connection can be accepted (greeter/server/out_of_files.py)
    try:
        # Hypercorn's serving, stopped greeter's way: no request it has received goes unanswered
        await serve(app, config, stop=stopping(app), shutdown_trigger=shutdown_trigger)
    finally:
        watchdog.serving_ended()
