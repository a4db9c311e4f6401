"""Which source files changed: what `greeter --reload` watches, polled from the supervisor. No framework."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from greeter.resources import PACKAGE_DIR, TEMPLATES_DIR

POLL_SECONDS = 0.2  # how often the files are looked at: an edit is served well within a second

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
    """Remembers the last look at the watched files, and says what changed since."""

    def __init__(self, watched: tuple[Watched, ...]) -> None:
        self.watched = watched
        self._last = stamps(watched)

    def changes(self) -> list[Path]:
        """The files changed since the last call (or since the watcher was made)."""
        now = stamps(self.watched)
        changed = changed_files(self._last, now)
        self._last = now
        return changed


def describe_change(changed: list[Path], here: Path) -> str:
    """One line for the terminal: which file changed, relative to the current folder when it is under it."""
    first = changed[0]
    name = first.relative_to(here) if first.is_relative_to(here) else first
    others = len(changed) - 1
    also = "" if not others else f" and {others} other file{'s' if others > 1 else ''}"
    return f"{name}{also} changed; reloading"
