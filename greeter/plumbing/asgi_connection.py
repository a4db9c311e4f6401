"""A leaner ASGI connection layer for Quart (its `asgi_http_class`): the same request, fewer tasks per request.

Quart's own ASGIHTTPConnection runs every request as two tasks (the handler, and a receiver that waits for the
body and for a disconnect), joined by `asyncio.wait` and a `gather`, then sends the response inside a third
task made by `asyncio.wait_for`, in three messages. This class keeps everything Quart does with the request
itself (routing, hooks, views, `Response`, error handling: `app.handle_request`) and changes only the
plumbing around it:

- the request is handled in the connection's own task, and Quart's receiver (which feeds the body and
  watches for the client leaving) starts only once the request waits on anything: its body, a sleep, a
  stream's next event, a slow client. A request answered without waiting (most of them) needs no second task,
  no `asyncio.wait` and no `gather`; one that waits gets Quart's receiver, so the body and its limits
  (MAX_CONTENT_LENGTH, BODY_TIMEOUT) work as in Quart, and a client that leaves cancels its request at once;
- RESPONSE_TIMEOUT (or the response's own `timeout`) bounds sending with `asyncio.timeout`, no extra task;
- a body that is all there (Quart's DataBody) goes out in one message instead of two;
- headers that every answer carries are encoded once, at start, and added where the response starts.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, cast

from hypercorn.typing import (
    ASGIReceiveCallable,
    ASGISendCallable,
    HTTPResponseBodyEvent,
    HTTPResponseStartEvent,
)
from quart.asgi import ASGIHTTPConnection, _handle_exception
from quart.typing import ResponseTypes
from quart.wrappers import Request, Response
from quart.wrappers.response import DataBody
from werkzeug.wrappers import Response as WerkzeugResponse

if TYPE_CHECKING:
    from quart import Quart

# app.extensions key: the (name, value) byte pairs every answer of the app ends with (greeter/guard.py sets them)
EVERY_RESPONSE_HEADERS = "greeter.every_response_headers"
EncodedHeaders = list[tuple[bytes, bytes]]


def add_to_every_response(app: Quart, headers: Iterable[tuple[str, str]]) -> None:
    """Have every answer of the app carry these headers, replacing any of the same name a view set."""
    encoded = app.extensions.setdefault(EVERY_RESPONSE_HEADERS, [])
    encoded += [(name.lower().encode(), value.encode()) for name, value in headers]


class LeanHTTPConnection(ASGIHTTPConnection):
    """Quart's HTTP connection with fewer tasks, messages and header copies per request; see the module."""

    def __init__(self, app: Quart, scope: Any) -> None:
        super().__init__(app, scope)
        self.every_response: EncodedHeaders = app.extensions.get(EVERY_RESPONSE_HEADERS, [])
        self.replaced = {name for name, _ in self.every_response}
        self.disconnected = False

    async def __call__(self, receive: ASGIReceiveCallable, send: ASGISendCallable) -> None:
        request = self._create_request_from_scope(send)
        this_task = asyncio.current_task()
        assert this_task is not None
        receiver: asyncio.Task[None] | None = None

        def start_receiving() -> None:
            # runs only if this task yields to the loop first: the request waits for its body, a sleep, a
            # stream's next event or a slow client; a request answered without waiting never needs it
            nonlocal receiver
            receiver = asyncio.ensure_future(self._receive(request, receive, this_task))

        receiving = asyncio.get_running_loop().call_soon(start_receiving)
        try:
            await self.handle_request(request, send)
        except asyncio.CancelledError:
            # ours, because the client left: end quietly, as Quart's does; anyone else's: pass it on
            if not self.disconnected or this_task.uncancel() > 0:
                raise
        finally:
            receiving.cancel()
            if receiver is not None:
                receiver.cancel()

    async def _receive(self, request: Request, receive: ASGIReceiveCallable, handler: asyncio.Task[Any]) -> None:
        """Quart's receiver: feed the body as it arrives (its limits apply there); a disconnect cancels the handler."""
        await self.handle_messages(request, receive)  # returns on http.disconnect
        self.disconnected = True
        handler.cancel()

    async def handle_request(self, request: Request, send: ASGISendCallable) -> None:
        try:
            response = await self.app.handle_request(request)
        except Exception as error:
            response = await _handle_exception(self.app, error)  # a traceback page in debug mode, else re-raised

        if isinstance(response, Response) and response.timeout != Ellipsis:
            timeout = cast(float | None, response.timeout)
        else:
            timeout = self.app.config["RESPONSE_TIMEOUT"]
        try:
            async with asyncio.timeout(timeout):
                await self._send_response(send, response)
        except TimeoutError:
            pass  # as in Quart: the answer is cut off, the server closes the stream

    async def _send_response(self, send: ASGISendCallable, response: ResponseTypes) -> None:
        replaced = self.replaced  # encoded as Quart's encode_headers does, but skipping the ones replaced
        headers = [
            (key, value.encode())
            for name, value in response.headers.items()
            if (key := name.lower().encode()) not in replaced
        ]
        headers += self.every_response
        await send(
            cast(
                HTTPResponseStartEvent,
                {"type": "http.response.start", "status": response.status_code, "headers": headers},
            )
        )
        if isinstance(response, WerkzeugResponse):
            for data in response.response:
                await send(_body(data.encode() if isinstance(data, str) else data, more=True))
        elif isinstance(body := response.response, DataBody):  # all there: one message
            await send(_body(body.data[body.begin : body.end], more=False))
            return
        else:
            async with body as chunks:
                async for data in chunks:
                    await send(_body(data.encode() if isinstance(data, str) else data, more=True))
        await send(_body(b"", more=False))


def _body(data: bytes, *, more: bool) -> HTTPResponseBodyEvent:
    return {"type": "http.response.body", "body": data, "more_body": more}
