"""CPU time a server spends, read from /proc: steady on a shared machine, where requests per second are not."""

from __future__ import annotations

import os
from pathlib import Path

PROC = Path("/proc")
TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(pid: int) -> float:
    """User plus system CPU time of the process and all its descendants alive now (a supervisor and its workers)."""
    return sum(_cpu_seconds(each) for each in _tree(pid))


def _tree(pid: int) -> list[int]:
    found, waiting = [], [pid]
    while waiting:
        current = waiting.pop()
        found.append(current)
        for task in (PROC / str(current) / "task").glob("*/children"):
            try:
                waiting += [int(child) for child in task.read_text().split()]
            except FileNotFoundError:  # the thread or process ended meanwhile
                continue
    return found


def _cpu_seconds(pid: int) -> float:
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except FileNotFoundError:  # it exited meanwhile
        return 0.0
    # the command name (field 2) is in brackets and may hold spaces: count the fields after its last bracket
    fields = stat[stat.rindex(")") + 2 :].split()
    utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of proc(5)
    return (utime + stime) / TICKS_PER_SECOND
