"""What a worker knows of the whole run of greeter that started it: which worker it is, why it is new, and the
requests of every worker so far. No framework here.

Under --reload each save starts a new worker, so a worker's own figures (its pid, its uptime, its requests) are
not the run's: the supervisor (greeter/server/run_ledger.py) gives each worker these facts, and a slot of one
shared page of counts, inherited by the fork, where it keeps its number of requests served. Each slot has one
writer, so no lock.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any


def format_duration(seconds: float) -> str:
    """An uptime a person reads at a glance: 04:05:06, or 3 d 04:05:06 for a process that ran for days."""
    whole = int(seconds)
    days, rest = divmod(whole, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    clock = f"{hours:02d}:{minutes:02d}:{secs:02d}"
    return f"{days} d {clock}" if days else clock


def spoken_duration(seconds: float) -> str:
    """4 s, 12 minutes, 3 h 5 min, 2 days: as a person says how long ago."""
    whole = int(seconds)
    if whole < 60:
        return f"{whole} s"
    if whole < 3_600:
        return "1 minute" if whole < 120 else f"{whole // 60} minutes"
    if whole < 86_400:
        return f"{whole // 3_600} h {whole % 3_600 // 60} min"
    return "1 day" if whole < 2 * 86_400 else f"{whole // 86_400} days"


@dataclass
class RunFacts:
    """One worker's part of the run; see the module."""

    greeter_pid: int
    greeter_started: float  # time.monotonic() in greeter's own process: the clock is the system's, not a process's
    worker_number: int
    why: str  # "when greeter started", "after a reload"
    counts: Any  # int64s in a shared page (memoryview): slot 0 the workers gone, each other slot one live worker's
    slot: int | None  # None: no slot was free (more workers at once than the array holds); this one is not counted

    def count(self, served: int) -> None:
        """This worker has served so many requests (called at each request: one store into shared memory)."""
        if self.slot is not None:
            self.counts[self.slot] = served

    def run_served(self) -> int:
        return int(sum(self.counts))

    def sentence(self, worker_pid: int, worker_uptime: float) -> str:
        """What /process/ says of it, e.g. 'Worker 1 (pid 6259) started 4 s ago after a reload; greeter itself, pid
        5218, has run for 12 minutes and served 310 requests.'"""
        served = self.run_served()
        requests = "1 request" if served == 1 else f"{served:,} requests"
        run_for = spoken_duration(time.monotonic() - self.greeter_started)
        return (
            f"Worker {self.worker_number} (pid {worker_pid}) started {spoken_duration(worker_uptime)} ago {self.why};"
            f" greeter itself, pid {self.greeter_pid}, has run for {run_for} and served {requests}."
        )
