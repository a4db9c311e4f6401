"""Memory per live stream: N viewers of /process/stream held open, the server worker's growth divided by N.

greeter against the floor, a bare ASGI app streaming the same way on the same Hypercorn settings (bare_app.py).
Each measurement starts a fresh server (memory a process has once grown to is kept, and would hide the next
growth), warms it up with a few viewers (first-use caches are not counted), reads the worker's RSS, opens N
streams that each read every event, lets two ticks reach them all, and reads it again. Rounds interleave the
contenders; the figure is the median.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial

from greeter.shared.stop_request import StopRequest
from greeter.tools.bench.contenders import STREAM_PATH, Contender
from greeter.tools.bench.rounds import worker_rss_bytes
from greeter.tools.bench.viewers import watch
from greeter.tools.servers import RunningServer, all_running

WARM_UP_VIEWERS = 50
SETTLE_SECONDS = 1.0  # after the warm-up viewers leave: their tasks and buffers are gone
TICKS = 2
WATCH_TIMEOUT = 60.0


@dataclass(frozen=True)
class StreamMemory:
    contender: str
    round: int
    streams: int  # connected
    dropped: int
    rss_before: int
    rss_during: int

    @property
    def per_stream(self) -> float:
        return (self.rss_during - self.rss_before) / max(self.streams, 1)


def measure_stream_memory(
    contenders: tuple[Contender, ...],
    *,
    streams: int,
    rounds: int,
    progress: Callable[[str], None],
    together: bool = False,
) -> list[StreamMemory]:
    """together: the contenders of a round at once (--quick, whose figures mean nothing)."""
    found = []
    for number in range(rounds):
        shift = number % len(contenders)
        turn = contenders[shift:] + contenders[:shift]
        StopRequest.check()
        if together:
            with ThreadPoolExecutor(len(turn)) as pool:
                measured = list(pool.map(partial(_measure, number=number, streams=streams), turn))
        else:
            measured = [_measure(contender, number, streams) for contender in turn]
        for each in measured:
            progress(
                f"per stream round {number + 1}/{rounds}  {each.contender:<20} {each.per_stream / 1024:6.2f} KiB "
                f"({each.streams:,} streams, {each.dropped} dropped)"
            )
        found += measured
    return found


def _measure(contender: Contender, number: int, streams: int) -> StreamMemory:
    StopRequest.check()
    with all_running(contender.spec) as (server,):
        return _measure_on(server, contender.key, number, streams)


def _measure_on(server: RunningServer, key: str, number: int, streams: int) -> StreamMemory:
    host, port = server.host_and_port
    asyncio.run(watch(host, port, viewers=WARM_UP_VIEWERS, ticks=1, timeout=WATCH_TIMEOUT, path=STREAM_PATH))
    time.sleep(SETTLE_SECONDS)
    before = worker_rss_bytes(server.pid)
    during: list[int] = []
    result = asyncio.run(
        watch(
            host,
            port,
            viewers=streams,
            ticks=TICKS,
            timeout=WATCH_TIMEOUT,
            path=STREAM_PATH,
            while_watched=lambda: during.append(worker_rss_bytes(server.pid)),
        )
    )
    return StreamMemory(key, number, result.connected, result.dropped, before, during[0] if during else before)


def per_stream(found: list[StreamMemory], key: str) -> float:
    """The median over rounds, in bytes per stream."""
    return statistics.median(measured.per_stream for measured in found if measured.contender == key)
