"""Where the workers of `greeter --reload` and `--workers N` come from: forked, without exec, from the supervisor,
which has imported the framework (Quart, Hypercorn, Jinja, uvloop) once, after its banner, but none of the app.

The supervisor is the zygote. The pages of the framework it imported are shared with every worker (copy on write,
and gc.freeze() keeps the collector from writing to them), so having imported them costs the pair next to nothing,
where a separate helper (multiprocessing's forkserver, and its resource tracker beside it) was two more Pythons of
their own. A new worker forgets every greeter module the supervisor imported, so it imports the code as it is on
disk now; closes the supervisor's ends of every pipe, so that a supervisor killed with SIGKILL is an end of file to
each worker, which then stops; ignores the stop signals from its first instant (the supervisor's order stops it);
and always ends with os._exit, never returning into the supervisor's frames. The console script's `__main__` is
never run again (a fork is no exec, and nothing is unpickled).

Forking is safe from one thread only: the supervisor starts none. No framework at the top of this module: the
supervisor imports this module before its banner, and the framework only after it (preload).
"""

from __future__ import annotations

import gc
import importlib
import os
import select
import signal
import socket
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from typing import NoReturn, Protocol

from greeter.shared.say import flush_output
from greeter.shared.stop_request import STOP_SIGNALS

# imported once by the supervisor, after its banner, for every worker to share; never greeter, which each worker
# imports anew. What a worker imports besides greeter's own code: tests/test_serving.py checks that it is all here
PRELOADED = (
    "quart",
    "quart.debug",
    "flask",
    "werkzeug.serving",
    "jinja2",
    "jinja2.meta",
    "h11",
    "h2.connection",
    "hypercorn.asyncio",
    "hypercorn.asyncio.lifespan",
    "hypercorn.asyncio.tcp_server",
    "hypercorn.middleware",
    "hypercorn.protocol.h2",
    "encodings.idna",
    "encodings.unicode_escape",
    "setproctitle",
    "uvloop",
)


# what a worker and its supervisor say on the pipe between them: READY, the worker's, once it has built the app
# (FAILED: it could not, and answers every request with the error: greeter/server/not_starting.py);
# STOP and REPLACE while other workers serve on the socket (a worker that did not start, a reload); SHUTDOWN when the
# whole server stops (the socket closes after the workers, new connections refused already: what the kernel queued
# is theirs to take)
READY, FAILED, STOP, REPLACE, SHUTDOWN = "ready", "failed", "stop", "replace", "shutdown"
# how a worker answers every request when its code does not start, as its supervisor says (greeter/server/
# not_starting.py): greeter's debug page of the error, or one line of 503
DEBUG_PAGE, ONE_LINE = "page", "line"


class Readable(Protocol):
    def fileno(self) -> int: ...


class Orders(Protocol):
    """The worker's end of the pipe from its supervisor (a Channel, below; a test may give another)."""

    def send(self, word: str) -> None: ...
    def recv(self) -> str: ...
    def peek(self) -> str: ...
    def fileno(self) -> int: ...


class Channel:
    """One end of the pipe between the supervisor and one worker: one short word each way (a socket pair)."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock

    @classmethod
    def pair(cls) -> tuple[Channel, Channel]:
        ours, theirs = socket.socketpair()
        return cls(ours), cls(theirs)

    def send(self, word: str) -> None:
        self.sock.sendall(word.encode())  # OSError (BrokenPipeError) once the other end is gone

    def recv(self) -> str:
        data = self.sock.recv(64)
        if not data:
            raise EOFError
        return data.decode()

    def peek(self) -> str:
        """The word waiting, left for recv to read; "" when none is there or the other end is gone."""
        try:
            return self.sock.recv(64, socket.MSG_PEEK | socket.MSG_DONTWAIT).decode()
        except OSError:
            return ""

    def poll(self) -> bool:
        return bool(select.select([self.sock], [], [], 0)[0])

    def fileno(self) -> int:
        return self.sock.fileno()

    def close(self) -> None:
        self.sock.close()


class Child:
    """A worker process, a child of this one: what the supervisor used of multiprocessing's Process."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.exitcode: int | None = None
        self.sentinel: int | None = None  # readable once the process has ended (a pidfd), where there are pidfds
        with suppress(AttributeError, OSError):
            self.sentinel = os.pidfd_open(pid)

    def is_alive(self) -> bool:
        if self.exitcode is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:  # reaped elsewhere (SIGCHLD ignored): gone, its status unknown
                pid, status = self.pid, 1 << 8
            if pid:
                self._ended(os.waitstatus_to_exitcode(status))
        return self.exitcode is None

    def _ended(self, exitcode: int) -> None:
        self.exitcode = exitcode
        self.close_sentinel()

    def close_sentinel(self) -> None:
        if self.sentinel is not None:
            os.close(self.sentinel)
            self.sentinel = None

    def kill(self) -> None:
        if self.is_alive():  # not reaped yet: the pid is still this child's
            os.kill(self.pid, signal.SIGKILL)

    def join(self, timeout: float | None = None) -> None:
        if timeout is None:
            if self.exitcode is None:
                self._ended(os.waitstatus_to_exitcode(os.waitpid(self.pid, 0)[1]))
            return
        deadline = time.monotonic() + timeout
        while self.is_alive() and (remaining := deadline - time.monotonic()) > 0:
            wait_readable([self.sentinel] if self.sentinel is not None else [], min(remaining, 0.05))


def wait_readable(things: Iterable[int | Readable], timeout: float | None) -> None:
    """Until one of them is readable (a word, an end of file, a process's end), or the timeout (None: none)."""
    poller = select.poll()
    for thing in things:
        poller.register(thing if isinstance(thing, int) else thing.fileno(), select.POLLIN)
    poller.poll(None if timeout is None else max(0, int(timeout * 1000)))


@contextmanager
def stop_signals_ignored_by_children() -> Iterator[None]:
    """Processes forked inside ignore the stop signals from their first instant, so only the supervisor decides when
    they stop, and no Ctrl+C during a worker's start is a traceback. The supervisor's own signals in the meantime
    are held, not lost."""
    signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    handlers = [signal.signal(signal_number, signal.SIG_IGN) for signal_number in STOP_SIGNALS]
    try:
        yield
    finally:
        for signal_number, handler in zip(STOP_SIGNALS, handlers, strict=True):
            signal.signal(signal_number, handler)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)


def preload() -> None:
    """Import the framework into this process, once, for every worker forked from it to share."""
    for name in PRELOADED:
        with suppress(ImportError):  # uvloop is not built for every platform
            importlib.import_module(name)
    gc.collect()


def threads_here() -> int:
    """This process's threads (Linux; 1 elsewhere): forking is safe from one thread only."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return 1


# the worker's own code, once forked and greeter forgotten: it gets its end of the pipe and its title
WorkerMain = Callable[[Channel, str], None]


def fork_worker(theirs: Channel, title: str, inherited: Iterable[Callable[[], None]], main: WorkerMain) -> Child:
    """A worker forked from this process: it runs `main(theirs, title)` and exits.

    inherited: how to close what this process holds that the worker must not (the supervisor's ends of the pipes,
    its signals' wake-up, its other children's pidfds); closed by their objects, so that nothing closes a number
    reused since."""
    closers = list(inherited)
    flush_output()  # nothing buffered here is printed twice
    gc.collect()  # no garbage frozen with the rest: it would stay in this process for good (cheap: the frozen skipped)
    gc.freeze()  # the worker's collector never writes to what is here now: those pages stay shared
    with stop_signals_ignored_by_children():
        pid = os.fork()
        if pid == 0:
            _become_worker(theirs, title, closers, main)
    return Child(pid)


def _become_worker(orders: Channel, title: str, closers: list[Callable[[], None]], main: WorkerMain) -> NoReturn:
    """In the forked child: forget greeter, import it anew, and serve; never returns to the supervisor's frames."""
    exitcode = 1
    try:
        for close in closers:
            with suppress(OSError):
                close()
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)  # still ignored: the supervisor's order stops it
        from setproctitle import setproctitle

        setproctitle(title)  # at once: `ps` never shows a second supervisor
        forget_greeter()
        main(orders, title)
        exitcode = 0
    except SystemExit as stop:
        exitcode = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
    except BaseException:  # a bug of greeter's own: said in full, as Python would say it
        traceback.print_exc()
    finally:
        flush_output()
        os._exit(exitcode)  # no atexit of the supervisor's, no finally of its frames below this one


def forget_greeter() -> None:
    """Every greeter module imported so far goes: what is imported next is the code as it is on disk now."""
    for name in [name for name in sys.modules if name == "greeter" or name.startswith("greeter.")]:
        del sys.modules[name]
    importlib.invalidate_caches()  # a file added to greeter/ since
