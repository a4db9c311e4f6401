"""N live viewers of /process/stream at once: how late the last one gets each tick, and how many drop.

One asyncio client holds every connection. Each tick's event is the same bytes for every viewer (the ticker
makes it once), so the event itself says which tick a viewer got.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import defaultdict
from dataclasses import dataclass, field

from greeter.server.limits import allow_many_connections
from greeter.shared.stop_request import StopRequest

EVENT = re.compile(rb"data: ([^\n]*)\n\n")
CONNECTING_AT_ONCE = 200  # connections opened in parallel: a burst of 10,000 SYNs would overflow the backlog
CONNECTS_PER_SECOND = 1_000  # and started no faster than this: a real audience arrives over seconds
READ_SIZE = 4_096


@dataclass(frozen=True)
class StreamResult:
    viewers: int
    connected: int
    dropped: int  # connected, then ended or failed before the measurement was over
    ticks: int  # ticks every connected viewer got
    worst_spread_seconds: float  # over ticks: the last viewer's arrival minus the first viewer's
    median_spread_seconds: float
    connect_seconds: float


@dataclass
class _Arrivals:
    times: dict[bytes, list[float]] = field(default_factory=lambda: defaultdict(list))
    dropped: int = 0


async def watch(host: str, port: int, *, viewers: int, ticks: int, timeout: float) -> StreamResult:
    """Connect `viewers` streams, then record when each of the next `ticks` events reaches each of them."""
    allow_many_connections()  # the client holds one file per viewer, as the server does
    arrivals = _Arrivals()
    measuring = asyncio.Event()
    gate = asyncio.Semaphore(CONNECTING_AT_ONCE)
    writers: list[asyncio.StreamWriter] = []
    readers: list[asyncio.Task[None]] = []

    async def viewer(number: int) -> None:
        await asyncio.sleep(number / CONNECTS_PER_SECOND)  # the number-th arrives at that time, at the earliest
        async with gate:
            reader, writer = await _connect(host, port)
        writers.append(writer)
        # reading starts at once, so no event waits in a buffer; only those after `measuring` count
        readers.append(asyncio.create_task(_read(reader, arrivals, measuring)))

    started = time.monotonic()
    outcomes = await asyncio.gather(*(viewer(number) for number in range(viewers)), return_exceptions=True)
    connected = sum(1 for outcome in outcomes if not isinstance(outcome, BaseException))
    connect_seconds = time.monotonic() - started
    measuring.set()
    try:
        await _until_ticks(arrivals, connected, ticks, timeout)
    finally:
        for task in readers:
            task.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
        for writer in writers:
            writer.close()
    complete = [times for times in arrivals.times.values() if len(times) >= connected - arrivals.dropped]
    spreads = sorted(max(times) - min(times) for times in complete)
    return StreamResult(
        viewers=viewers,
        connected=connected,
        dropped=arrivals.dropped + viewers - connected,
        ticks=len(complete),
        worst_spread_seconds=spreads[-1] if spreads else float("nan"),
        median_spread_seconds=spreads[len(spreads) // 2] if spreads else float("nan"),
        connect_seconds=connect_seconds,
    )


async def _until_ticks(arrivals: _Arrivals, connected: int, ticks: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        StopRequest.check()  # a Ctrl+C while the viewers watch
        complete = sum(1 for times in arrivals.times.values() if len(times) >= connected - arrivals.dropped)
        if complete >= ticks:
            return
        await asyncio.sleep(0.05)


async def _connect(host: str, port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection(host, port)
    request = f"GET /process/stream HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: text/event-stream\r\n\r\n"
    writer.write(request.encode())
    head = await reader.readuntil(b"\r\n\r\n")
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
    arrivals.dropped += 1  # the stream ended before the measurement did (a cancelled reader never gets here)
