"""Where greeter's files are: the package, the templates and the shipped hypercorn.toml, installed or in a checkout.

And which of the package's files are the app a student edits, and which are greeter's machinery.
"""

from __future__ import annotations

import sysconfig
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent.parent
# the folders of the package that are greeter's machinery, not the app: a student's mistake is never there
MACHINERY_FOLDERS = ("shared", "plumbing", "server", "tools")
# the files at the package root that start the app and the command, not the app's own code
MACHINERY_FILES = ("__init__.py", "__main__.py", "cli.py")
# where Python and the installed libraries live: never the student's code either
LIBRARY_FOLDERS = tuple(
    str(Path(sysconfig.get_paths()[key]).resolve()) for key in ("stdlib", "platstdlib", "purelib", "platlib")
)


def _find(name: str) -> Path:
    """Return the absolute path of a top-level project file, installed or in a checkout."""
    # a wheel carries the file inside the package (force-included); a checkout keeps it beside the package
    for candidate in (PACKAGE_DIR / name, PACKAGE_DIR.parent / name):
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"greeter's {name} is neither in {PACKAGE_DIR} nor beside it")


TEMPLATES_DIR = _find("templates")
HYPERCORN_TOML = _find("hypercorn.toml")


def is_machinery(path: Path, package_dir: Path = PACKAGE_DIR) -> bool:
    """Whether a file of the package is greeter's machinery (its folders, the factory, the command line), not the
    app a student edits (views.py, process.py, guard.py, ticker.py, flask_twin/, and any module they add)."""
    if not path.is_relative_to(package_dir):
        return False
    parts = path.relative_to(package_dir).parts
    return parts[0] in MACHINERY_FOLDERS or (len(parts) == 1 and parts[0] in MACHINERY_FILES)


def is_students_code(filename: str, package_dir: Path = PACKAGE_DIR) -> bool:
    """Whether a traceback's file is the student's: the app's own files, or their own code outside the libraries."""
    if filename.startswith("<"):  # <frozen importlib._bootstrap> and the like
        return False
    path = Path(filename).resolve()
    if path.is_relative_to(package_dir):  # the app's code, wherever it is installed; never greeter's machinery
        return not is_machinery(path, package_dir)
    return not str(path).startswith(LIBRARY_FOLDERS)


def shown_path(path: Path | str) -> str:
    """A file or folder as short as it can be said: relative to the current folder when it is under it."""
    resolved = Path(path).resolve()
    here = Path.cwd()
    return str(resolved.relative_to(here)) if resolved.is_relative_to(here) else str(resolved)
