"""The routes under wrk: each scenario, the contenders interleaved round by round, medians; CPU and memory from
greeter/shared/proc.py."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from greeter.shared.proc import PROC, children, rss_bytes, tree_cpu_seconds
from greeter.shared.stop_request import StopRequest
from greeter.tools.bench.wrk import LoadResult, run_wrk
from greeter.tools.servers import RunningServer

RSS_POLL_SECONDS = 0.2


@dataclass(frozen=True)
class Scenario:
    """One load: a path at a number of connections, against some of the contenders."""

    path: str
    connections: int
    contenders: tuple[str, ...]  # contender keys; the first is the subject, whose ratios the report gives
    seconds: int
    timeout: int  # wrk's: a request slower than this counts as an error


@dataclass(frozen=True)
class Summary:
    """One scenario and contender over all rounds."""

    median_rps: float
    min_rps: float
    max_rps: float
    p50_seconds: float
    p99_seconds: float
    errors: int
    requests: int
    rss_bytes: int
    cpu_us_per_request: float  # the server's CPU time (all its processes) over a run / requests; median of runs


@dataclass
class Results:
    runs: dict[tuple[str, str], list[LoadResult]] = field(default_factory=lambda: defaultdict(list))
    rss: dict[tuple[str, str], list[int]] = field(default_factory=lambda: defaultdict(list))
    cpu_seconds: dict[tuple[str, str], list[float]] = field(default_factory=lambda: defaultdict(list))

    def summary(self, path: str, contender: str) -> Summary:
        runs = self.runs[(path, contender)]
        rates = [run.requests_per_second for run in runs]
        return Summary(
            median_rps=statistics.median(rates),
            min_rps=min(rates),
            max_rps=max(rates),
            p50_seconds=statistics.median(run.p50_seconds for run in runs),
            p99_seconds=statistics.median(run.p99_seconds for run in runs),
            errors=sum(run.errors for run in runs),
            requests=sum(run.requests for run in runs),
            rss_bytes=int(statistics.median(self.rss[(path, contender)])),
            cpu_us_per_request=statistics.median(
                seconds / max(run.requests, 1) * 1e6
                for seconds, run in zip(self.cpu_seconds[(path, contender)], runs, strict=True)
            ),
        )


def run_rounds(
    scenarios: tuple[Scenario, ...],
    rounds: int,
    servers: dict[str, RunningServer],
    progress: Callable[[str], None] = lambda line: None,
) -> Results:
    """Round after round, each scenario with each of its contenders in turn (A B C D, A B C D, ...)."""
    results = Results()
    for number in range(1, rounds + 1):
        for scenario in scenarios:
            for key in scenario.contenders:
                StopRequest.check()
                server = servers[key]
                cpu_before = tree_cpu_seconds(server.pid)
                load = run_wrk(
                    server.origin + scenario.path,
                    connections=scenario.connections,
                    seconds=scenario.seconds,
                    timeout=scenario.timeout,
                )
                results.cpu_seconds[(scenario.path, key)].append(tree_cpu_seconds(server.pid) - cpu_before)
                results.runs[(scenario.path, key)].append(load)
                results.rss[(scenario.path, key)].append(worker_rss_bytes(server.pid))
                rate = load.requests_per_second
                progress(f"round {number}/{rounds}    {scenario.path:<13} {key:<28} {rate:>9.0f} req/s")
    return results


def worker_rss_bytes(pid: int, proc: Path = PROC) -> int:
    """The RSS of the process's largest child if it has any (the one worker of Gunicorn or Hypercorn, not
    multiprocessing's resource tracker beside it), else its own: every contender runs one worker."""
    found = children(pid, proc)
    return max(rss_bytes(child, proc) for child in found) if found else rss_bytes(pid, proc)
