"""A course's worth of browsers on the course's web server: for each student, the /process/ page's live stream
open and a page asked for every few seconds, over HTTPS, as a browser keeps one connection for its pages.

Each student's pages go through the web server to that student's greeter; the time of each, from the request
sent to the last byte of the answer, is kept per student, and every failure is counted: an answer that is not
200, a connection that fails or is too slow, a stream that ends or stops ticking.
"""

from __future__ import annotations

import asyncio
import random
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import h11

from greeter.shared.stop_request import StopRequest

PAGES = ("/", "/hello/{name}", "/greet/", "/process/")  # what a student's visitors ask for, in turn
REQUEST_TIMEOUT = 10.0
READ_SIZE = 65_536


@dataclass
class StudentLoad:
    """What one student's visitors saw."""

    name: str
    seconds: list[float] = field(default_factory=list)  # each page's time
    errors: list[str] = field(default_factory=list)
    events: int = 0  # server-sent events their stream got


class HttpsConnection:
    """One keep-alive HTTPS connection to the web server, one request at a time."""

    def __init__(self, port: int, context: ssl.SSLContext) -> None:
        self.port, self.context = port, context
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        self.state = h11.Connection(h11.CLIENT)

    async def get(self, target: str) -> tuple[int, bytes]:
        if self.streams is None or self.state.our_state is not h11.IDLE:
            await self.close()
            self.streams = await asyncio.open_connection(
                "127.0.0.1", self.port, ssl=self.context, server_hostname="localhost"
            )
            self.state = h11.Connection(h11.CLIENT)
        reader, writer = self.streams
        request = h11.Request(method="GET", target=target, headers=[("Host", f"localhost:{self.port}")])
        writer.write(self.state.send(request) + self.state.send(h11.EndOfMessage()))
        status, body = 0, bytearray()
        while True:
            event = self.state.next_event()
            if event is h11.NEED_DATA:
                self.state.receive_data(await reader.read(READ_SIZE))
            elif isinstance(event, h11.Response):
                status = event.status_code
            elif isinstance(event, h11.Data):
                body += event.data
            elif isinstance(event, h11.EndOfMessage):
                self.state.start_next_cycle()
                return status, bytes(body)
            elif isinstance(event, h11.ConnectionClosed):
                raise ConnectionError("the web server closed the connection mid-answer")

    async def close(self) -> None:
        if self.streams is not None:
            self.streams[1].close()
            self.streams = None


async def visit(load: StudentLoad, port: int, context: ssl.SSLContext, *, interval: float, until: float) -> None:
    """A page every `interval` seconds (the first at a random moment within one), until `until`."""
    connection = HttpsConnection(port, context)
    await asyncio.sleep(random.uniform(0, interval))
    turn = 0
    try:
        while time.monotonic() < until:
            page = PAGES[turn % len(PAGES)].format(name=load.name)
            turn += 1
            started = time.monotonic()
            try:
                async with asyncio.timeout(REQUEST_TIMEOUT):
                    status, _ = await connection.get(f"/~{load.name}/greeter{page}")
            except (OSError, TimeoutError, h11.ProtocolError) as error:
                load.errors.append(f"{page}: {type(error).__name__}")
                await connection.close()
            else:
                load.seconds.append(time.monotonic() - started)
                if status != 200:
                    load.errors.append(f"{page}: {status}")
            await asyncio.sleep(max(0.0, started + interval - time.monotonic()))
    finally:
        await connection.close()


async def watch_stream(load: StudentLoad, port: int, context: ssl.SSLContext, opened: asyncio.Event) -> None:
    """The /process/ page's live stream, read until cancelled; it ending early is an error."""
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection("127.0.0.1", port, ssl=context, server_hostname="localhost"), REQUEST_TIMEOUT
        )
    except (OSError, TimeoutError) as error:
        load.errors.append(f"stream: {type(error).__name__}")
        opened.set()
        return
    try:
        target = f"/~{load.name}/greeter/process/stream"
        writer.write(f"GET {target} HTTP/1.1\r\nHost: localhost:{port}\r\nAccept: text/event-stream\r\n\r\n".encode())
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), REQUEST_TIMEOUT)
        opened.set()
        if not head.startswith(b"HTTP/1.1 200"):
            load.errors.append(f"stream: {head.split(b' ', 2)[1].decode(errors='replace')}")
            return
        while data := await reader.read(READ_SIZE):
            load.events += data.count(b"\ndata: ") + data.startswith(b"data: ")
        load.errors.append("stream: ended by the server")
    except (OSError, TimeoutError, asyncio.IncompleteReadError) as error:
        load.errors.append(f"stream: {type(error).__name__}")
    finally:
        opened.set()
        writer.close()


async def run_visitors(
    students: list[str], port: int, certfile: Path, *, seconds: float, interval: float, while_loaded: Callable[[], None]
) -> list[StudentLoad]:
    """Every student's stream opened, then their pages for `seconds`; `while_loaded()` runs near the end, with
    every stream open (to read the memory of the students' processes)."""
    context = ssl.create_default_context(cafile=str(certfile))
    loads = [StudentLoad(name) for name in students]
    opened = [asyncio.Event() for _ in students]
    streams = [
        asyncio.create_task(watch_stream(load, port, context, event)) for load, event in zip(loads, opened, strict=True)
    ]
    await asyncio.wait_for(asyncio.gather(*(event.wait() for event in opened)), REQUEST_TIMEOUT * 3)
    until = time.monotonic() + seconds
    visitors = [asyncio.create_task(visit(load, port, context, interval=interval, until=until)) for load in loads]
    while time.monotonic() < until - min(2.0, seconds / 4):
        StopRequest.check()  # a Ctrl+C during the course's load
        await asyncio.sleep(0.1)
    while_loaded()
    await asyncio.gather(*visitors)
    for task in streams:
        task.cancel()
    await asyncio.gather(*streams, return_exceptions=True)
    return loads
