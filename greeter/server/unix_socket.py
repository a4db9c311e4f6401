"""Serving on a Unix domain socket: the file created safely, a stale one replaced, a live one left alone.

Who may connect is decided by the file system, not by greeter's code: the socket file is mode 0660, so only
its owner and its group can connect. Its group is the folder's when the folder has the set-group-ID bit, as
the course's socket folders do (`install -d -o ann -g www-data -m 2750 /srv/greeter-sockets/ann`): then the
web server's group, and no other local user, can reach the app.
"""

from __future__ import annotations

import contextlib
import errno
import grp
import os
import socket
import stat
from dataclasses import dataclass
from pathlib import Path

from greeter.server.listen import ServeError

SOCKET_MODE = 0o660  # owner and group may connect; nobody else
BIND_UMASK = 0o117  # the file is born 0660: no moment when others could connect before the chmod
PROBE_TIMEOUT_SECONDS = 1.0
# sun_path is 108 bytes on Linux, the terminating NUL included
MAX_PATH_BYTES = 107


@dataclass(frozen=True)
class UnixListener:
    """The listening socket, and what is needed to remove its file on a clean stop, and only that file."""

    sock: socket.socket
    path: Path
    device: int
    inode: int
    gid: int

    @property
    def group(self) -> str:
        """The group that may connect besides the owner (the web server's, in the course's folders)."""
        try:
            return grp.getgrgid(self.gid).gr_name
        except KeyError:  # a group with no name on this machine
            return str(self.gid)

    def remove(self) -> None:
        """Remove the socket file if it is still the one this server made (not a newer server's)."""
        try:
            now = os.stat(self.path)
            if (now.st_dev, now.st_ino) == (self.device, self.inode):
                self.path.unlink(missing_ok=True)
        except OSError:  # gone, or out of reach now: a file left behind is replaced by the next start
            return


def listen_unix(path: Path) -> UnixListener:
    """Listen on a Unix socket at `path`: one sentence (ServeError) for anything that stops it."""
    try:
        path = Path(os.path.abspath(path))
    except FileNotFoundError:  # a relative path, and the current folder was removed
        raise ServeError(
            f"the socket path {path} is relative to the current folder, which no longer exists; give a full path."
        ) from None
    if len(os.fsencode(path)) > MAX_PATH_BYTES:
        raise ServeError(
            f"the socket path {path} is too long for a Unix socket; use one of at most {MAX_PATH_BYTES} bytes."
        )
    _require_folder(path)
    _remove_if_stale(path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    previous_umask = os.umask(BIND_UMASK)
    try:
        sock.bind(os.fspath(path))
    except OSError as error:
        sock.close()
        if error.errno in (errno.EACCES, errno.EPERM):
            raise ServeError(
                f"cannot create the socket {path}: the folder {path.parent} is not yours to write in."
            ) from None
        if error.errno == errno.EADDRINUSE:  # another server made it between our check and our bind
            raise ServeError(_in_use(path)) from None
        raise ServeError(f"cannot create the socket {path}: {_reason(error)}.") from None
    finally:
        os.umask(previous_umask)
    try:
        os.chmod(path, SOCKET_MODE)  # whatever the umask did, exactly 0660
        made = os.stat(path)
    except OSError as error:
        sock.close()
        with contextlib.suppress(OSError):
            path.unlink()
        raise ServeError(f"cannot make the socket {path} mode 0660: {_reason(error)}.") from None
    sock.listen(1024)
    return UnixListener(sock, path, made.st_dev, made.st_ino, made.st_gid)


def _require_folder(path: Path) -> None:
    """The socket's folder exists, is a folder, and this user can enter it."""
    try:
        folder = os.stat(path.parent)
    except FileNotFoundError:
        raise ServeError(
            f"cannot create the socket {path}: the folder {path.parent} does not exist"
            " (on a course server the admin makes it: see docs/production.md)."
        ) from None
    except OSError as error:
        raise ServeError(_out_of_reach(path, error)) from None
    if not stat.S_ISDIR(folder.st_mode):
        raise ServeError(f"cannot create the socket {path}: {path.parent} is not a folder.")


def _remove_if_stale(path: Path) -> None:
    """A socket file left by a crashed run is removed; a live server's is never touched."""
    try:
        found = os.lstat(path)
    except FileNotFoundError:
        return
    except OSError as error:  # a folder on the way that this user cannot enter (a classmate's), and the like
        raise ServeError(_out_of_reach(path, error)) from None
    if not stat.S_ISSOCK(found.st_mode):
        raise ServeError(f"{path} exists and is not a socket; choose another path for --socket.")
    if _answers(path):
        raise ServeError(_in_use(path))
    try:
        path.unlink()
    except PermissionError:
        raise ServeError(f"{path} is a stale socket of another user; ask them or the admin to remove it.") from None
    except FileNotFoundError:  # its server removed it meanwhile
        pass
    except OSError as error:
        raise ServeError(f"cannot remove the stale socket {path}: {_reason(error)}.") from None


def _answers(path: Path) -> bool:
    """Whether a server listens on the socket: connect and see."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.settimeout(PROBE_TIMEOUT_SECONDS)
        try:
            probe.connect(os.fspath(path))
        except (ConnectionRefusedError, FileNotFoundError):  # nobody listens (or its server just removed it)
            return False
        except PermissionError:
            raise ServeError(f"{path} is another user's socket; choose another path for --socket.") from None
        except (TimeoutError, BlockingIOError):  # a server so busy it cannot accept (its backlog full): alive
            return True
        except OSError as error:
            raise ServeError(f"cannot tell whether a server listens on {path}: {_reason(error)}.") from None
        return True


def _out_of_reach(path: Path, error: OSError) -> str:
    """Why the file system would not even look at `path`, as one sentence."""
    if error.errno in (errno.EACCES, errno.EPERM):
        return f"{path} is in a folder you cannot enter (another user's?); serve on a socket in a folder of your own."
    if error.errno == errno.ENOTDIR:
        return f"cannot create the socket {path}: {path.parent} is not a folder."
    return f"cannot create the socket {path}: {_reason(error)}."


def _reason(error: OSError) -> str:
    """The system's words for an error, without Python's [Errno n] and repeated file name."""
    return os.strerror(error.errno) if error.errno else str(error)


def _in_use(path: Path) -> str:
    return f"{path} is in use by a running server; stop that one first, or choose another path."
