"""Quart, knowing an `async def` hook or view as one by its code's flag, without inspect's six calls each time.

Quart's ensure_async (quart/app.py:1166) asks `asyncio.iscoroutinefunction` each time it runs a hook or a view: six
calls of inspect and functools, seven times on every request of greeter's (the guard's and the process page's
hooks, the view, the session's opener and saver, the teardown). A function or a method whose code says it is a
coroutine function is one whatever else is asked: it is given back at once, as Quart gives it back. Anything else
(a plain def, a partial, a callable object) goes to Quart's own ensure_async, which runs it in a thread if it is not
async.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from inspect import CO_COROUTINE
from typing import Any

from quart import Quart


class QuickEnsureAsync(Quart):
    """Quart, whose ensure_async gives back an `async def` function or method at once; see the module."""

    def ensure_async(self, func: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
        code = getattr(func, "__code__", None)  # a function's, or a bound method's (its function's)
        if code is not None and code.co_flags & CO_COROUTINE:
            return func
        return super().ensure_async(func)
