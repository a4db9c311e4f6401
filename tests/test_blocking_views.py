"""`time.sleep` in an `async def` view stops every request of its worker; `await asyncio.sleep` does not.

A tiny Quart app of its own (a blocking route in greeter would let any visitor freeze the worker), served by a
real Hypercorn on loopback, one worker, on an event loop in a thread of its own, so that the test's client
keeps running while the server's loop is blocked. The assertions are on order and overlap, not on timings.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from conftest import KEEP_ALIVE_LIMITS, REPO_ROOT, scaled
from hypercorn.asyncio import serve
from hypercorn.config import Config
from quart import Quart, request

from greeter.server.listen import listen

SLEEP = 1.5  # seconds each slow view takes: far longer than sending a few requests on loopback
CONCURRENT = 3
HTTP_TIMEOUT = scaled(30.0)  # the blocking case takes CONCURRENT * SLEEP
# what asyncio logs in debug mode for a step that held the loop too long
SLOW_STEP = re.compile(r"Executing <Task [^\n]*> took (\d+\.\d{3}) seconds")


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
        httpx.AsyncClient(limits=KEEP_ALIVE_LIMITS, base_url=base_url, timeout=HTTP_TIMEOUT) as http,
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


async def test_the_test_client_shows_it_too() -> None:
    """No server needed: the test client runs the app on the test's own event loop, which the sleep stops."""
    timeline = Timeline()
    client = demo_app(timeline).test_client()
    await asyncio.wait_for(asyncio.gather(*(client.get("/blocking") for _ in range(CONCURRENT))), HTTP_TIMEOUT)
    assert timeline.peak_in_flight("/blocking") == 1
    timeline.events.clear()
    await asyncio.wait_for(asyncio.gather(*(client.get("/non-blocking") for _ in range(CONCURRENT))), HTTP_TIMEOUT)
    assert timeline.peak_in_flight("/non-blocking") == CONCURRENT


def test_asyncio_debug_mode_names_the_blocking_step(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """PYTHONASYNCIODEBUG=1: an event loop logs each step that held it longer than its slow_callback_duration."""
    monkeypatch.setenv("PYTHONASYNCIODEBUG", "1")
    caplog.set_level(logging.WARNING, logger="asyncio")
    loop = asyncio.new_event_loop()  # the setting is read as a loop is made: this one, made after it
    try:
        assert loop.get_debug() and loop.slow_callback_duration == 0.1
        longest: dict[str, float] = {}
        for path in ("/non-blocking", "/blocking"):
            caplog.clear()
            loop.run_until_complete(asyncio.wait_for(demo_app(Timeline()).test_client().get(path), HTTP_TIMEOUT))
            slow_steps = [SLOW_STEP.fullmatch(record.getMessage()) for record in caplog.records]
            longest[path] = max((float(step[1]) for step in slow_steps if step), default=0.0)
    finally:
        loop.close()
    assert longest["/non-blocking"] < SLEEP  # awaited: the loop ran other steps meanwhile
    assert longest["/blocking"] >= SLEEP  # the step that called time.sleep, named with its task


@pytest.mark.parametrize(("option", "logged"), [("--asyncio-debug", True), ("", False)])
def test_in_pytest_it_is_asyncio_debug(option: str, logged: bool) -> None:
    """pytest-asyncio sets each loop's debug mode itself, from --asyncio-debug: PYTHONASYNCIODEBUG=1 alone does
    nothing there. --log-cli-level=WARNING shows asyncio's lines as the tests run."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("PYTEST_")}
    test = f"{Path(__file__).name}::test_the_test_client_shows_it_too"
    argv = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--log-cli-level=WARNING", test, option]
    done = subprocess.run(
        [arg for arg in argv if arg],
        cwd=REPO_ROOT / "tests",
        env={**env, "PYTHONASYNCIODEBUG": "1"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    slow_steps = [float(step) for step in SLOW_STEP.findall(done.stdout)]
    assert (max(slow_steps, default=0.0) >= SLEEP) == logged, done.stdout
