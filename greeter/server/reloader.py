"""What `greeter --reload` watches and which files changed, looked at from the supervisor when the kernel says a
watched folder changed (greeter/server/file_events.py), else polled; that no stale bytecode is served; and whether
the code served is the checkout you are in at all. No framework."""

from __future__ import annotations

import importlib.util
import py_compile
import sys
import time
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from greeter.server.file_events import FileEvents, file_events
from greeter.shared.paths import PACKAGE_DIR, TEMPLATES_DIR

POLL_SECONDS = 0.2  # without the kernel's events, how often the files are looked at
# with them, a look all the same this often: a file changed where inotify does not see it (on NFS, by another
# machine) is still served, a little later
LOOK_ANYWAY_SECONDS = 2.0
SETTLE_SECONDS = 0.02  # after an event, the rest of the editor's save (a rename, a chmod) comes within this

# (size, modification time): an edit that keeps the size still changes the time
Stamp = tuple[int, int]


@dataclass(frozen=True)
class Watched:
    """A folder and which of the files under it count: the package's Python files, or every template."""

    folder: Path
    pattern: str


def served_sources() -> tuple[Watched, ...]:
    """What the workers import and render: the greeter package and the templates folder actually in use.

    These are the folders this process imported from, which the workers import from too (they start with this
    process's sys.path); in an editable install that is the checkout, in a plain one the installed copy.
    """
    return Watched(PACKAGE_DIR, "*.py"), Watched(TEMPLATES_DIR, "*")


def is_editor_litter(path: Path) -> bool:
    """Swap, lock and backup files that editors write beside a file (.views.py.swp, .#greet.html, greet.html~)."""
    return path.name.startswith((".", "#")) or path.name.endswith("~")


def stamps(watched: Iterable[Watched]) -> dict[Path, Stamp]:
    """Every watched file and its stamp, right now."""
    found: dict[Path, Stamp] = {}
    for entry in watched:
        for path in entry.folder.rglob(entry.pattern):
            if is_editor_litter(path) or "__pycache__" in path.parts:
                continue
            try:
                status = path.stat()
            except OSError:  # gone between the listing and the look: the next poll sees it gone
                continue
            if path.is_file():
                found[path] = (status.st_size, status.st_mtime_ns)
    return found


def changed_files(before: dict[Path, Stamp], after: dict[Path, Stamp]) -> list[Path]:
    """The files added, removed or edited between two looks, in name order."""
    return sorted(path for path in before.keys() | after.keys() if before.get(path) != after.get(path))


class Watcher:
    """Remembers the last look at the watched files, and says what changed since; told when to look again by the
    kernel's events where there are any (its fileno() is theirs), else by the clock."""

    def __init__(self, watched: tuple[Watched, ...], *, events: bool = True) -> None:
        self.watched = watched
        self.events: FileEvents | None = file_events(entry.folder for entry in watched) if events else None
        self._last = stamps(watched)
        self._next_look = time.monotonic() + self._interval()

    def _interval(self) -> float:
        return LOOK_ANYWAY_SECONDS if self.events is not None else POLL_SECONDS

    def fileno(self) -> int | None:
        """What to wait on for the kernel's events; None when polling."""
        return self.events.fileno() if self.events is not None else None

    def timeout(self) -> float:
        """Seconds until the next look is due, if no event comes first."""
        return max(0.0, self._next_look - time.monotonic())

    def changes(self) -> list[Path]:
        """The files changed since the last look (or since the watcher was made), looking now if an event came or
        a look is due; else nothing."""
        if self.events is not None and self.events.drain():
            time.sleep(SETTLE_SECONDS)  # the whole save, not its first step: one reload per save
            self.events.drain()
        elif time.monotonic() < self._next_look:
            return []
        self._next_look = time.monotonic() + self._interval()
        now = stamps(self.watched)
        changed = changed_files(self._last, now)
        self._last = now
        return changed

    def close(self) -> None:
        if self.events is not None:
            self.events.close()


def fresh_bytecode(changed: Iterable[Path]) -> None:
    """Make each changed Python file's cached bytecode one that Python checks against the source's content.

    Python trusts a timestamp .pyc whose source has the same size and the same modification time in whole seconds:
    a second save of the same size within the second (a typo fixed, "Helo" to "Hola") was served from the first
    save's .pyc. A checked-hash .pyc is used only while the source hashes the same, and Python writes the next one
    the same way (importlib keeps a .pyc hash-based), so no worker is ever served the code of a save before, even
    one that was still starting when the file changed again. A file that does not compile loses its .pyc: the
    worker then says its error as Python does."""
    for path in changed:
        if path.suffix != ".py":
            continue
        with suppress(NotImplementedError, ValueError):  # no bytecode cache at all
            cached = importlib.util.cache_from_source(str(path))
            if path.is_file() and not sys.dont_write_bytecode:
                try:
                    py_compile.compile(
                        str(path), cached, doraise=True, invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH
                    )
                    continue
                except (py_compile.PyCompileError, OSError):  # a syntax error, or a folder not ours to write
                    pass
            with suppress(OSError):
                Path(cached).unlink(missing_ok=True)


def describe_change(changed: list[Path], here: Path) -> str:
    """One line for the terminal: which files changed (two or three each named, more counted), relative to the
    current folder when they are under it."""
    names = [str(path.relative_to(here) if path.is_relative_to(here) else path) for path in changed]
    if len(names) <= 3:
        said = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
    else:
        said = f"{names[0]} and {len(names) - 1} other files"
    return f"{said} changed; reloading"


def enclosing_checkout(folder: Path) -> Path | None:
    """The greeter checkout that `folder` is in (a pyproject.toml beside a greeter package), if any."""
    for candidate in (folder, *folder.parents):
        if (candidate / "pyproject.toml").is_file() and (candidate / "greeter" / "__init__.py").is_file():
            return candidate
    return None


def other_copy_warning(here: Path, package_dir: Path = PACKAGE_DIR) -> str | None:
    """A warning when `here` is in a greeter checkout but the code served is another copy; else None.

    After a plain `pip install .` the command imports the copy in site-packages: edits in the checkout
    change nothing until the next install, with or without --reload.
    """
    checkout = enclosing_checkout(here.resolve())
    if checkout is None or (checkout / "greeter").resolve() == package_dir:
        return None
    return (
        f"the code served is the copy in {package_dir}, not this checkout's ({checkout / 'greeter'}):"
        " edits here change nothing until you install again; install the checkout editable once"
        " (`.venv/bin/pip install -e .`) and every edit is served."
    )
