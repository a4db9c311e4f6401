"""What each student's socket is: running, hung, stale, missing or suspicious, from the file system, /proc and
one request.

The file system says what the socket is and whose; /proc/net/unix and /proc say which process listens on it
(greeter/shared/proc.py); a GET / through it, as the web server sends one, says whether that process answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pwd
import socket
import stat
import time
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path

from greeter.shared import proc
from greeter.tools.course.folders import SOCKET_NAME

FOLDER_MODE = 0o2750  # as the recipe makes it: the student writes, the web server's group enters, others nothing
SOCKET_MODE = 0o660  # as greeter makes it
PROBES_AT_ONCE = 50  # a whole course at once, with a bound for a very large one


class State(StrEnum):
    RUNNING = "running"  # a greeter of the student's answered
    HUNG = "hung"  # it accepts connections but does not answer in time
    STALE = "stale"  # a socket file nobody listens on: left by a greeter that was killed
    MISSING = "missing"  # no socket: the student is not serving
    SUSPICIOUS = "suspicious"  # not a socket, a link, the wrong owner or mode, another account's process
    UNKNOWN = "unknown"  # this command may not look (not root, not in the web server's group)


@dataclass(frozen=True)
class SocketStatus:
    """One student's socket, as the teacher's table shows it."""

    student: str
    state: State
    socket: Path
    note: str = ""
    pid: int | None = None  # the process that listens (a supervisor, not its workers)
    since: float | None = None  # when that process started, seconds since the epoch
    http_status: int | None = None
    answer_ms: float | None = None


def survey(folder: Path, students: list[str], timeout: float) -> list[SocketStatus]:
    """Every student's socket in `folder`, looked at together: the whole course takes about `timeout` at most."""
    looked = [_look(folder, name) for name in students]
    listeners = proc.listening_unix_sockets()
    inodes = [inode for status in looked for inode in listeners.get(str(status.socket), [])]
    holders = proc.holders_of(inodes)
    with_process = [_with_process(status, listeners, holders) for status in looked]
    return asyncio.run(_probe_all(with_process, timeout))


def _look(folder: Path, name: str) -> SocketStatus:
    """What the folder and the socket file are; RUNNING here means only "a socket: ask it"."""
    socket_path = folder / name / SOCKET_NAME
    status = SocketStatus(name, State.RUNNING, socket_path)
    try:
        account = pwd.getpwnam(name)
    except KeyError:
        return replace(status, state=State.SUSPICIOUS, note=f"there is no account named {name}")
    try:
        student_folder = os.lstat(folder / name)
    except FileNotFoundError:  # removed since the listing
        return replace(status, state=State.MISSING, note="no folder")
    if problem := _folder_problem(student_folder, account):
        return replace(status, state=State.SUSPICIOUS, note=problem)
    try:
        found = os.lstat(socket_path)
    except FileNotFoundError:
        return replace(status, state=State.MISSING, note="no socket: not serving")
    except PermissionError:
        return replace(status, state=State.UNKNOWN, note="cannot look in the folder: run it as root")
    if problem := _socket_problem(socket_path, found, account, student_folder.st_gid):
        return replace(status, state=State.SUSPICIOUS, note=problem)
    return status


def _folder_problem(found: os.stat_result, account: pwd.struct_passwd) -> str:
    if stat.S_ISLNK(found.st_mode):
        return "the folder is a link"
    if not stat.S_ISDIR(found.st_mode):
        return "the folder is not a folder"
    if found.st_uid != account.pw_uid:
        return f"the folder belongs to {_user_name(found.st_uid)}, not {account.pw_name}"
    if stat.S_IMODE(found.st_mode) != FOLDER_MODE:
        return f"the folder is mode {stat.S_IMODE(found.st_mode):04o}, not {FOLDER_MODE:04o}"
    return ""


def _socket_problem(path: Path, found: os.stat_result, account: pwd.struct_passwd, folder_gid: int) -> str:
    if stat.S_ISLNK(found.st_mode):
        return f"the socket is a link to {os.readlink(path)}"
    if not stat.S_ISSOCK(found.st_mode):
        return f"{SOCKET_NAME} is {_kind(found.st_mode)}, not a socket"
    if found.st_uid != account.pw_uid:
        return f"the socket belongs to {_user_name(found.st_uid)}, not {account.pw_name}"
    if stat.S_IMODE(found.st_mode) != SOCKET_MODE:
        return f"the socket is mode {stat.S_IMODE(found.st_mode):04o}, not {SOCKET_MODE:04o}"
    if found.st_gid != folder_gid:
        return "the socket's group is not its folder's (the web server's)"
    return ""


def _with_process(
    status: SocketStatus, listeners: dict[str, list[int]], holders: dict[int, tuple[int, ...]]
) -> SocketStatus:
    """The process that listens on the socket, if /proc shows one; another account's is suspicious."""
    if status.state is not State.RUNNING:
        return status
    holding = {pid for inode in listeners.get(str(status.socket), []) for pid in holders.get(inode, ())}
    # the supervisor: its workers, which hold the socket too, are its children
    servers = sorted(pid for pid in holding if proc.parent(pid) not in holding)
    if not servers:
        return status
    pid = servers[0]
    status = replace(status, pid=pid, since=proc.started_at(pid))
    uid = proc.owner(pid)
    if uid is not None and uid != pwd.getpwnam(status.student).pw_uid:
        return replace(status, state=State.SUSPICIOUS, note=f"served by a process of {_user_name(uid)}")
    return status


async def _probe_all(statuses: list[SocketStatus], timeout: float) -> list[SocketStatus]:
    limit = asyncio.Semaphore(PROBES_AT_ONCE)

    async def probe(status: SocketStatus) -> SocketStatus:
        if status.state is not State.RUNNING:
            return status
        async with limit:
            return await _probe(status, timeout)

    return list(await asyncio.gather(*(probe(status) for status in statuses)))


async def _probe(status: SocketStatus, timeout: float) -> SocketStatus:
    """GET / through the socket, as the web server asks for the student's URL, within `timeout`."""
    started = time.monotonic()
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    connection.setblocking(False)
    try:
        # a Unix socket connects at once or not at all, never "in progress": asyncio would wait for a full
        # backlog's EAGAIN to become writable, then take it for connected (and the write for a hang-up)
        connection.connect(str(status.socket))
    except OSError as error:
        connection.close()
        return _not_connected(status, error)
    reader, writer = await asyncio.open_unix_connection(sock=connection)
    try:
        writer.write(
            f"GET / HTTP/1.1\r\nHost: localhost\r\nX-Forwarded-Prefix: /~{status.student}/greeter\r\n"
            "Connection: close\r\n\r\n".encode()
        )
        remaining = timeout - (time.monotonic() - started)
        status_line = await asyncio.wait_for(reader.readline(), max(remaining, 0.001))
    except TimeoutError:
        return replace(status, state=State.HUNG, note=f"accepts, but no answer in {timeout:g} s")
    except OSError:
        status_line = b""
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
    elapsed_ms = (time.monotonic() - started) * 1000
    words = status_line.split()
    if len(words) < 2 or not words[0].startswith(b"HTTP/") or not words[1].isdigit():
        return replace(status, state=State.HUNG, note="accepts, then closes without an answer")
    return replace(status, http_status=int(words[1]), answer_ms=elapsed_ms)


def _not_connected(status: SocketStatus, error: OSError) -> SocketStatus:
    """What a refused connect says about the student's greeter."""
    if isinstance(error, BlockingIOError):  # EAGAIN from a Unix socket: its backlog is full
        return replace(status, state=State.HUNG, note="does not accept: its backlog is full")
    if isinstance(error, ConnectionRefusedError):
        return replace(status, state=State.STALE, note="nothing listens: left by a greeter that was killed")
    if isinstance(error, PermissionError):
        return replace(status, state=State.UNKNOWN, note="cannot connect: run it as root (or as www-data)")
    if isinstance(error, FileNotFoundError):  # its greeter stopped and removed it meanwhile
        return replace(status, state=State.MISSING, note="no socket: not serving")
    return replace(status, state=State.UNKNOWN, note=f"cannot connect: {error.strerror or error}")


def _kind(mode: int) -> str:
    if stat.S_ISREG(mode):
        return "a regular file"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    return "a device or special file"


def _user_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"UID {uid}"
