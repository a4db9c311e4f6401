"""The event loop's watchdog: a thread that names a view blocking the loop, and ends a stop the loop cannot.

An `async def` view that calls `time.sleep(60)` or spins in `while True: pass` never gives the event loop a turn:
every other request of the worker waits, and so does its stop, since the loop acts on SIGTERM, Ctrl+C or its
supervisor's order only on its next turn (greeter/shared/stop_request.py: stops are acted on at safe points).

- A heartbeat, `loop.call_later` every INTERVAL, stamps the time. This thread looks every INTERVAL; when the stamp
  is older than GREETER_BLOCKED_LOOP_SECONDS it logs ONE line for the stretch: the request the loop is answering
  (its task, looked up in greeter/shared/running_requests.py), and the innermost frame of the student's code in the
  loop's thread (`sys._current_frames()`), with the async way to write it; and one line when the loop turns again.
- A stop (the signal handlers chained here in a process serving alone; the supervisor's order on the worker's
  pipe, seen readable) while the loop is held is said at once. If the loop is still held when the graceful
  timeout is up, the process ends with os._exit after one line naming the request and the line it was stuck on:
  nothing else can end a loop that never turns. Anything still running a second past the graceful timeout (a
  plain def view's thread, which Python waits for at exit) ends the same way.
- A second stop (Ctrl+C again; AT_ONCE_SIGNAL from the supervisor, which hears that Ctrl+C for its workers) ends
  the process at once, as `flask run` stops at once.

Its cost: ten timer callbacks a second on the loop, and a thread that wakes ten times a second.
"""

from __future__ import annotations

import asyncio
import linecache
import logging
import select
import signal
import sys
import threading
import time
import types
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from greeter.server.forced_exit import exit_now
from greeter.server.stop_at_once import AT_ONCE_SIGNAL, HARD_EXIT_MARGIN
from greeter.server.zygote import REPLACE
from greeter.shared.paths import PACKAGE_DIR, is_students_code
from greeter.shared.running_requests import RUNNING

INTERVAL = 0.1  # seconds between heartbeats, and between the watchdog's looks
HELD = 3 * INTERVAL  # a loop that has not turned for this long is held, whatever the threshold for the line
FORCED_STATUS = 1  # the exit status when a request was cut off at the graceful timeout

log = logging.getLogger("hypercorn.error")


class PeekedOrders(Protocol):
    """A worker's end of the pipe from its supervisor, as the watchdog looks at it (greeter/server/zygote.py)."""

    def fileno(self) -> int: ...
    def peek(self) -> str: ...


@dataclass(frozen=True)
class Where:
    """Where a thread is, as a student reads it."""

    file: str
    line: int
    function: str
    code: str
    students: bool  # False: no frame of the student's code in the stack; this is the innermost frame

    def __str__(self) -> str:
        return f"{self.file}, line {self.line}, in {self.function}"


def where_in(frame: types.FrameType | None, package_dir: Path = PACKAGE_DIR) -> Where | None:
    """The innermost frame of the student's code in a thread's stack; else its innermost Python frame."""
    innermost = frame
    while frame is not None and not is_students_code(frame.f_code.co_filename, package_dir):
        frame = frame.f_back
    chosen = frame or innermost
    if chosen is None:
        return None
    filename, line = chosen.f_code.co_filename, chosen.f_lineno
    code = linecache.getline(filename, line).strip().split("  #")[0]
    return Where(_shown(filename), line, chosen.f_code.co_qualname, code, students=frame is not None)


def _shown(filename: str) -> str:
    path, here = Path(filename), Path.cwd()
    return str(path.relative_to(here)) if path.is_absolute() and path.is_relative_to(here) else filename


def async_way(where: Where | None) -> str:
    """What to write instead, for the line the loop is held on."""
    if where is not None and where.code.startswith("time.sleep("):
        waiting = where.code.replace("time.sleep(", "await asyncio.sleep(", 1)
        return (
            f"In an async def view, wait with `{waiting}`; run other blocking work with `await asyncio.to_thread(...)`"
        )
    return (
        "An async def view must await to let the others run: wait with `await asyncio.sleep(...)`,"
        " run blocking or long work with `await asyncio.to_thread(...)`"
    )


def _at(where: Where | None) -> str:
    return f" at {where}" if where is not None else ""


def blocked_line(seconds: float, request: str | None, where: Where | None) -> str:
    by = f" by {request}" if request else ""
    code = f": `{where.code}`" if where is not None and where.code else ""
    return (
        f"greeter: the event loop has been blocked for {seconds:.1f} s{by}{_at(where)}{code};"
        f" no other request is answered meanwhile. {async_way(where)}."
    )


def turns_again_line(seconds: float, request: str | None) -> str:
    by = f" (held by {request})" if request else ""
    return f"greeter: the event loop turns again after {seconds:.1f} s{by}; the requests that waited go on."


def stopping_line(grace: float, request: str | None, where: Where | None, *, replaced: bool = False) -> str:
    """The loop would say that it waits for requests in flight; held, it cannot, so the watchdog does.

    replaced: a reload's new worker serves, and only this one goes (greeter itself goes on)."""
    going = "replacing this worker with the new code" if replaced else "stopping"
    return (
        f"greeter: {going}; waiting up to {grace:g} s for {request or 'the code'}, which holds the event loop"
        f"{_at(where)} (Ctrl+C again stops at once)."
    )


def stopped_line(grace: float, request: str | None, where: Where | None) -> str:
    running = f"{request or 'the code'} was still running{_at(where)}"
    return f"greeter: stopped after the {grace:g} s graceful timeout; {running}."


def at_once_line(request: str | None, where: Where | None, in_flight: list[str]) -> str:
    if request is not None:  # the one holding the loop
        return f"greeter: stopped at once; {request} was still running{_at(where)}."
    if in_flight:  # waiting, each on its await
        more = f" and {len(in_flight) - 1} more were" if len(in_flight) > 1 else " was"
        return f"greeter: stopped at once; {in_flight[0]}{more} still in flight."
    return "greeter: stopped at once."


def past_grace_line(grace: float, where: Where | None) -> str:
    running = f"; your code was still running{_at(where)}" if where is not None else ""
    return f"greeter: stopped {HARD_EXIT_MARGIN:g} s past the {grace:g} s graceful timeout{running}."


class Watchdog:
    """Watches one event loop from a thread of its own; see the module."""

    def __init__(
        self,
        threshold: float,
        grace: float,
        *,
        orders: PeekedOrders | None = None,
        say: Callable[[str], None] | None = None,
    ) -> None:
        self.threshold = threshold  # 0: no line for a blocked loop (a stop is still ended)
        self.grace = grace
        self.orders = orders  # a worker's pipe from its supervisor: readable means an order came
        self.say = say or log.warning
        self.loop: asyncio.AbstractEventLoop | None = None
        self.loop_thread = 0
        self.serving = False
        self.last_beat = self.seen_beat = self.last_look = time.monotonic()
        self.held = 0.0  # since the last heartbeat, counting only the time this thread itself woke on time
        self.reported: str | None = None  # the request of the stretch said blocked, until the loop turns
        self.reported_beat = 0.0  # the last heartbeat before that stretch
        self.stop_asked_at: float | None = None
        self.replaced = False  # the stop is a reload's: a new worker serves, only this one goes
        self.stop_said = False
        self.at_once_signal: int | None = None
        self._wake = threading.Event()
        self._beat_handle: asyncio.TimerHandle | None = None

    # in the loop's thread (the main thread)
    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop, self.loop_thread, self.serving = loop, threading.get_ident(), True
        self._beat()
        signal.signal(AT_ONCE_SIGNAL, lambda number, frame: self.stop_asked(at_once=number))
        threading.Thread(target=self._watch, name="greeter watchdog", daemon=True).start()

    def _beat(self) -> None:
        self.last_beat = time.monotonic()
        assert self.loop is not None
        self._beat_handle = self.loop.call_later(INTERVAL, self._beat)

    def hear_stop_signals(self, signal_numbers: Iterable[int]) -> None:
        """Hear SIGINT and SIGTERM too, after the loop's own handler (which only the loop's next turn acts on).

        The loop's wake-up descriptor (signal.set_wakeup_fd) still gets each signal: only the Python-level
        handler, which asyncio and uvloop leave empty, is wrapped. It runs between two bytecodes of the main
        thread, or when the signal interrupts a sleep, so it runs while a view holds the loop."""
        for signal_number in signal_numbers:
            previous = signal.getsignal(signal_number)

            def handler(number: int, frame: types.FrameType | None, previous: Any = previous) -> None:
                if callable(previous):
                    previous(number, frame)
                self.stop_asked(at_once=number if self.stop_asked_at is not None else None)

            signal.signal(signal_number, handler)

    def serving_ended(self) -> None:
        """The loop is closing: no heartbeat from now on, and none is missed."""
        self.serving = False
        if self._beat_handle is not None:
            self._beat_handle.cancel()

    # from any thread, or a signal handler: it only records and wakes the watchdog's thread
    def stop_asked(self, *, at_once: int | None = None, replaced: bool = False) -> None:
        """A stop: the loop has the graceful timeout to end; at_once (the signal's number): it ends now;
        replaced: the supervisor's order is a reload's (REPLACE), not a stop of greeter."""
        if self.stop_asked_at is None:
            self.stop_asked_at = time.monotonic()
            self.replaced = replaced
        if at_once is not None:
            self.at_once_signal = at_once
        self._wake.set()

    # in the watchdog's thread
    def _watch(self) -> None:
        while True:
            self._wake.wait(INTERVAL)
            self._wake.clear()
            try:
                self._look(time.monotonic())
            except Exception as error:  # a watchdog that dies would take the stop's last resort with it
                log.error("greeter: the event loop's watchdog failed: %r", error)

    def blocked_for(self, now: float) -> float:
        """How long the loop has not run its heartbeat past its due time; 0 when it turns.

        Only the time this thread itself woke on time counts: on a machine so loaded that neither thread got a
        processor for a second, no view held the loop (a shared course server at its busiest)."""
        since, self.last_look = now - self.last_look, now
        if not self.serving:
            return 0.0
        if self.last_beat != self.seen_beat:
            self.seen_beat = self.last_beat
            self.held = now - self.last_beat
        elif since <= 3 * INTERVAL:
            self.held += since
        return max(0.0, self.held - INTERVAL)

    def _look(self, now: float) -> None:
        blocked = self.blocked_for(now)
        held = blocked >= HELD
        request, where = self.what_runs() if blocked >= INTERVAL or self.at_once_signal is not None else (None, None)
        if self.stop_asked_at is None and held and self.orders is not None and _readable(self.orders.fileno()):
            # the supervisor said stop, or that this worker is replaced; the loop cannot read it, so its word is
            # looked at and left for the loop
            self.stop_asked(replaced=self.orders.peek() == REPLACE)
        if self.at_once_signal is not None:
            exit_now(at_once_line(request, where, list(RUNNING.values())), 128 + self.at_once_signal)
        if self.reported is not None and self.last_beat != self.reported_beat:  # a heartbeat since: it turned
            self.say(turns_again_line(self.last_beat - self.reported_beat - INTERVAL / 2, self.reported))
            self.reported = None
        if self.stop_asked_at is not None:
            if held and now >= self.stop_asked_at + self.grace:
                exit_now(stopped_line(self.grace, request, where), FORCED_STATUS)
            if now >= self.stop_asked_at + self.grace + HARD_EXIT_MARGIN:
                exit_now(past_grace_line(self.grace, self._students_running()), FORCED_STATUS)
            if held and not self.stop_said:
                self.stop_said = True
                self.say(stopping_line(self.grace, request, where, replaced=self.replaced))
        elif self.threshold and blocked >= self.threshold and self.reported is None:
            self.reported, self.reported_beat = request or "the code", self.last_beat
            self.say(blocked_line(blocked, request, where))

    def what_runs(self) -> tuple[str | None, Where | None]:
        """The request the loop's thread is answering (method and path), and where in the student's code."""
        task = asyncio.current_task(self.loop) if self.loop is not None else None
        frame = sys._current_frames().get(self.loop_thread)
        return (RUNNING.get(task) if task is not None else None), where_in(frame)

    def _students_running(self) -> Where | None:
        """Where the student's code runs in any thread but this one (a plain def view runs in a thread)."""
        for ident, frame in sys._current_frames().items():
            if ident != threading.get_ident() and (where := where_in(frame)) is not None and where.students:
                return where
        return None


def _readable(fd: int) -> bool:
    try:
        return bool(select.select([fd], [], [], 0)[0])
    except (OSError, ValueError):
        return True  # closed: the supervisor is gone
