"""The long-running process in-process: the page, the stream with the serving lifecycle, /wait, template reads."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from typing import Any

import pytest
from conftest import Fetch, scaled
from flask import Flask
from flask.testing import FlaskClient
from quart import Quart
from quart.testing.connections import TestHTTPConnection as StreamConnection
from quart.typing import TestHTTPConnectionProtocol as HTTPConnection

from greeter import create_app
from greeter.process import begin_shutdown, process_of
from greeter.shared.process_state import ProcessState
from greeter.ticker import SHUTDOWN_EVENT

STEP_TIMEOUT = scaled(5.0)
TEST_TICK = 0.05


@pytest.fixture
async def serving() -> AsyncIterator[Quart]:
    """The Quart app with its serving lifecycle running (the ticker), as under Hypercorn."""
    app = create_app({"TESTING": True, "PROCESS_TICK_SECONDS": TEST_TICK})
    async with app.test_app():
        yield app


async def receive(connection: HTTPConnection) -> bytes:
    return await asyncio.wait_for(connection.receive(), STEP_TIMEOUT)


def figures_in(event: bytes) -> dict[str, Any]:
    (data,) = [line for line in event.decode().splitlines() if line.startswith("data: ")]
    figures: dict[str, Any] = json.loads(data.removeprefix("data: "))
    return figures


async def test_ticker_runs_only_while_serving() -> None:
    app = create_app({"TESTING": True})
    process = process_of(app)
    assert process.ticker_task is None
    async with app.test_app():
        task = process.ticker_task
        assert task is not None and not task.done()
        assert process.state.server.startswith("Hypercorn ")
        assert process.state.worker_class == "asyncio"
    await asyncio.sleep(0)
    assert task.done()
    assert process.ticker.closed


async def test_stream_headers_first_event_and_ticks(serving: Quart) -> None:
    client = serving.test_client()
    async with client.request("/process/stream") as connection:
        first = await receive(connection)
        assert isinstance(connection, StreamConnection)  # the protocol Quart declares lacks the response
        assert connection.status_code == 200
        assert connection.headers is not None
        assert connection.headers["Content-Type"] == "text/event-stream; charset=utf-8"
        assert connection.headers["Cache-Control"] == "no-cache"
        assert connection.headers["X-Accel-Buffering"] == "no"
        assert first.startswith(b"retry: 3000\n")
        figures = figures_in(first)
        assert figures["viewers"] == 1
        assert figures["pid"] > 0 and figures["server"].startswith("Hypercorn")
        ticks = [figures_in(await receive(connection)) for _ in range(3)]
        uptimes = [tick["uptime_seconds"] for tick in ticks]
        assert uptimes == sorted(uptimes) and uptimes[0] < uptimes[-1]
        await connection.disconnect()


async def test_two_hundred_streams_leave_nothing_behind(serving: Quart) -> None:
    process = process_of(serving)
    tasks_before = asyncio.all_tasks()
    client = serving.test_client()
    async with AsyncExitStack() as stack:
        opened: list[HTTPConnection] = []
        for _ in range(200):
            # Quart's protocol types __aexit__'s arguments as never None, which an exit stack passes
            opened.append(await stack.enter_async_context(client.request("/process/stream")))  # type: ignore[arg-type]
        await asyncio.gather(*(receive(connection) for connection in opened))
        assert process.ticker.viewers == 200
        await asyncio.gather(*(receive(connection) for connection in opened))  # a tick reaches all of them
        for connection in opened:
            await connection.disconnect()
    for _ in range(50):  # the cancelled handlers run their finally blocks on the next turns of the loop
        if process.ticker.viewers == 0 and asyncio.all_tasks() <= tasks_before:
            break
        await asyncio.sleep(0.01)
    assert process.ticker.viewers == 0
    assert asyncio.all_tasks() <= tasks_before


async def test_stream_outlives_the_response_timeout() -> None:
    app = create_app({"TESTING": True, "PROCESS_TICK_SECONDS": TEST_TICK, "RESPONSE_TIMEOUT": 0.2})
    async with app.test_app(), app.test_client().request("/process/stream") as connection:
        uptime = 0.0
        for _ in range(100):  # ticks every 0.05 s: well past the 0.2 s timeout within 100 of them
            uptime = figures_in(await receive(connection))["uptime_seconds"]
            if uptime > 0.6:
                break
        assert uptime > 0.6
        await connection.disconnect()


async def test_shutdown_event_ends_every_stream(serving: Quart) -> None:
    client = serving.test_client()
    async with client.request("/process/stream") as connection:
        await receive(connection)
        begin_shutdown(serving, 5.0)
        for _ in range(100):  # ticks queued before the shutdown come first
            if await receive(connection) == SHUTDOWN_EVENT:
                break
        else:
            pytest.fail("no shutdown event")
        await connection.disconnect()


async def test_over_the_viewer_cap_is_503_with_retry_after() -> None:
    app = create_app({"TESTING": True, "STREAM_MAX_VIEWERS": 2})
    async with app.test_app():
        client = app.test_client()
        async with client.request("/process/stream") as one, client.request("/process/stream") as two:
            await receive(one)
            await receive(two)
            refused = await client.get("/process/stream")
            assert refused.status_code == 503
            assert refused.headers["Retry-After"] == "5"
            assert refused.content_type == "text/plain; charset=utf-8"
            assert await refused.get_data() == b"Too many live viewers; try again in a few seconds."
            await one.disconnect()
            await two.disconnect()


async def test_head_on_the_stream_ends(serving: Quart) -> None:
    response = await asyncio.wait_for(serving.test_client().head("/process/stream"), STEP_TIMEOUT)
    assert response.status_code == 200
    assert response.content_type == "text/event-stream; charset=utf-8"


async def test_page_figures_without_javascript(serving: Quart) -> None:
    client = serving.test_client()
    for _ in range(4):
        await client.get("/hello/")
    response = await client.get("/process/")
    page = await response.get_data(as_text=True)
    assert response.status_code == 200
    process = process_of(serving)
    assert f'<span data-figure="pid">{process.state.pid}</span>' in page
    assert '<td data-figure="requests_served">5</td>' in page  # four greetings and this page
    assert '<span data-figure="in_flight">1</span>' in page  # this request
    assert 'data-stream="/process/stream"' in page
    assert "<td>production</td>" in page


def test_flask_twin_page_has_no_stream(flask_client: FlaskClient) -> None:
    flask_client.get("/")
    response = flask_client.get("/process/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<td data-figure="requests_served">2</td>' in page
    assert "data-stream" not in page and "<script>" not in page
    assert "the Flask twin has no live stream" in page


async def test_quart_reads_each_template_once(serving: Quart) -> None:
    client = serving.test_client()
    for _ in range(100):
        assert (await client.get("/greet/")).status_code == 200
    state = process_of(serving).state
    assert state.template_reads["greet.html"] == 1
    assert state.template_reads["base.html"] == 1
    assert state.template_renders["greet.html"] == 100


def test_flask_twin_reads_each_template_once(flask_app: Flask, flask_client: FlaskClient) -> None:
    for _ in range(100):
        assert flask_client.get("/greet/").status_code == 200
    state = flask_app.extensions["greeter.process"].state
    assert state.template_reads["greet.html"] == 1
    assert state.template_renders["greet.html"] == 100


@pytest.mark.parametrize("app_kind", ["quart", "flask"])
@pytest.mark.parametrize(
    ("path", "status", "body"),
    [
        ("/wait/0", 200, b"Waited 0 seconds.\n"),
        ("/wait/0.05", 200, b"Waited 0.05 seconds.\n"),
        ("/wait/1", 200, b"Waited 1 second.\n"),
        ("/wait/1.0", 200, b"Waited 1 second.\n"),
        ("/wait/abc", 400, b"'abc' is not a number of seconds; give one like 1, 0.5 or 2.25.\n"),
        ("/wait/-1", 400, b"-1 is negative; a wait is from 0 to 10 seconds.\n"),
        ("/wait/nan", 400, b"nan is not a finite number of seconds; give one like 1, 0.5 or 2.25.\n"),
        ("/wait/10.5", 400, b"10.5 seconds is over the maximum of 10; a wait is from 0 to 10 seconds.\n"),
    ],
)
async def test_wait(app: Quart, flask_client: FlaskClient, app_kind: str, path: str, status: int, body: bytes) -> None:
    if app_kind == "quart":
        response = await app.test_client().get(path)
        status_code, content_type, data = response.status_code, response.content_type, await response.get_data()
    else:
        twin = flask_client.get(path)
        status_code, content_type, data = twin.status_code, twin.content_type, twin.data
    assert (status_code, content_type, data) == (status, "text/plain; charset=utf-8", body)


async def test_wait_maximum_is_a_setting() -> None:
    app = create_app({"TESTING": True, "WAIT_MAX_SECONDS": 0.1})
    response = await app.test_client().get("/wait/0.2")
    assert response.status_code == 400
    assert await response.get_data() == b"0.2 seconds is over the maximum of 0.1; a wait is from 0 to 0.1 seconds.\n"


@pytest.mark.parametrize(
    ("served", "seconds", "line"),
    [(1, 5.2, "served 1 request in 00:00:05"), (1234, 3 * 86_400 + 3_723, "served 1234 requests in 3 d 01:02:03")],
)
def test_served_line(served: int, seconds: float, line: str) -> None:
    state = ProcessState(pid=42, started_monotonic=time.monotonic() - seconds, requests_served=served)
    assert state.served_line() == f"greeter: process 42 {line}"


@pytest.mark.parametrize(
    ("in_flight", "line"),
    [
        (0, None),
        (1, "greeter: stopping; waiting up to 5 s for 1 request in flight."),
        (3, "greeter: stopping; waiting up to 5 s for 3 requests in flight."),
    ],
)
def test_stopping_line(in_flight: int, line: str | None) -> None:
    assert ProcessState(in_flight=in_flight).stopping_line(5.0) == line


TEMPLATE_ROW = re.compile(r"<tr><td>([\w.]+)</td><td>(\d+)</td><td>(\d+)</td></tr>")


async def test_the_first_view_shows_the_templates_it_was_rendered_from(make_fetch: Callable[..., Fetch]) -> None:
    fetch = make_fetch()
    first = await fetch("/process/")
    # read once each; the page itself counted as rendered; base.html only ever extended, never a page of its own
    assert TEMPLATE_ROW.findall(first.text) == [("base.html", "1", "0"), ("process.html", "1", "1")]
    second = await fetch("/process/")
    assert TEMPLATE_ROW.findall(second.text) == [("base.html", "1", "0"), ("process.html", "1", "2")]
