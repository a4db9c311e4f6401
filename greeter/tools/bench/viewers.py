"""N live viewers of /process/stream at once: how many connect, how late each gets each tick, and how many drop.

One asyncio client holds every connection. Each tick's event is the same bytes for every viewer (the ticker
makes it once), so the event itself says which tick a viewer got. The connecting is bounded in time: a server
that cannot take them all (a thread per stream, too few threads) leaves the rest failed, not waiting forever.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from greeter.server.limits import allow_many_connections
from greeter.shared.stop_request import StopRequest

EVENT = re.compile(rb"data: ([^\n]*)\n\n")
CONNECTING_AT_ONCE = 200  # connections opened in parallel: a burst of 10,000 SYNs would overflow the backlog
CONNECTS_PER_SECOND = 1_000  # and started no faster than this: a real audience arrives over seconds
CONNECT_TIMEOUT = 10.0  # for one viewer: the connection and the answer's head
READ_SIZE = 4_096


@dataclass(frozen=True)
class StreamResult:
    viewers: int
    connected: int
    dropped: int  # not connected, or connected and then ended or failed before the measurement was over
    ticks: int  # ticks every viewer still connected got
    worst_spread_seconds: float  # over ticks: the last viewer's arrival minus the first viewer's
    median_spread_seconds: float
    lag_p99_seconds: float  # over every viewer and tick: its arrival minus the tick's first
    connect_seconds: float


@dataclass
class _Arrivals:
    times: dict[bytes, list[float]] = field(default_factory=lambda: defaultdict(list))
    ended: int = 0


async def watch(
    host: str,
    port: int,
    *,
    viewers: int,
    ticks: int,
    timeout: float,
    path: str = "/process/stream",
    while_watched: Callable[[], None] | None = None,
    connect_timeout: float = CONNECT_TIMEOUT,
) -> StreamResult:
    """Connect `viewers` streams, then record when each of the next `ticks` events reaches each of them.

    while_watched: called once the ticks are in, every stream still open (to read the server's memory)."""
    allow_many_connections()  # the client holds one file per viewer, as the server does
    arrivals = _Arrivals()
    measuring = asyncio.Event()
    gate = asyncio.Semaphore(CONNECTING_AT_ONCE)
    writers: list[asyncio.StreamWriter] = []
    readers: list[asyncio.Task[None]] = []

    async def viewer(number: int) -> None:
        await asyncio.sleep(number / CONNECTS_PER_SECOND)  # the number-th arrives at that time, at the earliest
        async with gate:
            reader, writer = await asyncio.wait_for(_connect(host, port, path), connect_timeout)
        writers.append(writer)
        # reading starts at once, so no event waits in a buffer; only those after `measuring` count
        readers.append(asyncio.create_task(_read(reader, arrivals, measuring)))

    started = time.monotonic()
    connecting = [asyncio.create_task(viewer(number)) for number in range(viewers)]
    # every viewer has had its turn and its connect_timeout by then (the gate lets CONNECTING_AT_ONCE wait at once)
    phase = viewers / CONNECTS_PER_SECOND + connect_timeout * (1 + viewers / CONNECTING_AT_ONCE / 10)
    done, late = await asyncio.wait(connecting, timeout=phase) if connecting else (set(), set())
    for task in late:
        task.cancel()
    await asyncio.gather(*late, return_exceptions=True)
    connected = sum(1 for task in done if not task.cancelled() and task.exception() is None)
    connect_seconds = time.monotonic() - started
    measuring.set()
    try:
        if connected:
            await _until_ticks(arrivals, connected, ticks, timeout)
        if while_watched is not None:
            while_watched()
    finally:
        for task in readers:
            task.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
        for writer in writers:
            writer.close()
    return _result(arrivals, viewers, connected, connect_seconds)


def _result(arrivals: _Arrivals, viewers: int, connected: int, connect_seconds: float) -> StreamResult:
    complete = [times for times in arrivals.times.values() if len(times) >= connected - arrivals.ended]
    spreads = sorted(max(times) - min(times) for times in complete)
    lags = sorted(moment - min(times) for times in complete for moment in times)
    nan = float("nan")
    return StreamResult(
        viewers=viewers,
        connected=connected,
        dropped=arrivals.ended + viewers - connected,
        ticks=len(complete) if connected else 0,
        worst_spread_seconds=spreads[-1] if spreads else nan,
        median_spread_seconds=spreads[len(spreads) // 2] if spreads else nan,
        lag_p99_seconds=lags[min(len(lags) - 1, int(len(lags) * 0.99))] if lags else nan,
        connect_seconds=connect_seconds,
    )


async def _until_ticks(arrivals: _Arrivals, connected: int, ticks: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        StopRequest.check()  # a Ctrl+C while the viewers watch
        complete = sum(1 for times in arrivals.times.values() if len(times) >= connected - arrivals.ended)
        if complete >= ticks:
            return
        await asyncio.sleep(0.05)


async def _connect(host: str, port: int, path: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        request = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: text/event-stream\r\n\r\n"
        writer.write(request.encode())
        head = await reader.readuntil(b"\r\n\r\n")
    except BaseException:
        writer.close()
        raise
    if not head.startswith(b"HTTP/1.1 200"):
        writer.close()
        raise ConnectionError(head.split(b"\r\n", 1)[0].decode("latin-1"))
    return reader, writer


async def _read(reader: asyncio.StreamReader, arrivals: _Arrivals, measuring: asyncio.Event) -> None:
    """Note the arrival of each event; the chunked framing between events is skipped, not parsed."""
    buffer = b""
    try:
        while data := await reader.read(READ_SIZE):
            now = time.monotonic()
            buffer += data
            end = 0
            for match in EVENT.finditer(buffer):
                end = match.end()
                if measuring.is_set():
                    arrivals.times[match.group(1)].append(now)
            buffer = buffer[end:]
    except OSError:
        pass
    arrivals.ended += 1  # the stream ended before the measurement did (a cancelled reader never gets here)
