"""Quart's Request, whose body makes its two asyncio.Events only when something waits on them, and which works out
its blueprints once per route, not on each of Quart's asks.

Quart's `Body` (quart/wrappers/request.py:52) makes two `asyncio.Event`s for every request, each with its own deque
of waiters, whether or not the request has a body. Most requests have none and nobody waits on it; a live stream
keeps its request for as long as it lasts. `LazyBody` is Quart's `Body` with events that are plain flags until a
waiter comes, and `LeanRequest` is Quart's `Request` on it (the app's `request_class`): everything else is Quart's.

Quart asks `request.blueprints` six times a request (its hooks, teardowns and error handlers, by blueprint), and
each ask works it out again from the endpoint (quart/wrappers/base.py:75-110: five property calls and a split). It
can change only with the request's route (`url_rule`, set once it is matched), so it is kept with the route it
was worked out for.
"""

from __future__ import annotations

import asyncio

from quart.wrappers.request import Body, Request
from werkzeug.exceptions import RequestEntityTooLarge


class LazyEvent:
    """An asyncio.Event made only once something waits on it; until then a flag."""

    __slots__ = ("_event", "_flag")

    def __init__(self) -> None:
        self._flag = False
        self._event: asyncio.Event | None = None

    def is_set(self) -> bool:
        return self._flag

    def set(self) -> None:
        self._flag = True
        if self._event is not None:
            self._event.set()

    def clear(self) -> None:
        self._flag = False
        if self._event is not None:
            self._event.clear()

    async def wait(self) -> bool:
        if self._flag:
            return True
        if self._event is None:
            self._event = asyncio.Event()
        return await self._event.wait()


class LazyBody(Body):
    """Quart's request body with LazyEvents; tests/test_asgi_connection.py checks it has Body's own attributes, so a
    Quart release that changes Body.__init__ is noticed."""

    def __init__(self, expected_content_length: int | None, max_content_length: int | None) -> None:
        # Body.__init__ of Quart 0.20 to 0.22 (quart/wrappers/request.py:52), with LazyEvents
        self._data = bytearray()
        self._complete = LazyEvent()  # type: ignore[assignment]
        self._has_data = LazyEvent()  # type: ignore[assignment]
        self._max_content_length = max_content_length
        self._must_raise: Exception | None = None
        if (
            expected_content_length is not None
            and max_content_length is not None
            and expected_content_length > max_content_length
        ):
            self._must_raise = RequestEntityTooLarge()


_NOT_YET = object()  # no route's blueprints worked out yet (None is a route not matched)


class LeanRequest(Request):
    """Quart's Request on a LazyBody, its blueprints kept with the route they are of."""

    body_class = LazyBody
    _blueprints_of: object = _NOT_YET
    _blueprints: list[str]

    @property
    def blueprints(self) -> list[str]:
        if self.url_rule is not self._blueprints_of:
            self._blueprints = super().blueprints
            self._blueprints_of = self.url_rule
        return self._blueprints
