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
- headers that every answer carries are encoded once, at start, with the set of their names, and added where the
  response starts;
- a request that lasts as long as its client (a live stream) holds only what it still needs: once the view has
  answered, its request (headers, Quart's Request) and its Response are let go and only the body being sent is
  kept; the receiver keeps the request's body only until it is all there; a response with no timeout has no
  `asyncio.timeout` around it; and the body's events are made only if something waits on them (the app's
  request class, greeter/plumbing/lean_request.py);
- served by greeter's own loop (greeter/server/serving_loop.py), an HTTP/1 answer says `Connection: close` once
  the worker stops (`stopping(app)`), so a client sending on a kept-alive connection learns from the answer that
  the connection ends, and closes it itself, instead of sending its next request as the server closes it; and a
  live stream (an answer whose own timeout is None: it lasts as long as its viewer) says it from the start, so
  when a stop or a reload ends it, its connection ends with it at once (a reconnecting EventSource opens a new
  connection anyway, to whichever worker serves then) rather than idling as a kept-alive connection does;
- an HTTP/1 request that came with both Transfer-Encoding and Content-Length is answered with `Connection: close`,
  as RFC 9112 (6.3) says a server must close after it: h11 reads it by its chunks, but a proxy in front may have
  read it by its length and taken the next request for part of its body (request smuggling). Hypercorn keeps the
  connection (hypercorn/protocol/h11.py, _handle_events); Werkzeug's server closes after every request anyway.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
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
from quart.wrappers.request import Body
from quart.wrappers.response import DataBody, ResponseBody
from werkzeug.wrappers import Response as WerkzeugResponse

from greeter.plumbing.locations import locations_as_uris
from greeter.plumbing.lower_case_head import head_in_another_case
from greeter.shared.running_requests import RUNNING, printable

if TYPE_CHECKING:
    from quart import Quart

# app.extensions key: the headers every answer of the app ends with (greeter/guard.py sets them)
EVERY_RESPONSE_HEADERS = "greeter.every_response_headers"
EncodedHeaders = tuple[tuple[bytes, bytes], ...]
STOPPING = "greeter.stopping"  # app.extensions key: the worker's stop, an asyncio.Event
CONNECTION_CLOSE = (b"connection", b"close")


@dataclass(frozen=True)
class EveryResponse:
    """The (name, value) byte pairs every answer ends with, and their names: one for the app, never per request."""

    headers: EncodedHeaders = ()
    names: frozenset[bytes] = frozenset()


NO_HEADERS = EveryResponse()


def stopping(app: Quart) -> asyncio.Event:
    """The app's stop, set once its worker begins to stop: every HTTP/1 answer from then on says Connection: close."""
    event: asyncio.Event = app.extensions.setdefault(STOPPING, asyncio.Event())
    return event


def add_to_every_response(app: Quart, headers: Iterable[tuple[str, str]]) -> None:
    """Have every answer of the app carry these headers, replacing any of the same name a view set."""
    before: EveryResponse = app.extensions.get(EVERY_RESPONSE_HEADERS, NO_HEADERS)
    added = tuple((name.lower().encode(), value.encode()) for name, value in headers)
    app.extensions[EVERY_RESPONSE_HEADERS] = EveryResponse(
        before.headers + added, before.names | {name for name, _ in added}
    )


class LeanHTTPConnection(ASGIHTTPConnection):
    """Quart's HTTP connection with fewer tasks, messages, copies and objects per request; see the module."""

    def __init__(self, app: Quart, scope: Any) -> None:
        super().__init__(app, scope)
        self.every_response: EveryResponse = app.extensions.get(EVERY_RESPONSE_HEADERS, NO_HEADERS)
        self.disconnected = False
        self.receiving: asyncio.Handle | None = None
        self.receiver: asyncio.Task[None] | None = None
        self.stopping: asyncio.Event | None = app.extensions.get(STOPPING)  # None: not served by greeter's loop
        self.framed_twice = scope["http_version"] < "2" and framed_twice(scope["headers"])

    async def __call__(self, receive: ASGIReceiveCallable, send: ASGISendCallable) -> None:
        if self.scope["method"] == "HEAD":  # perhaps a `head`, which Hypercorn upper-cased (lower_case_head.py)
            send = head_in_another_case(send, self.scope)
        request = self._create_request_from_scope(send)
        this_task = asyncio.current_task()
        assert this_task is not None
        # the request this task answers, for the event loop's watchdog (greeter/server/watchdog.py)
        RUNNING[this_task] = printable(f"{request.method} {request.path}")
        # runs only if this task yields to the loop first: the request waits for its body, a sleep, a stream's
        # next event or a slow client; a request answered without waiting never needs a receiver
        self.receiving = asyncio.get_running_loop().call_soon(self._start_receiving, request.body, receive, this_task)
        handling = self.handle_request(request, send)
        del request  # handle_request's alone from here: it lets go of it once the view has answered
        try:
            await handling
        except asyncio.CancelledError:
            # ours, because the client left: end quietly, as Quart's does; anyone else's: pass it on
            if not self.disconnected or this_task.uncancel() > 0:
                raise
        finally:
            RUNNING.pop(this_task, None)
            if self.receiving is not None:
                self.receiving.cancel()
            if self.receiver is not None:
                self.receiver.cancel()

    def _start_receiving(self, body: Body, receive: ASGIReceiveCallable, handler: asyncio.Task[Any]) -> None:
        self.receiving = None  # it ran: nothing to cancel
        self.receiver = asyncio.ensure_future(self._receive(body, receive, handler))

    async def _receive(self, body: Body | None, receive: ASGIReceiveCallable, handler: asyncio.Task[Any]) -> None:
        """Quart's receiver (ASGIHTTPConnection.handle_messages, quart/asgi.py:60): feed the body as it arrives (its
        limits apply there), then, holding the body no longer, wait for the client to leave and cancel the handler."""
        while True:
            message = await receive()
            if message["type"] == "http.request" and body is not None:
                body.append(message.get("body", b""))
                if not message.get("more_body", False):
                    body.set_complete()
                    body = None
            elif message["type"] == "http.disconnect":
                break
        self.disconnected = True
        handler.cancel()

    async def handle_request(self, request: Request, send: ASGISendCallable) -> None:
        try:
            response = await self.app.handle_request(request)
        except Exception as error:
            response = await _handle_exception(self.app, error)  # a traceback page in debug mode, else re-raised
        del request  # answered: a stream that lasts an hour does not keep its request's headers for an hour

        if isinstance(response, Response) and response.timeout != Ellipsis:
            timeout = cast(float | None, response.timeout)
            live = timeout is None  # the view said so: a stream as long as its viewer
        else:
            timeout, live = self.app.config["RESPONSE_TIMEOUT"], False
        sending = self._send_response(send, response, live=live)
        del response  # _send_response's alone from here: it keeps only the body
        if timeout is None:  # a live stream: no deadline to keep
            await sending
            return
        try:
            async with asyncio.timeout(timeout):
                await sending
        except TimeoutError:
            pass  # as in Quart: the answer is cut off, the server closes the stream

    async def _send_response(self, send: ASGISendCallable, response: ResponseTypes, *, live: bool = False) -> None:
        await send(self._response_start(response, live=live))
        if isinstance(response, WerkzeugResponse):
            plain: Iterable[str | bytes] = response.response
            del response
            for data in plain:
                await send(_body(data.encode() if isinstance(data, str) else data, more=True))
        elif isinstance(body := response.response, DataBody):  # all there: one message
            await send(_body(body.data[body.begin : body.end], more=False))
            return
        else:
            del response  # only its body from here: a live stream does not keep its Response for an hour
            await self._send_body(send, body)
        await send(_body(b"", more=False))

    def _response_start(self, response: ResponseTypes, *, live: bool = False) -> HTTPResponseStartEvent:
        """The start message: the response's headers, encoded as Quart's encode_headers does but for those every
        answer carries (added once, at the end), and Connection: close on HTTP/1 once stopping, for a live stream, or
        after a request framed twice."""
        replaced = self.every_response.names
        headers = [
            (key, value.encode())
            for name, value in response.headers.items()
            if (key := name.lower().encode()) not in replaced
        ]
        headers += self.every_response.headers
        locations_as_uris(headers)  # as Werkzeug sends them (greeter/plumbing/locations.py)
        stops = self.stopping is not None and (live or self.stopping.is_set()) and self.scope["http_version"] < "2"
        if stops or self.framed_twice:
            headers.append(CONNECTION_CLOSE)  # HTTP/2 has no such header: the server's GOAWAY says it there
        return cast(
            HTTPResponseStartEvent, {"type": "http.response.start", "status": response.status_code, "headers": headers}
        )

    @staticmethod
    async def _send_body(send: ASGISendCallable, body: ResponseBody) -> None:
        async with body as chunks:
            async for data in chunks:
                await send(_body(data.encode() if isinstance(data, str) else data, more=True))


def framed_twice(headers: Iterable[tuple[bytes, bytes]]) -> bool:
    """Whether the request says both how it is chunked and how long it is, which RFC 9112 (6.3) has the server close
    the connection after."""
    names = {name.lower() for name, _ in headers}
    return b"transfer-encoding" in names and b"content-length" in names


def _body(data: bytes, *, more: bool) -> HTTPResponseBodyEvent:
    return {"type": "http.response.body", "body": data, "more_body": more}
