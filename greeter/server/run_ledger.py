"""The supervisor's account of the whole run: the facts each new worker is given (greeter/shared/run_facts.py),
the shared counts of requests, and the run's stop line, which sums every worker's requests, not only the last's."""

from __future__ import annotations

import mmap
import os
import time

from greeter.shared.run_facts import RunFacts, format_duration  # no framework: the supervisor imports it
from greeter.shared.say import say

SLOTS = 64  # workers counted at once: serving, starting and leaving, across quick saves
COUNT_BYTES = 8  # each slot an int64: one aligned store, never seen half-written


def shared_counts(slots: int) -> memoryview:
    """Counts in an anonymous shared page (MAP_SHARED): each worker forked afterwards writes into the same memory.
    No multiprocessing shared array: the supervisor forks its workers itself and imports none of multiprocessing
    (greeter/server/zygote.py); a page inherited by the fork is all the sharing needed."""
    return memoryview(mmap.mmap(-1, slots * COUNT_BYTES)).cast("q")


class RunLedger:
    """The run's counts and facts, kept by the supervisor."""

    def __init__(self) -> None:
        self.counts = shared_counts(SLOTS + 1)  # slot 0: the workers gone
        self.free = list(range(1, SLOTS + 1))
        self.started = time.monotonic()
        self.pid = os.getpid()
        self.numbers_started: set[int] = set()  # a number started again is a worker after a reload

    def facts_for(self, worker_number: int) -> RunFacts:
        slot = self.free.pop(0) if self.free else None
        why = "after a reload" if worker_number in self.numbers_started else "when greeter started"
        self.numbers_started.add(worker_number)
        return RunFacts(self.pid, self.started, worker_number, why, self.counts, slot)

    def gone(self, facts: RunFacts | None) -> None:
        """A worker has exited: its count moves to slot 0, and its slot is free for another."""
        if facts is not None and facts.slot is not None:
            self.counts[0] += self.counts[facts.slot]
            self.counts[facts.slot] = 0
            self.free.append(facts.slot)
            facts.slot = None

    def stop_line(self) -> str:
        served = int(sum(self.counts))
        requests = "1 request" if served == 1 else f"{served} requests"
        return f"greeter: process {self.pid} served {requests} in {format_duration(time.monotonic() - self.started)}"


def say_in_serving_log(line: str) -> None:
    """In the workers' format (Hypercorn's error log: time, pid, level), as the serving log's last line."""
    stamp = time.strftime("[%Y-%m-%d %H:%M:%S %z]")
    say(f"{stamp} [{os.getpid()}] [INFO] {line}")  # a closed terminal's EIO crashes nothing
