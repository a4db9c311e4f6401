"""The benchmark's plan and its run: every scenario, the contenders interleaved round by round, medians."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from greeter.shared.proc import PROC, children, rss_bytes, tree_cpu_seconds
from greeter.tools.bench.contenders import GREETER, SHORT_CONTENDERS, SHORT_ROUTES, WAIT_CONTENDERS, WAIT_PATH
from greeter.tools.bench.in_process import InProcessResult, run_in_process
from greeter.tools.bench.viewers import StreamResult, watch
from greeter.tools.bench.wrk import LoadResult, run_wrk
from greeter.tools.servers import RunningServer

RSS_POLL_SECONDS = 0.2


@dataclass(frozen=True)
class Scenario:
    """One load: a path at a number of connections, against some of the contenders."""

    path: str
    connections: int
    contenders: tuple[str, ...]  # contender keys; the first is greeter, whose ratios the report gives
    seconds: int
    timeout: int  # wrk's: a request slower than this counts as an error


@dataclass(frozen=True)
class Plan:
    rounds: int
    scenarios: tuple[Scenario, ...]
    viewers: int
    ticks: int
    in_process_rounds: int
    in_process_requests: int  # per contender, route and round


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
    in_process: list[InProcessResult] = field(default_factory=list)
    streams: StreamResult | None = None
    stream_rss_before: int = 0
    stream_rss_peak: int = 0
    seconds: float = 0.0

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


def run_plan(
    plan: Plan, servers: dict[str, RunningServer], progress: Callable[[str], None] = lambda line: None
) -> Results:
    """Round after round, each scenario with each of its contenders in turn (A B C D, A B C D, ...)."""
    results = Results()
    started = time.monotonic()
    for number in range(1, plan.rounds + 1):
        for scenario in plan.scenarios:
            for key in scenario.contenders:
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
                progress(f"round {number}/{plan.rounds}  {scenario.path:<13} {key:<22} {rate:>9.0f} req/s")
    if plan.viewers:
        greeter = servers[GREETER]
        results.stream_rss_before = worker_rss_bytes(greeter.pid)
        results.streams, results.stream_rss_peak = asyncio.run(_watch_with_rss(greeter, plan))
        progress(
            f"streams       {plan.viewers} viewers: worst tick spread {results.streams.worst_spread_seconds:.3f} s"
        )
    # each app's own cost, no server: the servers above sit idle meanwhile
    results.in_process = run_in_process(SHORT_ROUTES, rounds=plan.in_process_rounds, requests=plan.in_process_requests)
    progress(f"in-process    {len(results.in_process)} measurements")
    results.seconds = time.monotonic() - started
    return results


def worker_rss_bytes(pid: int, proc: Path = PROC) -> int:
    """The RSS of the process's largest child if it has any (the one worker of Gunicorn or Hypercorn, not
    multiprocessing's resource tracker beside it), else its own: every contender runs one worker."""
    found = children(pid, proc)
    return max(rss_bytes(child, proc) for child in found) if found else rss_bytes(pid, proc)


async def _watch_with_rss(server: RunningServer, plan: Plan) -> tuple[StreamResult, int]:
    """The viewers' figures, and the server's peak RSS while they watched."""
    peak = 0
    host, port = server.host_and_port
    watching = asyncio.create_task(watch(host, port, viewers=plan.viewers, ticks=plan.ticks, timeout=60.0))
    while not watching.done():
        peak = max(peak, worker_rss_bytes(server.pid))
        await asyncio.wait({watching}, timeout=RSS_POLL_SECONDS)
    return watching.result(), peak


SHORT_CONNECTIONS = 50
WAIT_CONNECTIONS = 1_000


def make_plan(
    *, quick: bool, rounds: int | None = None, seconds: int | None = None, viewers: int | None = None
) -> Plan:
    """The full benchmark, or --quick: one short round, a smoke test with no claim to its figures."""
    rounds = rounds or (1 if quick else 5)
    seconds = seconds or (1 if quick else 5)
    wait_seconds = max(2 * seconds, 2)  # several one-second waits per connection
    short = tuple(Scenario(path, SHORT_CONNECTIONS, SHORT_CONTENDERS, seconds, timeout=5) for path in SHORT_ROUTES)
    wait = Scenario(WAIT_PATH, WAIT_CONNECTIONS, WAIT_CONTENDERS, wait_seconds, timeout=10)
    return Plan(
        rounds=rounds,
        scenarios=(*short, wait),
        viewers=viewers if viewers is not None else (100 if quick else 10_000),
        ticks=2 if quick else 5,
        in_process_rounds=1 if quick else rounds,
        in_process_requests=200 if quick else 2_000,
    )
