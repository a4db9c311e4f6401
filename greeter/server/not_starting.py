"""What a worker of `greeter --reload` or `--debug` answers while the code does not start: every request, at once.

The supervisor holds the listening socket from the banner on, so a browser connects even while no app can be
built; without a worker that accepts, its request would wait in the socket until a save imports. So the worker
whose create_app() failed stays up and serves this tiny ASGI app (no Quart: the code that does not start may be
what Quart's app is made of) until the supervisor replaces it:

- under --debug, 500 and greeter's debug page of the error (file, line, the caret), with the debug security
  headers and the live-reload script, which reloads the open page once the code starts;
- under --reload, 503 and one line of plain text that sends the student to the terminal, which has the error.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from contextlib import suppress
from typing import Any

from hypercorn.config import Config
from hypercorn.typing import ASGIReceiveCallable, ASGISendCallable, Scope

from greeter.server.serving_loop import serve
from greeter.server.start_failure import describe_start_failure
from greeter.server.zygote import DEBUG_PAGE, FAILED, SHUTDOWN, Orders
from greeter.shared.paths import PACKAGE_DIR

NOT_STARTING_TEXT = "the code does not start: see greeter's terminal\n"
PLAIN = "text/plain; charset=utf-8"

Answer = tuple[int, str, str, Mapping[str, str]]  # status, content type, body, more headers


def one_line_answer(scope: Scope) -> Answer:
    return 503, PLAIN, NOT_STARTING_TEXT, {"Retry-After": "1"}


def debug_page_answerer(error: BaseException) -> Callable[[Scope], Answer]:
    """Greeter's debug page of the error, for each request; if that page's own code does not import (the error may
    be in greeter's plumbing), the error as the terminal says it, as plain text."""
    try:
        from greeter.plumbing.debug_mode import debug_security_headers
        from greeter.plumbing.debug_page import render_start_failure

        headers = debug_security_headers(None)  # the templates may be what is broken: the debug pages' own hashes
    except Exception:
        text = describe_start_failure(error, PACKAGE_DIR) + "\n"
        return lambda scope: (500, PLAIN, text, {})

    def answer(scope: Scope) -> Answer:
        try:
            return 500, "text/html; charset=utf-8", render_start_failure(error, PACKAGE_DIR, scope), headers
        except Exception:  # a bug of the page must not hide the student's error
            return 500, PLAIN, describe_start_failure(error, PACKAGE_DIR) + "\n", {}

    return answer


class NotStartingApp:
    """An ASGI app that answers every HTTP request with the answer given, and nothing else."""

    def __init__(self, answer: Callable[[Scope], Answer], stop: asyncio.Event) -> None:
        self.answer = answer
        self.stop = stop  # set once the worker stops: each answer then closes its connection

    async def __call__(self, scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        if scope["type"] != "http":  # a websocket: refused (403) before it is accepted
            await send({"type": "websocket.close", "code": 1013, "reason": ""})
            return
        status, content_type, body, more = self.answer(scope)
        data = body.encode()
        headers = [("content-type", content_type), ("content-length", str(len(data))), ("cache-control", "no-store")]
        headers += [(name.lower(), value) for name, value in more.items()]
        if self.stop.is_set():
            headers.append(("connection", "close"))
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(name.encode(), value.encode()) for name, value in headers],
                "trailers": False,
            }
        )
        await send({"type": "http.response.body", "body": data, "more_body": False})


async def answer_until_replaced(config: Config, orders: Orders, error: BaseException, how: str) -> None:
    """Tell the supervisor the code does not start, then answer every request as `how` says until its order."""
    answer = debug_page_answerer(error) if how == DEBUG_PAGE else one_line_answer
    stop = asyncio.Event()
    ordered = asyncio.Event()
    order = SHUTDOWN
    loop = asyncio.get_running_loop()

    def obey() -> None:
        nonlocal order
        with suppress(EOFError):  # the supervisor is gone: stop
            order = orders.recv()
        loop.remove_reader(orders.fileno())
        ordered.set()

    loop.add_reader(orders.fileno(), obey)
    orders.send(FAILED)

    async def shutdown_trigger() -> bool:
        await ordered.wait()
        return order == SHUTDOWN

    app: Any = NotStartingApp(answer, stop)
    await serve(app, config, stop=stop, shutdown_trigger=shutdown_trigger)
