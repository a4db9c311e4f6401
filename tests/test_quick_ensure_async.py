"""greeter/plumbing/quick_ensure_async.py: the same answer as Quart's ensure_async, without inspect for async def."""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from quart import Quart

from greeter import create_app
from greeter.plumbing.quick_ensure_async import QuickEnsureAsync


async def async_function() -> str:
    return "async"


def plain_function() -> str:
    return "plain"


async def async_generator() -> AsyncIterator[str]:
    yield "gen"


class Holder:
    async def async_method(self) -> str:
        return "method"

    def plain_method(self) -> str:
        return "plain method"

    def __call__(self) -> str:
        return "callable"


HOLDER = Holder()
CALLABLES: dict[str, Callable[..., Any]] = {
    "async def": async_function,
    "async method": HOLDER.async_method,
    "plain def": plain_function,
    "plain method": HOLDER.plain_method,
    "partial of async def": functools.partial(async_function),
    "lambda": lambda: "lambda",
    "callable object": HOLDER,
    "async generator": async_generator,
}


@pytest.mark.parametrize("name", CALLABLES)
def test_each_callable_is_given_back_or_wrapped_as_quart_does(name: str) -> None:
    func = CALLABLES[name]
    quick, stock = QuickEnsureAsync(__name__), Quart(__name__)
    assert (quick.ensure_async(func) is func) == (stock.ensure_async(func) is func)


async def test_a_wrapped_plain_function_still_runs_and_answers() -> None:
    wrapped = QuickEnsureAsync(__name__).ensure_async(plain_function)
    assert await asyncio.wait_for(wrapped(), 5) == "plain"


def test_an_async_def_is_known_without_asking_inspect(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[object] = []

    def iscoroutinefunction(func: object) -> bool:
        asked.append(func)
        return True

    monkeypatch.setattr(inspect, "iscoroutinefunction", iscoroutinefunction)
    app = QuickEnsureAsync(__name__)
    assert app.ensure_async(async_function) is async_function
    assert app.ensure_async(HOLDER.async_method) == HOLDER.async_method
    assert asked == []


def test_greeters_app_is_one() -> None:
    assert isinstance(create_app(), QuickEnsureAsync)
