"""One ticker per process feeds every live viewer: server-sent events fanned out on the event loop."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator, Callable, Mapping
from typing import Any

RETRY_MILLISECONDS = 3_000  # how soon a browser's EventSource reconnects after the stream ends
KEEPALIVE_SECONDS = 15.0  # a comment at least this often, so proxies do not close a quiet stream
SHUTDOWN_EVENT = b'event: shutdown\ndata: {"reason": "the server is shutting down"}\n\n'
# `greeter --reload` replacing this worker: the same event, and the page reconnects soon, to the new worker
RELOAD_EVENT = b'retry: 250\nevent: shutdown\ndata: {"reason": "the server is reloading", "reconnect": true}\n\n'
KEEPALIVE_COMMENT = b": keep-alive\n\n"


def sse_message(figures: Mapping[str, Any]) -> bytes:
    """One server-sent event carrying the figures as JSON."""
    return b"data: " + json.dumps(figures, separators=(",", ":")).encode() + b"\n\n"


class Ticker:
    """Publishes the process's figures every interval to all viewers at once.

    Each message is made once per tick, whatever the number of viewers. A viewer waits on the tick's event,
    not on a queue of its own, so a slow viewer skips ticks instead of piling them up in memory, and a viewer
    that goes away leaves nothing behind.
    """

    def __init__(self, figures: Callable[[], Mapping[str, Any]], interval: float) -> None:
        self.figures = figures
        self.interval = interval
        self.viewers = 0
        self.closed = False
        self._message = b""
        self._farewell = SHUTDOWN_EVENT
        self._published = asyncio.Event()

    async def run(self) -> None:
        """Tick until closed or cancelled; the app's serving lifecycle starts and stops this task."""
        since_figures = 0.0
        while not self.closed:
            # between two ticks far apart, keep-alive comments at most KEEPALIVE_SECONDS apart
            step = min(self.interval - since_figures, KEEPALIVE_SECONDS)
            await asyncio.sleep(step)
            since_figures += step
            due = since_figures >= self.interval - 1e-9
            if due:
                since_figures = 0.0
            if self.viewers and not self.closed:  # nobody watching: no JSON to make
                self._publish(sse_message(self.figures()) if due else KEEPALIVE_COMMENT)

    def close(self, farewell: bytes = SHUTDOWN_EVENT) -> None:
        """Tell every viewer the server is going away (or reloading); their streams end after this event."""
        if not self.closed:
            self.closed = True
            self._farewell = farewell
            self._publish(farewell)

    async def stream(self) -> AsyncGenerator[bytes, None]:
        """One viewer's events: the figures at once, then one message per tick, until the viewer or server goes."""
        if self.closed:
            yield self._farewell
            return
        # counted here, inside the generator, so the finally below always undoes it
        self.viewers += 1
        try:
            yield f"retry: {RETRY_MILLISECONDS}\n".encode() + sse_message(self.figures())
            # closed is checked on every turn: a viewer busy sending when close() ran still ends properly
            while not self.closed:
                await self._published.wait()
                if not self.closed:
                    yield self._message
            yield self._farewell
        finally:
            self.viewers -= 1

    def _publish(self, message: bytes) -> None:
        # swap in a fresh event before waking the waiters, so each wakes once per message
        self._message = message
        published, self._published = self._published, asyncio.Event()
        published.set()
