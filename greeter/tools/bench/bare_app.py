"""The floor of the server: a bare ASGI app, no framework, on the same Hypercorn settings as greeter.

Any path answers `Hello World!`. /process/stream is the floor of a live stream: one server-sent event a second,
made once by one shared ticker for every viewer (greeter's pattern: each viewer waits on the tick's event), and a
viewer's stream ends when the viewer leaves (a task waiting on `receive`, the least an ASGI app needs to hear a
disconnect).

    hypercorn --config hypercorn.toml --bind 127.0.0.1:8000 greeter.tools.bench.bare_app:app
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from hypercorn.typing import ASGIReceiveCallable, ASGISendCallable, Scope

TICK_SECONDS = 1.0  # greeter's default PROCESS_TICK_SECONDS
BODY = b"Hello World!"
HEADERS = [(b"content-type", b"text/html; charset=utf-8"), (b"content-length", str(len(BODY)).encode())]
STREAM_HEADERS = [(b"content-type", b"text/event-stream"), (b"cache-control", b"no-cache")]


class Ticker:
    """One message per tick for every viewer, made once; each viewer waits on the tick's event."""

    def __init__(self) -> None:
        self.viewers = 0
        self.message = b""
        self.published = asyncio.Event()

    def figures(self) -> bytes:
        figures = {"viewers": self.viewers, "time": round(time.time(), 3)}
        return b"data: " + json.dumps(figures, separators=(",", ":")).encode() + b"\n\n"

    async def run(self) -> None:
        while True:
            await asyncio.sleep(TICK_SECONDS)
            if self.viewers:
                self.message = self.figures()
                published, self.published = self.published, asyncio.Event()
                published.set()


ticker: Ticker | None = None  # made at startup, on the server's event loop


async def app(scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable) -> None:
    if scope["type"] == "lifespan":
        await _lifespan(receive, send)
    elif scope["type"] == "http":
        if scope["path"] == "/process/stream" and ticker is not None:
            await _stream(ticker, receive, send)
        else:
            await send({"type": "http.response.start", "status": 200, "headers": HEADERS, "trailers": False})
            await send({"type": "http.response.body", "body": BODY, "more_body": False})


async def _lifespan(receive: ASGIReceiveCallable, send: ASGISendCallable) -> None:
    global ticker
    task: asyncio.Task[None] | None = None
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            ticker = Ticker()
            task = asyncio.create_task(ticker.run())
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            if task is not None:
                task.cancel()
            await send({"type": "lifespan.shutdown.complete"})
            return


async def _stream(ticker: Ticker, receive: ASGIReceiveCallable, send: ASGISendCallable) -> None:
    this_task = asyncio.current_task()
    assert this_task is not None
    listener = asyncio.ensure_future(_until_disconnect(receive))
    listener.add_done_callback(lambda _: this_task.cancel())  # the viewer left: stop waiting for the next tick
    ticker.viewers += 1
    try:
        await send({"type": "http.response.start", "status": 200, "headers": STREAM_HEADERS, "trailers": False})
        await send(_event(b"retry: 3000\n" + ticker.figures()))
        while True:
            await ticker.published.wait()
            await send(_event(ticker.message))
    except asyncio.CancelledError:
        if not listener.done():
            raise  # the server's, not the viewer's
    finally:
        ticker.viewers -= 1
        listener.cancel()


async def _until_disconnect(receive: ASGIReceiveCallable) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


def _event(data: bytes) -> Any:
    return {"type": "http.response.body", "body": data, "more_body": True}
