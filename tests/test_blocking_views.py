"""`time.sleep` in an `async def` view stops every request of its worker; `await asyncio.sleep` does not.

A tiny Quart app of its own (a blocking route in greeter would let any visitor freeze the worker), served by a
real Hypercorn on loopback, one worker, on an event loop in a thread of its own, so that the test's client
keeps running while the server's loop is blocked. The assertions are on order and overlap, not on timings.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import httpx
import pytest
from hypercorn.asyncio import serve
from hypercorn.config import Config
from quart import Quart, request

from greeter.serve import listen

SLEEP = 1.5  # seconds each slow view takes: far longer than sending a few requests on loopback
CONCURRENT = 3
HTTP_TIMEOUT = 30.0  # the blocking case takes CONCURRENT * SLEEP


@dataclass
class Timeline:
    """What the server did, in order: ("start" or "end", path), recorded on the server's own loop."""

    events: list[tuple[str, str]] = field(default_factory=list)
    slow_view_started: threading.Event = field(default_factory=threading.Event)

    def peak_in_flight(self, path: str) -> int:
        in_flight = peak = 0
        for what, where in self.events:
            if where == path:
                in_flight += 1 if what == "start" else -1
                peak = max(peak, in_flight)
        return peak


def demo_app(timeline: Timeline) -> Quart:
    app = Quart(__name__)

    @app.route("/blocking")
    async def blocking() -> str:
        time.sleep(SLEEP)  # the mistake: the event loop stops here, and every request of this worker with it
        return "slept"

    @app.route("/non-blocking")
    async def non_blocking() -> str:
        await asyncio.sleep(SLEEP)  # the loop serves every other request meanwhile
        return "slept"

    @app.route("/in-a-thread")
    async def in_a_thread() -> str:
        await asyncio.to_thread(time.sleep, SLEEP)  # blocking code you cannot rewrite: off the loop
        return "slept"

    @app.route("/plain-def")
    def plain_def() -> str:
        time.sleep(SLEEP)  # a plain `def` view: Quart runs it in a thread, as it would with run_sync
        return "slept"

    @app.route("/")
    async def hello() -> str:
        return "Hello World!"

    @app.before_request
    async def record_start() -> None:
        timeline.events.append(("start", request.path))
        if request.path != "/":
            timeline.slow_view_started.set()

    @app.after_request
    async def record_end(response: object) -> object:
        timeline.events.append(("end", request.path))
        return response

    return app


@asynccontextmanager
async def served_in_a_thread(app: Quart) -> AsyncIterator[str]:
    """A real Hypercorn, one worker, on a loop of its own in a thread; yields its base URL."""
    sock = listen("127.0.0.1", 0)
    port = sock.getsockname()[1]
    config = Config()
    config.bind = [f"fd://{sock.detach()}"]  # Hypercorn adopts the socket: the port is known before it starts
    stop = threading.Event()

    async def stop_requested() -> None:
        while not stop.is_set():
            await asyncio.sleep(0.05)

    def run() -> None:
        asyncio.run(serve(app, config, shutdown_trigger=stop_requested))

    server = threading.Thread(target=run, name="hypercorn", daemon=True)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop.set()
        await asyncio.to_thread(server.join, HTTP_TIMEOUT)
        assert not server.is_alive(), "the server did not stop"


async def slow_requests_and_a_hello(path: str) -> tuple[Timeline, float]:
    """CONCURRENT requests to `path` at once, then `/` once the first of them has started; the timeline and
    how long the slow requests took in all."""
    timeline = Timeline()
    async with (
        served_in_a_thread(demo_app(timeline)) as base_url,
        httpx.AsyncClient(base_url=base_url, timeout=HTTP_TIMEOUT) as http,
    ):
        assert (await http.get("/")).text == "Hello World!"  # the server is up
        timeline.events.clear()
        began = time.monotonic()
        slow: list[Awaitable[httpx.Response]] = [http.get(path) for _ in range(CONCURRENT)]
        slow_task = asyncio.gather(*slow)
        assert await asyncio.to_thread(timeline.slow_view_started.wait, HTTP_TIMEOUT)
        hello = await http.get("/")
        answers = await slow_task
        took = time.monotonic() - began
    assert hello.text == "Hello World!"
    assert [answer.text for answer in answers] == ["slept"] * CONCURRENT
    return timeline, took


async def test_time_sleep_in_an_async_view_serialises_everything() -> None:
    timeline, took = await slow_requests_and_a_hello("/blocking")
    assert timeline.peak_in_flight("/blocking") == 1  # one at a time: each waited for the one before
    assert took >= CONCURRENT * SLEEP  # the sleeps ran one after the other, never side by side
    # the unrelated request sent during the first sleep started only after that sleep had ended
    first_end = timeline.events.index(("end", "/blocking"))
    assert timeline.events.index(("start", "/")) > first_end


@pytest.mark.parametrize("path", ["/non-blocking", "/in-a-thread", "/plain-def"])
async def test_awaiting_views_overlap_and_others_go_on(path: str) -> None:
    timeline, took = await slow_requests_and_a_hello(path)
    assert timeline.peak_in_flight(path) >= 2  # side by side (all of them, unless the machine stalled)
    assert took < CONCURRENT * SLEEP
    # the unrelated request was answered while the slow ones were still sleeping
    assert timeline.events.index(("end", "/")) < timeline.events.index(("end", path))
