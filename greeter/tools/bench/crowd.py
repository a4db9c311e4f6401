"""Where async wins, measured: thousands of clients at once, on one worker each.

Two loads: N live streams (the viewers client, connecting at most 1,000 a second), and N clients at once on a
path that waits (/wait/1: each holds its connection for a second per request, sending the next as soon as one is
answered, for a bounded time; wrk). greeter's one event loop against the Flask twin on a thread per request:
Gunicorn's gthread worker with its default threads and with 1,000, and `flask run`. For each: how many requests
completed and failed, the p99 of those that completed, and the worker's peak RSS. Failures are the point: a
thread-per-request server with fewer threads than clients leaves the rest waiting past the timeout, or refused.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from greeter.shared.stop_request import StopRequest
from greeter.tools.bench.contenders import STREAM_PATH
from greeter.tools.bench.rounds import RSS_POLL_SECONDS, worker_rss_bytes
from greeter.tools.bench.viewers import watch
from greeter.tools.bench.wrk import run_wrk
from greeter.tools.servers import RunningServer

STREAM_TIMEOUT = 30.0


@dataclass(frozen=True)
class CrowdResult:
    load: str  # "clients" or "streams"
    contender: str
    clients: int
    completed: int  # requests answered (clients); streams that got every tick (streams)
    failed: int  # errors and timeouts (clients); streams refused, never answered or ended early (streams)
    p99_seconds: float  # of the completed: a request's time (clients); a tick's lateness behind the first viewer's
    rss_peak: int


def measure_crowd(
    servers: dict[str, RunningServer],
    contenders: tuple[str, ...],
    *,
    path: str,
    clients: int,
    seconds: int,
    timeout: int,
    streams: int,
    ticks: int,
    connect_timeout: float,
    progress: Callable[[str], None],
    together: bool = False,
) -> list[CrowdResult]:
    """Each contender in turn under the clients, then (if streams) under as many live streams.

    together: every contender at once (--quick, whose figures mean nothing)."""

    def clients_on(key: str) -> CrowdResult:
        StopRequest.check()
        server = servers[key]
        with _PeakRss(server.pid) as peak:
            load = run_wrk(server.origin + path, connections=clients, seconds=seconds, timeout=timeout)
        progress(
            f"crowd      {clients:,} clients on {path}  {key:<28} {load.requests:>7,} done {load.errors:>7,} failed"
        )
        return CrowdResult("clients", key, clients, load.requests, load.errors, load.p99_seconds, peak.bytes)

    def streams_on(key: str) -> CrowdResult:
        StopRequest.check()
        server = servers[key]
        host, port = server.host_and_port
        with _PeakRss(server.pid) as peak:
            watched = asyncio.run(
                watch(
                    host,
                    port,
                    viewers=streams,
                    ticks=ticks,
                    timeout=STREAM_TIMEOUT,
                    path=STREAM_PATH,
                    connect_timeout=connect_timeout,
                )
            )
        completed = watched.viewers - watched.dropped  # connected, and still watching at the end
        if watched.ticks < ticks:
            completed = 0  # the streams that connected did not get their ticks in time
        failed = watched.viewers - completed
        progress(f"crowd      {streams:,} live streams  {key:<28} {completed:>7,} watching {failed:>7,} failed")
        return CrowdResult("streams", key, streams, completed, failed, watched.lag_p99_seconds, peak.bytes)

    # the streams first: they leave nothing behind, where a thread-per-request server is still answering the
    # clients it queued long after they left
    loads = [streams_on, clients_on] if streams else [clients_on]
    if not together:
        return [measure(key) for measure in loads for key in contenders]
    with ThreadPoolExecutor(len(contenders)) as pool:
        return [result for measure in loads for result in pool.map(measure, contenders)]


class _PeakRss:
    """The worker's largest RSS while the block runs, polled from a thread (the block may hold the event loop)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.bytes = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def __enter__(self) -> _PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()

    def _poll(self) -> None:
        while True:
            self.bytes = max(self.bytes, worker_rss_bytes(self.pid))
            if self._done.wait(RSS_POLL_SECONDS):
                self.bytes = max(self.bytes, worker_rss_bytes(self.pid))
                return
