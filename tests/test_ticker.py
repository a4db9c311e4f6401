"""The ticker alone: one message per tick for every viewer, nothing left behind, a clean end on close."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator

import pytest
from conftest import scaled

from greeter import ticker as ticker_module
from greeter.ticker import KEEPALIVE_COMMENT, RELOAD_EVENT, SHUTDOWN_EVENT, Ticker

STEP_TIMEOUT = scaled(5.0)


def figures() -> dict[str, int]:
    return {"n": 1}


async def next_message(stream: AsyncGenerator[bytes, None]) -> bytes:
    return await asyncio.wait_for(anext(stream), STEP_TIMEOUT)


def data_of(message: bytes) -> object:
    (line,) = [line for line in message.decode().splitlines() if line.startswith("data: ")]
    return json.loads(line.removeprefix("data: "))


async def test_first_message_at_once_then_ticks() -> None:
    ticker = Ticker(figures, interval=0.05)
    task = asyncio.create_task(ticker.run())
    stream = ticker.stream()
    first = await next_message(stream)
    assert first.startswith(b"retry: 3000\n")
    assert data_of(first) == {"n": 1}
    assert ticker.viewers == 1
    for _ in range(3):
        assert data_of(await next_message(stream)) == {"n": 1}
    await stream.aclose()
    assert ticker.viewers == 0
    task.cancel()


async def test_every_viewer_gets_the_same_tick() -> None:
    ticker = Ticker(figures, interval=0.05)
    task = asyncio.create_task(ticker.run())
    streams = [ticker.stream() for _ in range(50)]
    for stream in streams:
        await next_message(stream)
    ticks = await asyncio.gather(*(next_message(stream) for stream in streams))
    assert len(set(ticks)) == 1  # one message, made once
    assert ticker.viewers == 50
    for stream in streams:
        await stream.aclose()
    assert ticker.viewers == 0
    task.cancel()


async def test_close_ends_every_stream_with_the_shutdown_event() -> None:
    ticker = Ticker(figures, interval=60)
    waiting = ticker.stream()
    await next_message(waiting)
    pending = asyncio.create_task(next_message(waiting))
    await asyncio.sleep(0)
    ticker.close()
    assert await pending == SHUTDOWN_EVENT
    with pytest.raises(StopAsyncIteration):
        await next_message(waiting)
    assert ticker.viewers == 0


async def test_a_viewer_busy_when_close_runs_still_ends() -> None:
    # the viewer is between messages (as when its client is slow to take one) while close() runs
    ticker = Ticker(figures, interval=60)
    busy = ticker.stream()
    await next_message(busy)
    ticker.close()
    assert await next_message(busy) == SHUTDOWN_EVENT
    with pytest.raises(StopAsyncIteration):
        await next_message(busy)


async def test_a_stream_opened_after_close_ends_at_once() -> None:
    ticker = Ticker(figures, interval=60)
    ticker.close()
    assert [message async for message in ticker.stream()] == [SHUTDOWN_EVENT]
    assert ticker.viewers == 0


async def test_keepalive_between_distant_ticks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ticker_module, "KEEPALIVE_SECONDS", 0.02)
    ticker = Ticker(figures, interval=60)
    task = asyncio.create_task(ticker.run())
    stream = ticker.stream()
    await next_message(stream)
    assert await next_message(stream) == KEEPALIVE_COMMENT
    await stream.aclose()
    task.cancel()


async def test_no_work_without_viewers() -> None:
    made = 0

    def counted() -> dict[str, int]:
        nonlocal made
        made += 1
        return {"n": made}

    ticker = Ticker(counted, interval=0.01)
    task = asyncio.create_task(ticker.run())
    await asyncio.sleep(0.1)
    assert made == 0
    task.cancel()


async def test_a_reload_says_reconnect_to_every_viewer_and_to_late_ones() -> None:
    ticker = Ticker(figures, interval=60)
    waiting = ticker.stream()
    await next_message(waiting)
    pending = asyncio.create_task(next_message(waiting))
    await asyncio.sleep(0)
    ticker.close(RELOAD_EVENT)
    for farewell in (await pending, *[message async for message in ticker.stream()]):
        assert farewell == RELOAD_EVENT
        assert b"\nevent: shutdown\n" in farewell
        assert data_of(farewell) == {"reason": "the server is reloading", "reconnect": True}
