"""The error that keeps the code from starting, as a student reads it: their own file, line and message.

Whatever greeter, click, importlib or multiprocessing did on the way there is left out: a syntax error is the
file, the line, the caret and the message (as Python prints it), any other error the frames in the code served.
"""

from __future__ import annotations

import sys
import traceback
from pathlib import Path

from greeter.shared.paths import is_students_code


def describe_start_failure(error: BaseException, package_dir: Path) -> str:
    """The error, compact: for a SyntaxError Python's own four lines; else the frames in the student's code."""
    if isinstance(error, SyntaxError):
        return "".join(traceback.format_exception_only(error)).rstrip("\n")
    frames = [
        frame for frame in traceback.extract_tb(error.__traceback__) if is_students_code(frame.filename, package_dir)
    ]
    lines = traceback.format_list(frames) + traceback.format_exception_only(error)
    heading = ["Traceback (most recent call last):\n"] if frames else []
    return "".join(heading + lines).rstrip("\n")


def say_start_failure(error: BaseException, package_dir: Path) -> None:
    print(describe_start_failure(error, package_dir), file=sys.stderr, flush=True)
