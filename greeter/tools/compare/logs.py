"""What each app said while it answered a case: the last line of each exception it logged, and each warning.

A 500 says only that something failed; the log says what (`AttributeError: 'coroutine' object has no attribute
'get'`). Over HTTP it is read from each server's log as it grows. In-process the apps' loggers are heard, and
Python's warnings too, which can say what no status shows (`RuntimeWarning: coroutine 'flash' was never awaited`).
A warning comes when its object is freed: a server frees a coroutine held by a traceback whenever it collects, so
over HTTP a warning may stand beside a later case than its own; in-process each case ends with a collection (of
only what the comparison made: `frozen_before` keeps the rest out of it), so each warning is its case's own.
greeter/tools/compare/verdict.py judges what they said: a coroutine never awaited is a porting bug.
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
from flask.logging import default_handler as flask_default_handler
from quart import Quart
from quart.logging import LocalQueueHandler

MOST_LINES = 3  # of one side, for one case
TRACEBACK = "Traceback (most recent call last):"
# what Python adds after a warning of a coroutine never awaited, telling how to learn more: not news of the app
NOT_NOTABLE = ("RuntimeWarning: Enable tracemalloc to get the object allocation traceback",)
PRINTED_WARNING = re.compile(r"^\S.*?:\d+: (\w+: .*)$")  # `/app/todos.py:68: RuntimeWarning: coroutine ...`


def notable(lines: list[str]) -> tuple[str, ...]:
    """What ends each traceback of a log (the exception: `KeyError: 'x'`), and each warning given alone (as the
    in-process log gives them: `RuntimeWarning: ...`), in order, each once, the last few."""
    found: list[str] = []
    in_traceback = False
    for line in (line.rstrip() for line in lines):
        said = None
        if line == TRACEBACK:
            in_traceback = True
        elif in_traceback and line and not line[0].isspace():  # the first line after the frames: the exception
            in_traceback = False
            said = line
        elif _is_warning(line):
            said = line
        elif (printed := PRINTED_WARNING.match(line)) and _is_warning(printed.group(1)):
            said = printed.group(1)  # as Python prints a warning to stderr: its file and line first
        if said is not None:
            found.append(said)
    return last_few(found)


def last_few(said: list[str]) -> tuple[str, ...]:
    """Each line once, in order, without Python's advice on tracemalloc, the last few."""
    kept: list[str] = []
    for line in said:
        if line not in kept and line not in NOT_NOTABLE:
            kept.append(line)
    return tuple(kept[-MOST_LINES:])


def _is_warning(line: str) -> bool:
    category = line.split(": ", 1)[0]
    return category.endswith("Warning") and category.isidentifier()


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
    """The app's log heard, and its framework's own handler (a traceback to stderr for each exception) set aside
    meanwhile: what it says is in the report's `logged`, not printed before it. A handler of the app's own stays."""
    handler = AppLog()
    logger = app.logger
    defaults = [own for own in logger.handlers if _is_frameworks_default(own)]
    for default in defaults:
        logger.removeHandler(default)
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        for default in defaults:
            logger.addHandler(default)


def _is_frameworks_default(handler: logging.Handler) -> bool:
    # Flask adds flask.logging.default_handler to app.logger; Quart a queue to quart.logging.default_handler
    # (quart/logging.py:create_logger), made anew for each app
    return handler is flask_default_handler or isinstance(handler, LocalQueueHandler)


@contextmanager
def frozen_before() -> Iterator[None]:
    """What exists already left out of every collection meanwhile, so the full one after each case stays quick."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


@contextmanager
def warnings_said() -> Iterator[list[str]]:
    """Every warning raised meanwhile, as Python would print its message, recorded instead of shown (or raised:
    what the app under comparison warns of is reported, whatever this process's own filters say)."""
    said: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield said
        gc.collect()  # what the case made and left in a cycle, freed now (and its warning said) rather than later
        said += [f"{warning.category.__name__}: {warning.message}" for warning in caught]
