"""Each app's own cost per request, with no server: the Quart apps called as ASGI, the Flask twin as WSGI.

What a server adds (parsing, sockets, the event loop's I/O) is the same for every app on it; this measures
what is left, the app's own work, as CPU time of this process per request. The apps take turns round by round,
as in the rest of the bench, and the figure is the median over rounds.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass
from typing import Any

from flask import Flask
from quart import Quart
from werkzeug.test import EnvironBuilder

from greeter.shared.stop_request import StopRequest

HOST = "127.0.0.1:8000"
WARM_UP = 200  # requests before measuring: templates compiled, caches filled


@dataclass(frozen=True)
class InProcessResult:
    path: str
    contender: str
    status: int
    cpu_us_per_request: float  # median over rounds
    requests: int  # per round


Measure = Callable[[str, int], Coroutine[Any, Any, tuple[float, int]]]


def asgi_measure(app: Any) -> Measure:
    """CPU seconds for n requests to an ASGI app, each as a server hands it over: the scope, one body message."""

    async def measure(path: str, n: int) -> tuple[float, int]:
        scope = _scope(path)
        status = 0

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]

        started = time.process_time()
        for _ in range(n):
            await app(dict(scope), _receiver(), send)
        return time.process_time() - started, status

    return measure


def _receiver() -> Callable[[], Coroutine[Any, Any, dict[str, Any]]]:
    """The request's one body message, then nothing: the client stays until the app is done."""
    asked = False

    async def receive() -> dict[str, Any]:
        nonlocal asked
        if not asked:
            asked = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()  # cancelled by the app when it is done with the request
        return {"type": "http.disconnect"}

    return receive


def wsgi_measure(app: Callable[..., Iterable[bytes]]) -> Measure:
    """CPU seconds for n requests to a WSGI app, each with a fresh environ, its body read to the end."""

    async def measure(path: str, n: int) -> tuple[float, int]:
        environ = EnvironBuilder(path=path, base_url=f"http://{HOST}/").get_environ()
        environ["REMOTE_ADDR"] = "127.0.0.1"
        status = 0

        def start_response(status_line: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
            nonlocal status
            status = int(status_line.split(" ", 1)[0])

        started = time.process_time()
        for _ in range(n):
            body = app(dict(environ), start_response)
            for _chunk in body:
                pass
            close = getattr(body, "close", None)
            if close is not None:
                close()
        return time.process_time() - started, status

    return measure


def _scope(path: str) -> dict[str, Any]:
    return {
        "type": "http",
        "http_version": "1.1",
        "asgi": {"spec_version": "2.1", "version": "3.0"},
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", HOST.encode()), (b"user-agent", b"greeter-bench"), (b"accept", b"*/*")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
        "extensions": {},
    }


async def measure_all(
    contenders: dict[str, Measure], paths: Iterable[str], *, rounds: int, requests: int
) -> list[InProcessResult]:
    """Every path with every contender, interleaved round by round; medians of CPU µs per request."""
    results = []
    for path in paths:
        samples: dict[str, list[float]] = {key: [] for key in contenders}
        statuses: dict[str, int] = {}
        for measure in contenders.values():
            await measure(path, WARM_UP)
        for _ in range(rounds):
            StopRequest.check()  # a Ctrl+C between two rounds
            for key, measure in contenders.items():
                seconds, statuses[key] = await measure(path, requests)
                samples[key].append(seconds / requests * 1e6)
        results += [
            InProcessResult(path, key, statuses[key], statistics.median(samples[key]), requests) for key in contenders
        ]
    return results


def app_measures(keys: Iterable[str], user_apps: tuple[Flask, Quart] | None = None) -> dict[str, Measure]:
    """The harness for each app named (contenders.py's keys), its app made here."""
    from greeter import create_app
    from greeter.flask_twin import create_flask_app
    from greeter.tools.bench import stock_quart_app
    from greeter.tools.bench.contenders import (
        FLASK_TWIN,
        GREETER,
        STOCK_QUART,
        STOCK_QUART_TEMPLATE,
        YOUR_FLASK,
        YOUR_QUART,
    )

    makers: dict[str, Callable[[], Measure]] = {
        GREETER: lambda: asgi_measure(create_app()),
        STOCK_QUART: lambda: asgi_measure(stock_quart_app.app),
        STOCK_QUART_TEMPLATE: lambda: asgi_measure(stock_quart_app.template_app),
        FLASK_TWIN: lambda: wsgi_measure(create_flask_app()),
    }
    if user_apps is not None:
        flask_app, quart_app = user_apps
        makers[YOUR_QUART] = lambda: asgi_measure(quart_app)
        makers[YOUR_FLASK] = lambda: wsgi_measure(flask_app)
    return {key: makers[key]() for key in keys}


def run_in_process(
    keys: Iterable[str],
    paths: Iterable[str],
    *,
    rounds: int,
    requests: int,
    user_apps: tuple[Flask, Quart] | None = None,
) -> list[InProcessResult]:
    """Each app named, in this process, on the shipped event loop."""
    from greeter.server.worker import event_loop_factory

    contenders = app_measures(keys, user_apps)
    with asyncio.Runner(loop_factory=event_loop_factory("uvloop")) as runner:
        return runner.run(measure_all(contenders, tuple(paths), rounds=rounds, requests=requests))
