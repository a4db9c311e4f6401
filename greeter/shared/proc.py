"""Processes as Linux's /proc shows them: a process's children, its CPU time and memory, who holds a socket.

Only a process of our own (or everyone's, for root) shows its open files; a process may end between two looks,
and then counts as having nothing.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

PROC = Path("/proc")
TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


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
    link = f"socket:[{inode}]"
    holders = []
    for pid in pids(proc):
        try:
            if any(os.readlink(fd) == link for fd in (proc / str(pid) / "fd").iterdir()):
                holders.append(pid)
        except OSError:  # another user's process, or one that just ended
            continue
    return tuple(sorted(holders))
