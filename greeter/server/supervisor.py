"""Worker processes on one socket (`greeter --workers N`), replaced by new ones when the code changes (`--reload`).

The supervisor keeps the listening socket open the whole time, so no connection is refused while workers come
and go: on a change it starts workers with the new code, and once they have built the app it tells the old
ones to stop gracefully (their live streams get `event: shutdown`, with a hint to reconnect at once).
"""

from __future__ import annotations

import multiprocessing
import signal
import socket
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from pathlib import Path

from hypercorn.config import Config

from greeter.server.limits import allow_many_connections
from greeter.server.reloader import POLL_SECONDS, Watcher, describe_change, served_sources
from greeter.server.run_ledger import RunLedger, say_in_serving_log
from greeter.server.stop_at_once import wait_for_workers
from greeter.server.worker import READY, REPLACE, STOP, serve_worker
from greeter.shared.run_facts import RunFacts
from greeter.shared.stop_request import STOP_SIGNALS, StopRequest

STOP_MARGIN_SECONDS = 5.0  # past the graceful timeout, before a stuck worker is killed
# imported once by the process every worker is forked from; never greeter, whose code each worker reads anew
PRELOADED = ["quart", "hypercorn.asyncio", "jinja2", "uvloop"]


def run(config: Config, sock: socket.socket) -> int:
    """Serve on the socket until SIGTERM or Ctrl+C; the exit status of the server."""
    allow_many_connections()
    if StopRequest.requested:
        return 0
    if config.workers == 1 and not config.use_reloader:
        serve_worker(config, sock)  # in this process: nothing to supervise
        return 0
    watcher = None
    if config.use_reloader:
        watcher = Watcher(served_sources())
        folders = " and ".join(f"{_shown(entry.folder)}/" for entry in watcher.watched)
        say(f"reloading when a file changes in {folders}")
    return Supervisor(config, sock, watcher).run()


def say(line: str) -> None:
    print(f"greeter: {line}", file=sys.stderr, flush=True)


def _shown(path: Path) -> Path:
    """A path as short as it can be said: relative to the current folder when it is under it."""
    here = Path.cwd()
    return path.relative_to(here) if path.is_relative_to(here) else path


@dataclass
class Worker:
    """One worker process, and the supervisor's end of the pipe between them."""

    number: int
    process: BaseProcess
    orders: Connection
    ready: bool = False
    leave_by: float | None = None  # once told to stop: when it is killed if still running
    run: RunFacts | None = None  # its part of the run: why it is new, its count of requests

    def tell(self, order: str, grace: float) -> None:
        """Tell it to stop (or that it is replaced), once; it then has `grace` seconds to exit."""
        if self.leave_by is None:
            with suppress(OSError):  # it died already: nothing to tell
                self.orders.send(order)
            self.leave_by = time.monotonic() + grace

    def heard_ready(self) -> bool:
        """Whether it has said that it built the app (the new code imports and starts)."""
        with suppress(EOFError, OSError):
            while not self.ready and self.orders.poll():
                self.ready = self.orders.recv() == READY
        return self.ready


class StopSignals:
    """SIGTERM and Ctrl+C in the supervisor: remembered, and waking its wait at once."""

    def __init__(self) -> None:
        self.requested = StopRequest.requested
        self.heard: list[int] = [signal.SIGINT] if StopRequest.requested else []  # a second one: stop at once
        self.wakeup, self._writer = socket.socketpair()  # readable once a signal came
        self._writer.setblocking(False)
        for signal_number in STOP_SIGNALS:
            signal.signal(signal_number, self._remember)

    def _remember(self, signal_number: int, frame: object) -> None:
        self.requested = True
        self.heard.append(signal_number)
        with suppress(OSError):  # a wake-up byte is there already
            self._writer.send(b"!")


@contextmanager
def stop_signals_ignored_by_children() -> Iterator[None]:
    """Workers started inside ignore Ctrl+C and SIGTERM from their first instant (an ignored signal stays
    ignored across exec), so only the supervisor decides when they stop, and no Ctrl+C during a worker's start
    is a traceback. The supervisor's own signals in the meantime are held, not lost."""
    signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    handlers = [signal.signal(signal_number, signal.SIG_IGN) for signal_number in STOP_SIGNALS]
    try:
        yield
    finally:
        for signal_number, handler in zip(STOP_SIGNALS, handlers, strict=True):
            signal.signal(signal_number, handler)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)


class Supervisor:
    """Starts the workers, replaces them when the watcher sees a change, stops them all on SIGTERM or Ctrl+C."""

    def __init__(self, config: Config, sock: socket.socket, watcher: Watcher | None) -> None:
        self.config = config
        self.sock = sock
        self.watcher = watcher
        # each worker a fork of one server process that has imported the libraries but not greeter: a new
        # worker imports the code as it is on disk now, and starts in a fraction of the time of a fresh Python
        self.context = multiprocessing.get_context("forkserver")
        self.context.set_forkserver_preload(PRELOADED)
        self.ledger = RunLedger(self.context)  # the run's requests, summed over every worker, and why each is new
        self.grace = config.graceful_timeout + STOP_MARGIN_SECONDS
        self.serving: list[Worker] = []
        self.starting: list[Worker] = []  # until every one of them has built the app
        self.leaving: list[Worker] = []  # told to stop, still finishing their requests
        self.failed: Worker | None = None  # the worker whose end ends the server
        self.waiting_for_fix = False  # --reload: the code has not started yet; the next change may fix it
        address = sock.getsockname()
        self._where = f"port {address[1]}" if sock.family != socket.AF_UNIX else str(address)  # for `ps`

    def run(self) -> int:
        stop = StopSignals()
        self.starting = self._start_workers()
        while not stop.requested and self.failed is None:
            sentinels = [worker.process.sentinel for worker in self.serving + self.starting + self.leaving]
            wait([stop.wakeup, *sentinels, *(worker.orders for worker in self.starting)], timeout=POLL_SECONDS)
            self._let_go_of_leavers()
            self.failed = next((worker for worker in self.serving if not worker.process.is_alive()), None)
            self._switch_when_ready()
            if self.watcher is not None and (changed := self.watcher.changes()):
                say(describe_change(changed, Path.cwd()))
                # a change while a reload is still starting: that reload's workers may have the old code
                self._send_away(self.starting, STOP)
                self.starting = self._start_workers()
        return self._stop_all(stop)

    def _start_workers(self) -> list[Worker]:
        return [self._start(number) for number in range(1, self.config.workers + 1)]

    def _start(self, number: int) -> Worker:
        ours, theirs = self.context.Pipe()
        title = f"greeter worker {number} ({self._where})"
        process = self.context.Process(
            target=serve_worker,
            args=(self.config, self.sock, theirs),
            kwargs={"title": title, "run": (run := self.ledger.facts_for(number))},
            name=title,
        )
        with stop_signals_ignored_by_children():
            process.start()
        theirs.close()  # the worker has its own copy; so a dead worker is an end of file here
        return Worker(number, process, ours, run=run)

    def _switch_when_ready(self) -> None:
        """Once all the new workers have built the app, the old ones go; if one of them died, they all go."""
        dead = [worker for worker in self.starting if not worker.process.is_alive() and not worker.heard_ready()]
        if dead:
            self._send_away(self.starting, STOP)
            self.starting = []
            if self.watcher is None:  # no change will come to try again
                self.failed = dead[0]
            elif self.serving:
                say("the new code did not start (the error is above); still serving the code from before.")
            else:
                self.waiting_for_fix = True
                say("the code does not start (the error is above); waiting for a fix: served as soon as it starts.")
        elif self.starting and all(worker.heard_ready() for worker in self.starting):
            if self.waiting_for_fix:
                self.waiting_for_fix = False
                say("the code starts now; serving it.")
            self._send_away(self.serving, REPLACE)
            self.serving, self.starting = self.starting, []

    def _send_away(self, workers: list[Worker], order: str) -> None:
        for worker in workers:
            worker.tell(order, self.grace)
        self.leaving += workers

    def _let_go_of_leavers(self) -> None:
        """Forget the workers that have exited; kill one that outlives its graceful stop."""
        for worker in list(self.leaving):
            if worker.process.is_alive():
                if time.monotonic() < (worker.leave_by or 0.0):
                    continue
                worker.process.kill()
            worker.process.join()
            worker.orders.close()
            self.ledger.gone(worker.run)
            self.leaving.remove(worker)

    def _stop_all(self, stop: StopSignals) -> int:
        """Stop every worker gracefully (a second stop: at once, 128 + its signal); the exit status of the worker
        that failed first, else 0."""
        last = ([self.failed] if self.failed else []) + self.serving
        self._send_away(self.serving + self.starting, STOP)
        leaving = [(worker.process, worker.leave_by or 0.0) for worker in self.leaving]
        at_once = wait_for_workers(leaving, stop.wakeup, stop.heard)
        self.sock.close()
        for worker in self.leaving:
            self.ledger.gone(worker.run)
        say_in_serving_log(self.ledger.stop_line())  # the whole run's, where each worker would say only its own
        if at_once is not None:
            return 128 + at_once
        failures = [worker.process.exitcode for worker in last if worker.process.exitcode]
        return failures[0] if failures else 0
