"""A stop asked for (Ctrl+C, SIGTERM, SIGHUP), remembered from greeter's first instant and acted on where it is safe.

Python's own Ctrl+C raises KeyboardInterrupt wherever the main thread happens to be. While Python imports, that can
be inside a callback whose exceptions it only prints (importlib's module locks: "Exception ignored in ...
_get_module_lock"), and the stop is lost: greeter went on to serve, as the suite found on a loaded machine. Between
two lines of `greeter compare` it could leave a server just started running. So greeter's handler only remembers
the stop and tells whoever listens; each command acts on it at points of its own: before it listens, on its event
loop's next turn (a graceful stop), between two requests of a comparison, between two runs of the bench.

SIGHUP is a stop too: a closed terminal (an SSH session that ends, a terminal window closed) sends it, and its
default action kills the process at once, with no drain, no summary line, and a Unix socket's file left behind.
"""

from __future__ import annotations

import signal
from collections.abc import Callable

from greeter.shared.errors import Refused

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Stopped(Refused):
    """A stop asked for before greeter serves, or while a tool runs: `greeter: stopped.`, exit status 1."""

    def __init__(self) -> None:
        super().__init__("stopped.")


class StopRequest:
    """Whether a stop was asked for, and who to tell at once (called in the main thread, from the signal handler)."""

    requested = False
    signal_number: int | None = None  # the first stop signal that came
    _listeners: list[Callable[[], None]] = []  # noqa: RUF012 (one list for the process, as the signal handler is)

    @classmethod
    def catch(cls) -> None:
        """From now on the stop signals are remembered, never raised: called first thing in the command."""
        for signal_number in STOP_SIGNALS:
            signal.signal(signal_number, cls._remember)

    @classmethod
    def _remember(cls, signal_number: int, frame: object) -> None:
        cls.remember(signal_number)

    @classmethod
    def remember(cls, signal_number: int) -> None:
        """A stop signal came (from the handler above, or from an event loop's own handler)."""
        if cls.signal_number is None:
            cls.signal_number = signal_number
        cls.requested = True
        for listener in list(cls._listeners):
            listener()

    @classmethod
    def check(cls) -> None:
        """Stop here (raise Stopped) if a stop was asked for."""
        if cls.requested:
            raise Stopped()

    @classmethod
    def on_stop(cls, listener: Callable[[], None]) -> None:
        """Call `listener` when a stop is asked for (at once if it was already): it must only wake something up."""
        cls._listeners.append(listener)
        if cls.requested:
            listener()


def hangup_line(signal_number: int | None) -> str | None:
    """What greeter says when SIGHUP stops it (a stop that no key press of the person explains); None otherwise."""
    if signal_number != signal.SIGHUP:
        return None
    return "greeter: SIGHUP (the terminal closed, or kill -HUP): stopping gracefully, as on SIGTERM."
