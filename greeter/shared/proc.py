"""Processes as Linux's /proc shows them: a process's children, its CPU time and memory, who holds a socket,
which Unix sockets listen, and who owns a process and since when it runs.

Only a process of our own (or everyone's, for root) shows its open files; a process may end between two looks,
and then counts as having nothing.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterator
from pathlib import Path

PROC = Path("/proc")
TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")
ACCEPTS_CONNECTIONS = 0x10000  # __SO_ACCEPTCON in /proc/net/unix's Flags: a listening socket


def pids(proc: Path = PROC) -> Iterator[int]:
    """Every process there is now."""
    for entry in proc.iterdir():
        if entry.name.isdigit():
            yield int(entry.name)


def children(pid: int, proc: Path = PROC) -> list[int]:
    """The process's children, from every one of its threads (a child belongs to the thread that started it)."""
    found = []
    for task in (proc / str(pid) / "task").glob("*/children"):
        try:
            found += [int(child) for child in task.read_text().split()]
        except FileNotFoundError:  # the thread ended since the listing (a threaded server's, per request)
            continue
    return found


def process_tree(pid: int, proc: Path = PROC) -> list[int]:
    """The process and all its descendants alive now (a supervisor and its workers, and theirs)."""
    found, waiting = [], [pid]
    while waiting:
        current = waiting.pop()
        found.append(current)
        waiting += children(current, proc)
    return found


def cpu_seconds(pid: int, proc: Path = PROC) -> float:
    """User plus system CPU time the process has spent so far."""
    try:
        stat = (proc / str(pid) / "stat").read_text()
    except FileNotFoundError:
        return 0.0
    # the command name (field 2) is in brackets and may hold spaces: count the fields after its last bracket
    fields = stat[stat.rindex(")") + 2 :].split()
    utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of proc(5)
    return (utime + stime) / TICKS_PER_SECOND


def tree_cpu_seconds(pid: int, proc: Path = PROC) -> float:
    """The CPU time of the process and all its descendants alive now."""
    return sum(cpu_seconds(each, proc) for each in process_tree(pid, proc))


def rss_bytes(pid: int, proc: Path = PROC) -> int:
    """The process's resident memory."""
    try:
        status = (proc / str(pid) / "status").read_text()
    except FileNotFoundError:
        return 0
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def command_name(pid: int, proc: Path = PROC) -> str:
    """The name `ps` shows for the process (its title, for a worker greeter named)."""
    try:
        return (proc / str(pid) / "comm").read_text().strip()
    except OSError:
        return "?"


def processes_holding(inode: int, proc: Path = PROC) -> tuple[int, ...]:
    """The processes we may see that hold the socket with this inode open."""
    return holders_of([inode], proc).get(inode, ())


def holders_of(inodes: Collection[int], proc: Path = PROC) -> dict[int, tuple[int, ...]]:
    """The processes we may see that hold each of these sockets open, by inode: one look through every process."""
    wanted = {f"socket:[{inode}]": inode for inode in inodes}
    holders: dict[int, list[int]] = {}
    for pid in pids(proc):
        try:
            for fd in (proc / str(pid) / "fd").iterdir():
                if (inode := wanted.get(os.readlink(fd))) is not None and pid not in holders.get(inode, []):
                    holders.setdefault(inode, []).append(pid)
        except OSError:  # another user's process, or one that just ended
            continue
    return {inode: tuple(sorted(found)) for inode, found in holders.items()}


def listening_unix_sockets(proc: Path = PROC) -> dict[str, list[int]]:
    """The paths Unix sockets listen on now (in our network namespace), each with its listening sockets' inodes."""
    listening: dict[str, list[int]] = {}
    try:
        lines = (proc / "net" / "unix").read_text().splitlines()[1:]
    except OSError:
        return listening
    for line in lines:
        # Num RefCount Protocol Flags Type St Inode Path; the path, last, may hold spaces; unnamed ones have none
        fields = line.split(maxsplit=7)
        if len(fields) == 8 and int(fields[3], 16) & ACCEPTS_CONNECTIONS:
            listening.setdefault(fields[7], []).append(int(fields[6]))
    return listening


def parent(pid: int, proc: Path = PROC) -> int | None:
    """The process's parent, or None if it has ended."""
    fields = _stat_fields(pid, proc)
    return int(fields[1]) if fields else None


def owner(pid: int, proc: Path = PROC) -> int | None:
    """The UID the process runs as (the owner of its /proc folder), or None if it has ended."""
    try:
        return (proc / str(pid)).stat().st_uid
    except OSError:
        return None


def started_at(pid: int, proc: Path = PROC) -> float | None:
    """When the process started, in seconds since the epoch, or None if it has ended."""
    fields = _stat_fields(pid, proc)
    if fields is None:
        return None
    try:
        boot = next(line for line in (proc / "stat").read_text().splitlines() if line.startswith("btime "))
    except (OSError, StopIteration):
        return None
    return int(boot.split()[1]) + int(fields[19]) / TICKS_PER_SECOND  # field 22 of proc(5): ticks since boot


def _stat_fields(pid: int, proc: Path) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (state first), or None if the process has ended."""
    try:
        stat = (proc / str(pid) / "stat").read_text()
    except OSError:
        return None
    # the command name (field 2) is in brackets and may hold spaces: count the fields after its last bracket
    return stat[stat.rindex(")") + 2 :].split()


def memory_rollup(pid: int, proc: Path = PROC) -> dict[str, int]:
    """The process's memory as smaps_rollup sums it, in bytes: Rss, Pss (each shared page divided among the
    processes that map it), Pss_Anon, Pss_File, Private_Clean, Private_Dirty, ...; empty if it is gone."""
    try:
        text = (proc / str(pid) / "smaps_rollup").read_text()
    except OSError:
        return {}
    figures = {}
    for line in text.splitlines()[1:]:  # the first line is the address range
        name, _, rest = line.partition(":")
        value = rest.split()
        if len(value) == 2 and value[1] == "kB":
            figures[name] = int(value[0]) * 1024
    return figures


def command_line(pid: int, proc: Path = PROC) -> tuple[str, ...]:
    """The process's arguments (a title set with setproctitle is its first and only one); () if it is gone."""
    try:
        raw = (proc / str(pid) / "cmdline").read_bytes()
    except OSError:
        return ()
    return tuple(part.decode(errors="replace") for part in raw.split(b"\0") if part)
