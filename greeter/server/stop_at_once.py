"""The supervisor's wait for its workers to stop, and a second Ctrl+C or SIGTERM meanwhile: stop at once.

Each worker's watchdog (greeter/server/watchdog.py) ends it at its graceful timeout if a view holds its event loop;
on a second stop it is told AT_ONCE_SIGNAL, says which request was still running and where, and ends at once
(workers ignore Ctrl+C themselves: only the supervisor decides when they stop). One that does not is killed.

No framework here, not even asyncio: the supervisor imports this module before its banner (greeter/server/zygote.py),
so the watchdog takes these constants from here rather than this module from the watchdog."""

from __future__ import annotations

import os
import signal
import socket
import time
from contextlib import suppress

from greeter.server.zygote import Child, wait_readable

HARD_EXIT_MARGIN = 1.0  # seconds past the graceful timeout before anything still running is ended
AT_ONCE_SIGNAL = signal.SIGUSR1  # the supervisor to a worker, on a second Ctrl+C: stop now
NO_PIDFD_LOOK_SECONDS = 0.05  # where a process's end wakes nothing (no pidfd), how often to look


def wait_for_workers(leaving: list[tuple[Child, float]], wakeup: socket.socket, stops: list[int]) -> int | None:
    """Wait until each (process, killed at) has exited; None, or the signal of a second stop that ended them.

    wakeup: readable when a stop signal came; stops: the signals heard so far, the first being the one that
    began this stop."""
    wakeup.setblocking(False)
    heard = len(stops)
    at_once: int | None = None
    while alive := [(process, deadline) for process, deadline in leaving if process.is_alive()]:
        now = time.monotonic()
        if at_once is None and len(stops) > heard:
            at_once = stops[-1]
            for process, _ in alive:
                with suppress(ProcessLookupError):
                    os.kill(process.pid, AT_ONCE_SIGNAL)  # alive, so not reaped: the pid is still its own
            leaving = [(process, min(deadline, now + HARD_EXIT_MARGIN)) for process, deadline in leaving]
            continue
        for process, deadline in alive:
            if now >= deadline:
                process.kill()
        with suppress(OSError):  # the wake-up bytes read, so the next stop wakes this wait again
            wakeup.recv(64)
        timeout = max(0.05, min(deadline for _, deadline in alive) - now)
        sentinels = [process.sentinel for process, _ in alive if process.sentinel is not None]
        if len(sentinels) < len(alive):
            timeout = min(timeout, NO_PIDFD_LOOK_SECONDS)
        wait_readable([wakeup, *sentinels], timeout)
    for process, _ in leaving:
        process.join()
    return at_once
