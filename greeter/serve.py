"""Serving with Hypercorn: our own listening socket, and one worker serving the app on it until it stops."""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import logging
import os
import signal
import socket
from collections.abc import Callable
from contextlib import suppress
from multiprocessing.connection import Connection

from hypercorn.asyncio import serve
from hypercorn.config import Config
from setproctitle import setproctitle

from greeter import create_app
from greeter.limits import listen_backlog
from greeter.port_holder import port_holder
from greeter.process import begin_shutdown
from greeter.resources import PACKAGE_DIR
from greeter.start_failure import say_start_failure

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
# what a worker and its supervisor say on the pipe between them
READY, STOP, REPLACE = "ready", "stop", "replace"


class EarlyStop:
    """A SIGTERM or Ctrl+C that arrives after the banner but before the event loop runs is kept, not lost."""

    requested = False

    @classmethod
    def catch(cls) -> None:
        """From here on a stop signal is a request to stop gracefully, never a traceback or a killed process."""
        for signal_number in STOP_SIGNALS:
            signal.signal(signal_number, cls._remember)

    @classmethod
    def _remember(cls, signal_number: int, frame: object) -> None:
        cls.requested = True


class ServeError(Exception):
    """The machine refuses to serve (a port in use, an address it does not have): one sentence, exit status 1."""


def is_loopback(host: str) -> bool:
    """Whether only this machine can reach the address (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name: it may resolve to an address others reach
        return False


def listen(host: str, port: int) -> socket.socket:
    """Open the listening socket ourselves, so a port in use is one clear sentence, and port 0 is known."""
    try:
        # resolved here: create_server would bury a name that does not resolve in "(while attempting to bind ...)"
        family, _, _, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    except (socket.gaierror, UnicodeError):
        raise ServeError(
            f"cannot listen on {host}: no address of that name was found; check the spelling, or give an address"
            " such as 127.0.0.1 or 0.0.0.0."
        ) from None
    try:
        sock = socket.create_server(address, family=family, backlog=listen_backlog())
    except OSError as error:
        where = f"port {port} on {host}"
        if error.errno == errno.EADDRINUSE:
            message = f"{where} is already in use{_in_use_by(port)}"
        elif error.errno == errno.EACCES:
            message = f"{where} is not open to this user; choose a port from 1024 to 65535."
        elif error.errno == errno.EADDRNOTAVAIL:
            message = f"cannot listen on {host}: it is not an address of this machine."
        else:  # strerror alone: create_server's own text adds the raw address tuple
            message = f"cannot listen on {where}: {os.strerror(error.errno) if error.errno else error}."
        raise ServeError(message) from None
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def _in_use_by(port: int) -> str:
    """The rest of the sentence: who most likely holds the port, and what to do (never the next port: on a
    course server that is a classmate's UID)."""
    holder = port_holder(port)
    if holder is not None and holder.uid != os.getuid():
        return " by another user's program; run `greeter 0` for any free port."
    if holder is not None and holder.pids:
        named = [f"{pid} ({name})" for pid, name in zip(holder.pids, holder.names, strict=True)]
        processes = "process " + named[0] if len(named) == 1 else f"processes {', '.join(named[:-1])} and {named[-1]}"
        # a greeter's workers stop, gracefully, with the greeter that started them: it is the one to stop
        leaders = [pid for pid, name in zip(holder.pids, holder.names, strict=True) if "worker" not in name]
        kill = " ".join(str(pid) for pid in leaders or holder.pids)
        return (
            f" by your own {processes}, most likely a greeter you started earlier and left running; stop it"
            f" (Ctrl+C in its terminal, or `kill {kill}`), or run `greeter 0` for any free port."
        )
    return (
        ", most likely by a greeter you started earlier and left running; stop it (Ctrl+C in its terminal),"
        " or run `greeter 0` for any free port."
    )


def hand_over(config: Config, *, workers: int, reload: bool) -> None:
    """Apply what the command line says to Hypercorn's config; nothing else is overridden."""
    config.workers = workers
    config.use_reloader = reload  # greeter's own reloader (greeter/supervisor.py), not Hypercorn's


def serve_worker(
    config: Config,
    sock: socket.socket,
    orders: Connection | None = None,
    *,
    title: str | None = None,
    quiet_start: bool = False,
) -> None:
    """One worker: the app on Hypercorn, on the socket, until a stop signal or, under a supervisor, its orders.

    orders: the supervisor's end of a pipe, in a worker process; None when this process serves on its own.
    title: the name `ps` shows for a worker process. quiet_start: a reload's new worker, after the reload's line.
    """
    if title is not None:
        setproctitle(title)
    if quiet_start:
        logging.getLogger("hypercorn.error").addFilter(QuietStart())
    # fd:// makes Hypercorn adopt the socket; detach so two socket objects never close one descriptor
    config.bind = [f"fd://{sock.detach()}"]
    config.workers = 1  # this process is one of them: Hypercorn's serve warns of any other count, in every worker
    with asyncio.Runner(loop_factory=event_loop_factory(config.worker_class)) as runner:
        runner.run(_serve(config, orders))


class QuietStart(logging.Filter):
    """A reload says one line: the new worker's "Running on ..." would repeat the banner's URL after it."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Running on")


def event_loop_factory(worker_class: str) -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's loop for the uvloop worker class (as Hypercorn's own workers do); None: asyncio's own."""
    if worker_class == "uvloop":
        import uvloop  # only where it is asked for: it is not built for every platform

        return uvloop.new_event_loop
    return None


async def _serve(config: Config, orders: Connection | None) -> None:
    try:
        app = create_app()  # a new app rather than greeter.app: it reads the GREETER_* environment set since import
    except Exception as error:  # the code does not start: the student's error, not multiprocessing's frames
        say_start_failure(error, PACKAGE_DIR)
        raise SystemExit(1) from None
    stop = asyncio.Event()
    replaced = False
    loop = asyncio.get_running_loop()
    if orders is None:
        for signal_number in STOP_SIGNALS:
            loop.add_signal_handler(signal_number, stop.set)
        if EarlyStop.requested:
            stop.set()
    else:

        def obey() -> None:
            nonlocal replaced
            with suppress(EOFError):  # the supervisor is gone: stop rather than serve on unsupervised
                replaced = orders.recv() == REPLACE
            loop.remove_reader(orders.fileno())
            stop.set()

        loop.add_reader(orders.fileno(), obey)
        orders.send(READY)  # the app is built: the new code imports and starts

    async def shutdown_trigger() -> None:
        await stop.wait()
        # streams first: Hypercorn then waits for open connections, and a stream would hold one open
        begin_shutdown(app, config.graceful_timeout, replaced=replaced)

    await serve(app, config, shutdown_trigger=shutdown_trigger)
