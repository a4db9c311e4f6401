"""Serving with Hypercorn: our own listening socket, the worker processes, and a graceful stop."""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import multiprocessing
import signal
import socket
from collections.abc import Callable
from multiprocessing.connection import wait
from multiprocessing.synchronize import Event as EventType

from hypercorn.asyncio import serve
from hypercorn.config import Config
from hypercorn.run import run as run_supervisor

from greeter import create_app
from greeter.limits import allow_many_connections
from greeter.process import begin_shutdown

APPLICATION_PATH = "greeter:app"
SUPERVISOR_POLL_SECONDS = 0.1
STOP_MARGIN_SECONDS = 5.0  # past the graceful timeout, before a stuck worker is killed
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


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
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.create_server((host, port), family=family, backlog=1024)
    except OSError as error:
        where = f"port {port} on {host}"
        if error.errno == errno.EADDRINUSE:
            message = f"{where} is already in use; try another port (`greeter {port + 1}`), or 0 for any free port"
        elif error.errno == errno.EACCES:
            message = f"{where} is not open to this user; choose a port from 1024 to 65535"
        elif error.errno == errno.EADDRNOTAVAIL or isinstance(error, socket.gaierror):
            message = f"cannot listen on {host}: it is not an address of this machine"
        else:
            message = f"cannot listen on {where}: {error.strerror or error}"
        raise ServeError(message) from None
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def hand_over(config: Config, *, workers: int, reload: bool) -> None:
    """Apply what the command line says to Hypercorn's config; nothing else is overridden."""
    config.workers = workers
    config.use_reloader = reload
    config.application_path = APPLICATION_PATH


def run(config: Config, sock: socket.socket) -> int:
    """Serve on the socket until SIGTERM or Ctrl+C; the exit status of the server."""
    allow_many_connections()
    if EarlyStop.requested:
        return 0
    if config.use_reloader:
        # development only: Hypercorn's supervisor restarts its workers when a file changes
        config.bind = [f"fd://{sock.detach()}"]
        return run_supervisor(config)
    if config.workers == 1:
        serve_worker(config, sock)
        return 0
    return supervise(config, sock)


def supervise(config: Config, sock: socket.socket) -> int:
    """Run config.workers processes on one socket; on SIGTERM or Ctrl+C stop them all, each gracefully."""
    context = multiprocessing.get_context("spawn")
    stop = context.Event()
    workers = [
        context.Process(target=serve_worker, args=(config, sock, stop), name=f"greeter worker {number}")
        for number in range(1, config.workers + 1)
    ]
    for signal_number in STOP_SIGNALS:
        signal.signal(signal_number, lambda *_: stop.set())
    if EarlyStop.requested:
        stop.set()
    for worker in workers:
        worker.start()
    sock.close()  # each worker has its own copy now
    # wait until told to stop, or until a worker dies: then stop the others too
    while not stop.is_set() and all(worker.is_alive() for worker in workers):
        wait([worker.sentinel for worker in workers], timeout=SUPERVISOR_POLL_SECONDS)
    stop.set()
    for worker in workers:
        worker.join(timeout=config.graceful_timeout + STOP_MARGIN_SECONDS)
        if worker.is_alive():
            worker.kill()
            worker.join()
    failures = [worker.exitcode for worker in workers if worker.exitcode]
    return failures[0] if failures else 0  # the first worker that failed speaks for the server


def serve_worker(config: Config, sock: socket.socket, stop: EventType | None = None) -> None:
    """One worker process: the app on Hypercorn, on the socket, until a signal or the supervisor says stop."""
    # fd:// makes Hypercorn adopt the socket; detach so two socket objects never close one descriptor
    config.bind = [f"fd://{sock.detach()}"]
    config.workers = 1  # this process is one of them: Hypercorn's serve warns of any other count, in every worker
    with asyncio.Runner(loop_factory=event_loop_factory(config.worker_class)) as runner:
        runner.run(_serve(config, stop))


def event_loop_factory(worker_class: str) -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's loop for the uvloop worker class (as Hypercorn's own workers do); None: asyncio's own."""
    if worker_class == "uvloop":
        import uvloop  # only where it is asked for: it is not built for every platform

        return uvloop.new_event_loop
    return None


async def _serve(config: Config, supervisor_stop: EventType | None) -> None:
    app = create_app()  # a new app rather than greeter.app: it reads the GREETER_* environment set since import
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in STOP_SIGNALS:
        loop.add_signal_handler(signal_number, stop.set)
    if EarlyStop.requested:
        stop.set()
    watcher = asyncio.create_task(_watch(supervisor_stop, stop)) if supervisor_stop is not None else None

    async def shutdown_trigger() -> None:
        await stop.wait()
        # streams first: Hypercorn then waits for open connections, and a stream would hold one open
        begin_shutdown(app)

    try:
        await serve(app, config, shutdown_trigger=shutdown_trigger)
    finally:
        if watcher is not None:
            watcher.cancel()


async def _watch(supervisor_stop: EventType, stop: asyncio.Event) -> None:
    """Pass the supervisor's stop (a process-shared event) on to this worker's loop."""
    while not supervisor_stop.is_set():
        await asyncio.sleep(SUPERVISOR_POLL_SECONDS)
    stop.set()
