"""greeter's own lines on stderr, which a closed terminal cannot turn into a crash.

Once its terminal is closed (SIGHUP), every write to it fails with EIO: a line that greeter says while it stops
would raise, and Python's own flush at exit would fail too (exit status 120). So the first write that fails sends
the terminal's output nowhere from then on.
"""

from __future__ import annotations

import os
import stat
import sys
from contextlib import suppress


def say(line: str) -> None:
    """Print one line to stderr, or to nowhere once the terminal is gone."""
    try:
        print(line, file=sys.stderr, flush=True)
    except OSError:
        lose_the_terminal()


def lose_the_terminal() -> None:
    """Point stderr, and stdout if it is the same terminal, at /dev/null: what is still to be written goes there."""
    with suppress(OSError):
        gone = os.fstat(2)
        nowhere = os.open(os.devnull, os.O_WRONLY)
        for fd in (1, 2):
            with suppress(OSError):
                found = os.fstat(fd)
                if fd == 2 or (stat.S_ISCHR(found.st_mode) and found.st_rdev == gone.st_rdev):
                    os.dup2(nowhere, fd)
        os.close(nowhere)


def flush_output() -> None:
    """Flush stdout and stderr before the process ends; what a gone terminal cannot take goes nowhere."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except OSError:
            lose_the_terminal()
            with suppress(OSError):
                stream.flush()
