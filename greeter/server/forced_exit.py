"""Ending the process at once (os._exit), from a thread, when the event loop cannot end it: one line said, what
must not outlive the process cleaned up (a Unix socket's file), the log flushed. No `finally` runs after it."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from contextlib import suppress
from typing import NoReturn

# what a normal exit does in a `finally` that os._exit skips: registered by whoever made it, in this process
_CLEAN_UPS: list[Callable[[], None]] = []


def clean_up_on_forced_exit(clean_up: Callable[[], None]) -> None:
    _CLEAN_UPS.append(clean_up)


def exit_now(line: str, status: int) -> NoReturn:
    """Say the line in the serving log, clean up, and end the process with this status."""
    logging.getLogger("hypercorn.error").warning(line)
    for clean_up in _CLEAN_UPS:
        with suppress(Exception):  # the exit must happen whatever a clean-up does
            clean_up()
    logging.shutdown()
    with suppress(Exception):
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(status)
