"""The ceiling: a bare ASGI app answering `Hello World!`, with no framework, on the same Hypercorn settings."""

from __future__ import annotations

from hypercorn.typing import ASGIReceiveCallable, ASGISendCallable, Scope

BODY = b"Hello World!"
HEADERS = [(b"content-type", b"text/html; charset=utf-8"), (b"content-length", str(len(BODY)).encode())]


async def app(scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS, "trailers": False})
    await send({"type": "http.response.body", "body": BODY, "more_body": False})
