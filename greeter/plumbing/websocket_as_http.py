"""A WebSocket handshake answered as the same request over plain HTTP, as the twin answers it.

greeter has no WebSocket routes. Quart runs a `websocket` scope through its websocket path (quart/app.py,
asgi_app; quart/asgi.py, ASGIWebsocketConnection), where no before_request hook runs: a handshake to /hello with
a refused Host got Quart's 404 page, without the Host's 400, the 421, the security headers or the log line.
Werkzeug's server, the twin's, runs the same bytes through the app as an ordinary GET, which Werkzeug's router
matches as a WebSocket request (werkzeug/routing/map.py:307, bind_to_environ): guard first, then a 400
(WebsocketMismatch) for an HTTP route or a 404. So greeter gives the app the equivalent `http` scope, marked so that
it is routed as Werkzeug routes it (greeter/plumbing/flask_routing.py), and sends its answer back through the ASGI
WebSocket HTTP response extension (`websocket.http.response.start/body`), which Hypercorn offers
(hypercorn/protocol/ws_stream.py:224, sent by _send_rejection): the guard, the headers, the refusals and the log
line are those of the HTTP request. This holds for an HTTP/1.1 Upgrade and for HTTP/2's extended CONNECT (RFC 8441).
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, cast

from hypercorn.typing import ASGIFramework, ASGIReceiveCallable, ASGISendCallable, HTTPScope, Scope, WebsocketScope

WEBSOCKET_HANDSHAKE = "greeter.websocket_handshake"  # scope key: route it as Werkzeug routes a handshake
HTTP_RESPONSE = "websocket.http.response"  # the extension's name in scope["extensions"]
SCHEMES = {"ws": "http", "wss": "https"}


class WebsocketAsHTTP:
    """ASGI middleware, outermost: a `websocket` scope is handled as the GET it is, its answer sent as HTTP."""

    def __init__(self, app: ASGIFramework) -> None:
        self.app = app

    def __call__(self, scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable) -> Awaitable[None]:
        # not async itself: an http request is the app's own call, with no frame of this layer kept as long as it
        # lasts (a live stream's hour); Quart's __call__, which the server sees, awaits what this gives back
        if scope["type"] != "websocket":
            return self.app(scope, receive, send)
        return self._handshake(scope, receive, send)

    async def _handshake(self, scope: WebsocketScope, receive: ASGIReceiveCallable, send: ASGISendCallable) -> None:
        if HTTP_RESPONSE not in (scope.get("extensions") or {}):
            # a server that cannot send an HTTP answer to a handshake: refuse it (a 403 there), never serve it
            await receive()  # websocket.connect
            await send({"type": "websocket.close", "code": 1000, "reason": ""})
            return
        await self.app(as_http_scope(scope), http_receive(receive), http_send(send))


def as_http_scope(scope: WebsocketScope) -> HTTPScope:
    """The http scope of the same request: a GET, its scheme http or https, the rest as the server gave it."""
    http: dict[str, Any] = {key: value for key, value in scope.items() if key not in ("subprotocols", "extensions")}
    http.update(type="http", method="GET", scheme=SCHEMES.get(scope.get("scheme", "ws"), "http"), extensions={})
    http[WEBSOCKET_HANDSHAKE] = True
    return cast(HTTPScope, http)


def http_receive(receive: ASGIReceiveCallable) -> ASGIReceiveCallable:
    """The handshake's messages as an http request's: its body is empty (Hypercorn refuses one with 400 before the
    app hears of it, ws_stream.py:238), and the client leaving is an http.disconnect."""
    connected = False

    async def receive_as_http() -> Any:
        nonlocal connected
        while True:
            message = await receive()
            if message["type"] == "websocket.connect" and not connected:
                connected = True
                return {"type": "http.request", "body": b"", "more_body": False}
            if message["type"] == "websocket.disconnect":
                return {"type": "http.disconnect"}

    return cast(ASGIReceiveCallable, receive_as_http)


def http_send(send: ASGISendCallable) -> ASGISendCallable:
    """The app's http answer, sent as the extension's messages."""

    async def send_as_websocket(message: Any) -> None:
        if message["type"] == "http.response.start":
            await send(
                {"type": "websocket.http.response.start", "status": message["status"], "headers": message["headers"]}
            )
        elif message["type"] == "http.response.body":
            await send(
                {
                    "type": "websocket.http.response.body",
                    "body": message.get("body", b""),
                    "more_body": message.get("more_body", False),
                }
            )
        # anything else (trailers, server push) has no place in the extension: dropped

    return cast(ASGISendCallable, send_as_websocket)
