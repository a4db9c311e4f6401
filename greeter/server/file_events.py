"""The kernel's word that a watched folder changed (Linux's inotify, through ctypes: the standard library has no
binding), so that `greeter --reload` sleeps until a file is saved instead of looking at every file five times a
second: an edit is seen at once, and an idle supervisor costs no CPU (on a course server, a hundred of them).

It only wakes the supervisor: what changed is still what greeter/server/reloader.py's stamps say, so an event
too many costs one look, and one missed (a folder made and filled in an instant) is caught by the next look.
Where there is no inotify (not Linux, or the user's inotify instances all taken) the reloader polls, as before.
"""

from __future__ import annotations

import errno
import os
import struct
import sys
from collections.abc import Iterable
from contextlib import suppress
from pathlib import Path

# <sys/inotify.h>: what is watched on each folder, and what an event says
IN_ATTRIB = 0x4  # a file's times changed (`touch`)
IN_CLOSE_WRITE = 0x8  # a file written and closed: a save, whole
IN_MOVED_FROM, IN_MOVED_TO = 0x40, 0x80  # a file renamed away, or into place (an editor's safe save)
IN_CREATE, IN_DELETE = 0x100, 0x200
IN_DELETE_SELF, IN_MOVE_SELF = 0x400, 0x800
IN_ONLYDIR = 0x01000000
IN_ISDIR = 0x40000000
IN_NONBLOCK, IN_CLOEXEC = os.O_NONBLOCK, os.O_CLOEXEC
WATCHED = IN_ATTRIB | IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO | IN_CREATE | IN_DELETE | IN_DELETE_SELF
WATCHED |= IN_MOVE_SELF
EVENT = struct.Struct("iIII")  # struct inotify_event: wd, mask, cookie, len; then len bytes of name
NOT_WATCHED = ("__pycache__",)  # what greeter writes itself (the workers' bytecode) never wakes it


class FileEvents:
    """An inotify instance watching folders, and the folders made in them as they come."""

    def __init__(self, folders: Iterable[Path]) -> None:
        import ctypes  # here: only where there is inotify to ask

        self._libc = ctypes.CDLL(None, use_errno=True)
        fd = self._libc.inotify_init1(IN_NONBLOCK | IN_CLOEXEC)
        if fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1")
        self.fd: int | None = fd
        self._get_errno = ctypes.get_errno
        self._folders: dict[int, Path] = {}
        try:
            for folder in folders:
                self._watch_tree(folder)
        except OSError:
            self.close()
            raise

    def fileno(self) -> int | None:
        return self.fd

    def _watch_tree(self, top: Path) -> None:
        for folder in [top, *(path for path in top.rglob("*") if path.is_dir())]:
            if not any(part in NOT_WATCHED or part.startswith(".") for part in folder.relative_to(top).parts):
                self._watch(folder)

    def _watch(self, folder: Path) -> None:
        assert self.fd is not None
        descriptor = self._libc.inotify_add_watch(self.fd, os.fsencode(folder), WATCHED | IN_ONLYDIR)
        if descriptor < 0:
            code = self._get_errno()
            if code in (errno.ENOENT, errno.ENOTDIR):  # gone meanwhile: nothing to watch
                return
            raise OSError(code, f"inotify_add_watch {folder}")  # ENOSPC: the user's watches all taken
        self._folders[descriptor] = folder

    def drain(self) -> bool:
        """Read every event waiting; a new folder is watched from now on. Whether there was any."""
        if self.fd is None:
            return False
        seen = False
        while True:
            try:
                data = os.read(self.fd, 65536)
            except BlockingIOError:
                return seen
            seen = True
            offset = 0
            while offset < len(data):
                descriptor, mask, _, length = EVENT.unpack_from(data, offset)
                name = data[offset + EVENT.size : offset + EVENT.size + length].rstrip(b"\0")
                offset += EVENT.size + length
                parent = self._folders.get(descriptor)
                if mask & IN_ISDIR and mask & (IN_CREATE | IN_MOVED_TO) and parent is not None and name:
                    made = parent / os.fsdecode(name)
                    if made.name not in NOT_WATCHED and not made.name.startswith("."):
                        with suppress(OSError):  # too many watches now: the reloader's looks catch the rest
                            self._watch_tree(made)

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def file_events(folders: Iterable[Path]) -> FileEvents | None:
    """Events for these folders and every folder under them; None where the kernel cannot give them."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return FileEvents(folders)
    except (OSError, AttributeError):  # no inotify here, or too few instances or watches left for this user
        return None
