"""Behind reverse proxies: believe their X-Forwarded-* headers, from as many hops as configured and no more.

The Flask twin does the same with Werkzeug's ProxyFix (greeter/flask_twin/__init__.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from copy import copy

from hypercorn.middleware import ProxyFixMiddleware
from hypercorn.typing import ASGIFramework, ASGIReceiveCallable, ASGISendCallable, Scope


def trust_proxies(app: ASGIFramework, hops: int) -> ASGIFramework:
    """The client, scheme and host from X-Forwarded-For/-Proto/-Host, the path prefix from X-Forwarded-Prefix."""
    return ProxyFixMiddleware(ForwardedPrefix(app, hops), mode="legacy", trusted_hops=hops)


class ForwardedPrefix:
    """The path a proxy serves the app under (`/~student/greeter`), so links and redirects keep it.

    Hypercorn's ProxyFixMiddleware leaves X-Forwarded-Prefix alone; Werkzeug's ProxyFix reads it.
    """

    def __init__(self, app: ASGIFramework, hops: int) -> None:
        self.app = app
        self.hops = hops

    async def __call__(self, scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable) -> None:
        if scope["type"] == "http" or scope["type"] == "websocket":  # `or`, not `in`: mypy narrows it
            prefix = trusted_value(scope["headers"], b"x-forwarded-prefix", self.hops)
            # kept as Werkzeug's ProxyFix keeps it, "abc" or "//~eve" too, for the guard to refuse alike
            # (greeter/shared/forwarding.py): a prefix that is not a plain path is never served
            if prefix and prefix.rstrip("/"):
                scope = copy(scope)  # the server's scope is its own
                scope["root_path"] = prefix.rstrip("/")
                # in ASGI the path includes root_path; Quart takes the root path off again for routing
                scope["path"] = scope["root_path"] + scope["path"]
        await self.app(scope, receive, send)


def trusted_value(headers: Iterable[tuple[bytes, bytes]], name: bytes, hops: int) -> str | None:
    """The value the nearest `hops` proxies vouch for: the hops-th from the right of a comma-separated header."""
    values = [
        value.strip().decode("latin-1")
        for header, joined in headers
        if header.lower() == name
        for value in joined.split(b",")
    ]
    return values[-hops] if 0 < hops <= len(values) else None
