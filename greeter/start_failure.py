"""The error that keeps the code from starting, as a student reads it: their own file, line and message.

Whatever greeter, click, importlib or multiprocessing did on the way there is left out: a syntax error is the
file, the line, the caret and the message (as Python prints it), any other error the frames in the code served.
"""

from __future__ import annotations

import sys
import sysconfig
import traceback
from pathlib import Path

# greeter's own start-up machinery: never where a student's mistake is
MACHINERY = ("__init__.py", "__main__.py", "cli.py", "command.py", "serve.py", "supervisor.py")
LIBRARY_FOLDERS = tuple(
    str(Path(sysconfig.get_paths()[key]).resolve()) for key in ("stdlib", "platstdlib", "purelib", "platlib")
)


def describe_start_failure(error: BaseException, package_dir: Path) -> str:
    """The error, compact: for a SyntaxError Python's own four lines; else the frames in the student's code."""
    if isinstance(error, SyntaxError):
        return "".join(traceback.format_exception_only(error)).rstrip("\n")
    frames = [frame for frame in traceback.extract_tb(error.__traceback__) if _is_students(frame.filename, package_dir)]
    lines = traceback.format_list(frames) + traceback.format_exception_only(error)
    heading = ["Traceback (most recent call last):\n"] if frames else []
    return "".join(heading + lines).rstrip("\n")


def _is_students(filename: str, package_dir: Path) -> bool:
    if filename.startswith("<"):  # <frozen importlib._bootstrap> and the like
        return False
    path = Path(filename).resolve()
    if path.is_relative_to(package_dir):  # the app's code, wherever it is installed
        return not (path.parent == package_dir and path.name in MACHINERY)
    return not str(path).startswith(LIBRARY_FOLDERS)


def say_start_failure(error: BaseException, package_dir: Path) -> None:
    print(describe_start_failure(error, package_dir), file=sys.stderr, flush=True)
