"""Running out of file descriptors, said in one line at most every few seconds, and served on once they free up.

Each connection, and each open /process/ page, holds a file descriptor; at the process's limit (`ulimit -n`)
the event loop cannot accept. Neither loop says so usefully:

- asyncio logs a traceback for every failed accept, up to its backlog's count on each turn of the loop (4,096 for
  greeter): `asyncio/selector_events.py:181`, 'socket.accept() out of system resource'. Here that message is
  taken from the loop's exception handler and said as one line instead.
- uvloop says nothing: libuv accepts and closes the waiting connections (its "EMFILE trick", a descriptor kept
  in reserve), so visitors get a closed connection, or a bare 502 from a proxy in front.

So besides that handler a timer on the loop opens /dev/null once a second: failing with EMFILE (or ENFILE, the
whole system's limit) means the process is at its limit whichever loop serves it.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import resource
import time
from typing import Any

PROBE_SECONDS = 1.0  # how often the timer looks
SAY_AGAIN_SECONDS = 10.0  # at most one line this often while it lasts
ASYNCIO_ACCEPT_FAILED = "socket.accept() out of system resource"  # asyncio/selector_events.py:181
ASYNCIO_ACCEPT_RETRY = "_start_serving"  # asyncio/selector_events.py:146, the retry scheduled at :186

log = logging.getLogger("hypercorn.error")


def out_of_files_line(error_number: int) -> str:
    """What it means and what to do, in one line."""
    if error_number == errno.ENFILE:
        return (
            "greeter: the system is out of file descriptors (ENFILE: all processes' together, fs.file-max), so"
            " new connections wait or are closed unanswered; close what holds many, or raise fs.file-max."
        )
    limit = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    return (
        f"greeter: out of file descriptors: all {limit} this process may open (ulimit -n) are in use, so new"
        f" connections wait or are closed unanswered; each connection and each open /process/ page holds one."
        f" Raise the limit (`ulimit -n 65536` before greeter, LimitNOFILE= in a systemd unit), or look at what"
        f" holds them: `ls -l /proc/{os.getpid()}/fd`."
    )


class OutOfFiles:
    """Says when the process cannot accept for want of descriptors; see the module."""

    def __init__(self) -> None:
        self.said_at: float | None = None

    def install(self, loop: asyncio.AbstractEventLoop) -> None:
        previous = loop.get_exception_handler()

        def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
            error = context.get("exception")
            if context.get("message") == ASYNCIO_ACCEPT_FAILED and isinstance(error, OSError):
                self.noticed(error.errno or errno.EMFILE)
            elif isinstance(error, ValueError) and _accept_retry(context.get("handle")):
                pass  # a retry of a socket closed since (a stop): nothing more to accept, nothing to say
            elif previous is not None:
                previous(loop, context)
            else:
                loop.default_exception_handler(context)

        loop.set_exception_handler(handler)
        self._probe(loop)

    def _probe(self, loop: asyncio.AbstractEventLoop) -> None:
        try:
            os.close(os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC))
        except OSError as error:
            if error.errno in (errno.EMFILE, errno.ENFILE):
                self.noticed(error.errno)
        loop.call_later(PROBE_SECONDS, self._probe, loop)

    def noticed(self, error_number: int) -> None:
        now = time.monotonic()
        if self.said_at is None or now - self.said_at >= SAY_AGAIN_SECONDS:
            self.said_at = now
            log.error(out_of_files_line(error_number))


def _accept_retry(handle: object) -> bool:
    """Whether it is asyncio's retry of an accept that failed for want of descriptors, one per failed accept, a
    second later: asyncio/selector_events.py:150 then adds a reader for the socket without looking whether it was
    closed meanwhile, and a stopping worker has closed its listening socket (greeter/server/serving_loop.py): a
    ValueError (file descriptor -1) and a traceback for each."""
    callback = getattr(handle, "_callback", None)  # asyncio.Handle's own: it has no public name for it
    return getattr(callback, "__name__", None) == ASYNCIO_ACCEPT_RETRY
