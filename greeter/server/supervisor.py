"""Worker processes on one socket (`greeter --workers N`), replaced by new ones when the code changes (`--reload`).

The supervisor keeps the listening socket open the whole time, so no connection is refused while workers come
and go: on a change it starts workers with the new code, and once they have built the app it tells the old
ones to stop gracefully (their live streams get `event: shutdown`, with a hint to reconnect at once).
"""

from __future__ import annotations

import importlib
import signal
import socket
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from greeter.server.limits import allow_many_connections
from greeter.server.reloader import Watcher, describe_change, fresh_bytecode, served_sources
from greeter.server.run_ledger import RunLedger, say_in_serving_log
from greeter.server.start_failure import say_start_failure
from greeter.server.stop_at_once import wait_for_workers
from greeter.server.stop_listening import refuse_new_connections
from greeter.server.zygote import (
    DEBUG_PAGE,
    FAILED,
    ONE_LINE,
    READY,
    REPLACE,
    SHUTDOWN,
    STOP,
    Channel,
    Child,
    WorkerMain,
    fork_worker,
    preload,
    threads_here,
    wait_readable,
)
from greeter.shared.paths import PACKAGE_DIR
from greeter.shared.run_facts import RunFacts
from greeter.shared.say import say as say_line
from greeter.shared.settings import debug_setting
from greeter.shared.stop_request import STOP_SIGNALS, StopRequest, hangup_line

if TYPE_CHECKING:  # the framework is imported after the banner (greeter/server/zygote.py), for the workers
    from hypercorn.config import Config

STOP_MARGIN_SECONDS = 5.0  # past the graceful timeout, before a stuck worker is killed
WAITING_FOR_A_FIX = "the code does not start (the error is above); waiting for a fix: served as soon as it starts."
SHOWN_ON_THE_PAGES = "the new code did not start (the error is above); every page shows the error until it starts."
STILL_SERVING = "the new code did not start (the error is above); still serving the code from before."
STARTS_NOW = "the code starts now; serving it."


def run(config: Config, sock: socket.socket, refuse_new: Callable[[], object] | None = None) -> int:
    """Serve on the socket until SIGTERM, SIGHUP or Ctrl+C; the exit status of the server.

    refuse_new: on a Unix socket, how new connections are refused at the stop (its file removed).
    """
    allow_many_connections()
    if StopRequest.requested:
        return 0
    if config.workers == 1 and not config.use_reloader:
        from greeter.server.worker import serve_worker

        serve_worker(config, sock, refuse_new=refuse_new)  # in this process: nothing to supervise
        return 0
    watcher = None
    if config.use_reloader:
        watcher = Watcher(served_sources())
        folders = " and ".join(f"{_shown(entry.folder)}/" for entry in watcher.watched)
        say(f"reloading when a file changes in {folders}")
    return Supervisor(config, sock, watcher, refuse_new).run()


def say(line: str) -> None:
    say_line(f"greeter: {line}")


def _shown(path: Path) -> Path:
    """A path as short as it can be said: relative to the current folder when it is under it."""
    here = Path.cwd()
    return path.relative_to(here) if path.is_relative_to(here) else path


@dataclass
class Worker:
    """One worker process, and the supervisor's end of the pipe between them."""

    number: int
    process: Child
    orders: Channel
    said: str | None = None  # READY once it has built the app, FAILED when it could not (and answers the error)
    leave_by: float | None = None  # once told to stop: when it is killed if still running
    run: RunFacts | None = None  # its part of the run: why it is new, its count of requests

    def tell(self, order: str, grace: float) -> None:
        """Tell it to stop (or that it is replaced), once; it then has `grace` seconds to exit."""
        if self.leave_by is None:
            with suppress(OSError):  # it died already: nothing to tell
                self.orders.send(order)
            self.leave_by = time.monotonic() + grace

    def hear(self) -> str | None:
        """What it has said of the new code: READY (it starts), FAILED (it does not); None: nothing yet."""
        with suppress(EOFError, OSError):
            while self.said is None and self.orders.poll():
                self.said = self.orders.recv()
        return self.said

    def settled(self) -> bool:
        """Whether it has said how its start went, or ended without a word."""
        return self.hear() is not None or not self.process.is_alive()


class StopSignals:
    """SIGTERM, SIGHUP and Ctrl+C in the supervisor: remembered, and waking its wait at once."""

    def __init__(self) -> None:
        # every stop signal heard, the first being the one that began the stop; a second one: stop at once
        self.heard: list[int] = [StopRequest.signal_number] if StopRequest.signal_number is not None else []
        self.wakeup, self._writer = socket.socketpair()  # readable once a signal came
        self._writer.setblocking(False)
        for signal_number in STOP_SIGNALS:
            signal.signal(signal_number, self._remember)

    @property
    def requested(self) -> bool:
        return StopRequest.requested

    def _remember(self, signal_number: int, frame: object) -> None:
        StopRequest.remember(signal_number)
        self.heard.append(signal_number)
        with suppress(OSError):  # a wake-up byte is there already
            self._writer.send(b"!")

    def close(self) -> None:
        self.wakeup.close()
        self._writer.close()


class Supervisor:
    """Starts the workers, replaces them when the watcher sees a change, stops them all on a stop signal."""

    def __init__(
        self,
        config: Config,
        sock: socket.socket,
        watcher: Watcher | None,
        refuse_new: Callable[[], object] | None = None,
    ) -> None:
        self.config = config
        self.sock = sock
        self.watcher = watcher
        self.refuse_new = refuse_new
        self.stop = StopSignals()
        # the run's requests, summed over every worker, and why each is new: in a shared page the workers inherit
        self.ledger = RunLedger()
        self.grace = config.graceful_timeout + STOP_MARGIN_SECONDS
        self.serving: list[Worker] = []
        self.starting: list[Worker] = []  # until every one of them has built the app
        self.leaving: list[Worker] = []  # told to stop, still finishing their requests
        self.failed: Worker | None = None  # the worker whose end ends the server
        self.waiting_for_fix = False  # --reload: the last code tried did not start; the next change may fix it
        self.debug = debug_setting()  # while the code does not start, every page shows its error
        address = sock.getsockname()
        self._where = f"port {address[1]}" if sock.family != socket.AF_UNIX else str(address)  # for `ps`

    def run(self) -> int:
        # each worker a fork of this process, which has imported the framework but none of the app: a new worker
        # imports the code as it is on disk now, in a fraction of the time a fresh Python would take
        preload()
        self.starting = self._start_workers()
        while not self.stop.requested and self.failed is None:
            wait_readable(self._awaited(), self._timeout())
            self._let_go_of_leavers()
            self.failed = next((worker for worker in self.serving if not worker.process.is_alive()), None)
            self._switch_when_ready()
            if self.watcher is not None and (changed := self.watcher.changes()):
                say(describe_change(changed, Path.cwd()))
                fresh_bytecode(changed)  # the new workers read each changed file, never a .pyc of a save before
                # a change while a reload is still starting: that reload's workers may have the old code
                self._send_away(self.starting, STOP)
                self.starting = self._start_workers()
        return self._stop_all()

    def _awaited(self) -> list[int | Channel]:
        """What wakes the supervisor: a signal, a worker's end (its pidfd, else its pipe's end of file), a new
        worker's word, a file's change."""
        awaited: list[int | Channel] = [self.stop.wakeup.fileno()]
        for worker in self.serving + self.starting + self.leaving:
            awaited.append(worker.process.sentinel if worker.process.sentinel is not None else worker.orders)
        awaited += [worker.orders for worker in self.starting]
        if self.watcher is not None and (events := self.watcher.fileno()) is not None:
            awaited.append(events)
        return awaited

    def _timeout(self) -> float | None:
        """How long the supervisor may sleep: until the watcher looks again, or a leaving worker's time is up."""
        times = [worker.leave_by - time.monotonic() for worker in self.leaving if worker.leave_by is not None]
        if self.watcher is not None:
            times.append(self.watcher.timeout())
        return max(0.0, min(times)) if times else None

    def _start_workers(self) -> list[Worker]:
        started: list[Worker] = []
        for number in range(1, self.config.workers + 1):
            started.append(self._start(number, siblings=started))
        return started

    def _start(self, number: int, siblings: list[Worker]) -> Worker:
        ours, theirs = Channel.pair()
        title = f"greeter worker {number} ({self._where})"
        if (threads := threads_here()) > 1:  # a library started one: the fork would copy it in the middle of its work
            say(f"forking a worker from a process with {threads} threads; it may hang (a bug in greeter).")
        # every worker's pipe end but this one's is closed in the fork: the ones started just before it too
        workers = self.serving + self.starting + self.leaving + siblings
        inherited = [ours.close, self.stop.close, *(worker.orders.close for worker in workers)]
        inherited += [worker.process.close_sentinel for worker in workers]
        if self.watcher is not None:
            inherited.append(self.watcher.close)
        run = self.ledger.facts_for(number)
        process = fork_worker(theirs, title, inherited, self._worker_main(run, self._if_not_starting()))
        theirs.close()  # the worker has its own copy; so a dead worker is an end of file here
        return Worker(number, process, ours, run=run)

    def _if_not_starting(self) -> str | None:
        """How a new worker answers if its code does not start: under --debug the error on every page (never the
        code from before: the student would take it for their change); under --reload one line of 503 while no
        code serves, else it exits and the code from before goes on, as in production; None without a reloader."""
        if self.watcher is None:
            return None
        if self.debug:
            return DEBUG_PAGE
        return None if any(worker.said == READY for worker in self.serving) else ONE_LINE

    def _worker_main(self, run: RunFacts, if_not_starting: str | None) -> WorkerMain:
        """What a forked worker runs, once it has forgotten greeter: greeter imported anew, then served."""
        config, sock = self.config, self.sock

        def main(orders: Channel, title: str) -> None:
            try:
                worker = importlib.import_module("greeter.server.worker")
            except Exception as error:  # greeter itself does not import (its __init__.py): as a student reads it
                say_start_failure(error, PACKAGE_DIR)
                raise SystemExit(1) from None
            # its facts as the greeter it imported anew knows them (the shared page of counts is inherited)
            facts = importlib.import_module("greeter.shared.run_facts").RunFacts(**vars(run))
            worker.serve_worker(config, sock, orders, run=facts, if_not_starting=if_not_starting)

        return main

    def _switch_when_ready(self) -> None:
        """Once all the new workers have said how their start went: if they all built the app, the old ones go;
        else the new code does not start, and the workers that answer its error serve, or the old ones go on."""
        if not self.starting or not all(worker.settled() for worker in self.starting):
            return
        if all(worker.said == READY for worker in self.starting):
            if self.waiting_for_fix:
                self.waiting_for_fix = False
                say(STARTS_NOW)
            self._send_away(self.serving, REPLACE)
            self.serving, self.starting = self.starting, []
            return
        if self.watcher is None:  # no change will come to try again
            self.failed = next(worker for worker in self.starting if worker.said != READY)
            self._send_away(self.starting, STOP)
            self.starting = []
            return
        answering = [worker for worker in self.starting if worker.said == FAILED and worker.process.is_alive()]
        had_code = any(worker.said == READY for worker in self.serving)
        self._send_away([worker for worker in self.starting if worker not in answering], STOP)
        if answering:
            self._send_away(self.serving, REPLACE)
            self.serving = answering
        self.starting = []
        self.waiting_for_fix = True
        if not had_code:
            say(WAITING_FOR_A_FIX)
        else:
            say(SHOWN_ON_THE_PAGES if answering else STILL_SERVING)

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

    def _stop_all(self) -> int:
        """Stop every worker gracefully (a second stop: at once, 128 + its signal); the exit status of the worker
        that failed first, else 0."""
        if line := hangup_line(StopRequest.signal_number):
            say_line(line)
        last = ([self.failed] if self.failed else []) + self.serving
        # new connections refused first (the kernel drops their attempts, a Unix socket's file goes), so the
        # queue of those it completed only shrinks; the workers take them, and the socket closes with the last
        refuse_new_connections(self.sock)
        if self.refuse_new is not None:
            self.refuse_new()
        self._send_away(self.serving + self.starting, SHUTDOWN)
        self.sock.close()  # the workers hold it until they have taken what is queued
        leaving = [(worker.process, worker.leave_by or 0.0) for worker in self.leaving]
        at_once = wait_for_workers(leaving, self.stop.wakeup, self.stop.heard)
        for worker in self.leaving:
            self.ledger.gone(worker.run)
        say_in_serving_log(self.ledger.stop_line())  # the whole run's, where each worker would say only its own
        if self.watcher is not None:
            self.watcher.close()
        self.stop.close()
        if at_once is not None:
            return 128 + at_once
        failures = [worker.process.exitcode for worker in last if worker.process.exitcode]
        return failures[0] if failures else 0
