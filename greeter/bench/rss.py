"""A server's resident memory, read from /proc: the worker's, not a supervisor's that only waits on it."""

from __future__ import annotations

from pathlib import Path

PROC = Path("/proc")


def worker_rss_bytes(pid: int) -> int:
    """The RSS of the process's largest child if it has any (the one worker of Gunicorn or Hypercorn, not
    multiprocessing's resource tracker beside it), else its own: every contender runs one worker."""
    children = _children(pid)
    return max(_rss(child) for child in children) if children else _rss(pid)


def _children(pid: int) -> list[int]:
    found = []
    for task in (PROC / str(pid) / "task").glob("*/children"):
        try:
            found += [int(child) for child in task.read_text().split()]
        except FileNotFoundError:  # a thread that ended since the listing (a threaded server's, per request)
            continue
    return found


def _rss(pid: int) -> int:
    try:
        status = (PROC / str(pid) / "status").read_text()
    except FileNotFoundError:  # it exited meanwhile
        return 0
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0
