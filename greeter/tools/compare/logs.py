"""What each app said while it answered a case: the last line of each exception it logged, and in-process each
warning too.

A 500 says only that something failed; the log says what (`AttributeError: 'coroutine' object has no attribute
'get'`). Over HTTP it is read from each server's log as it grows. In-process the apps' loggers are heard, and
Python's warnings too, which can say what no status shows (`RuntimeWarning: coroutine 'flash' was never awaited`):
a warning comes when its object is freed, which a server's log cannot tie to one request, but in-process each
case ends with a collection of the young objects, so each warning is the case's that made it. Shown beside a
MISMATCH, never compared.
"""

from __future__ import annotations

import gc
import logging
import re
import traceback
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask
from quart import Quart

# the last line of a traceback, as a log prints it: `KeyError: 'x'`, `jinja2.exceptions.TemplateNotFound: x.html`
EXCEPTION = re.compile(r"(?:[A-Za-z_][\w.]*\.)?(?:[A-Z]\w*)?(?:Error|Exception|Exit|Interrupt)(?:: .*)?")
MOST_LINES = 3  # of one side, for one case
# what Python adds after a warning of a coroutine never awaited, telling how to learn more: not news of the app
NOT_NOTABLE = ("RuntimeWarning: Enable tracemalloc to get the object allocation traceback",)


def notable(lines: list[str]) -> tuple[str, ...]:
    """The lines that end a traceback (or are a warning's message), in order, each once, the last few."""
    found: list[str] = []
    for line in lines:
        line = line.rstrip()
        said = EXCEPTION.fullmatch(line) or line.split(": ", 1)[0].endswith("Warning")
        if said and line not in found and line not in NOT_NOTABLE:
            found.append(line)
    return tuple(found[-MOST_LINES:])


class LogTail:
    """A server's log file, read as it grows."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0

    def new_lines(self) -> list[str]:
        try:
            with self.path.open("rb") as file:
                file.seek(self.offset)
                data = file.read()
        except OSError:
            return []
        self.offset += len(data)
        return data.decode("utf-8", errors="replace").splitlines()


class AppLog(logging.Handler):
    """The records one app logs (its own logger: Flask and Quart log a view's exception there)."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info and record.exc_info[1] is not None:
            self.lines.append(traceback.format_exception_only(record.exc_info[1])[-1].rstrip())
        else:
            self.lines.append(record.getMessage())

    def taken(self) -> list[str]:
        lines, self.lines = self.lines, []
        return lines


@contextmanager
def listening(app: Flask | Quart) -> Iterator[AppLog]:
    handler = AppLog()
    app.logger.addHandler(handler)
    try:
        yield handler
    finally:
        app.logger.removeHandler(handler)


@contextmanager
def warnings_said() -> Iterator[list[str]]:
    """Every warning raised meanwhile, as Python would print its message, recorded instead of shown (or raised:
    what the app under comparison warns of is reported, whatever this process's own filters say)."""
    said: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield said
        gc.collect(1)  # what the case made and left in a cycle, freed now (and its warning said) rather than later
        said += [f"{warning.category.__name__}: {warning.message}" for warning in caught]
