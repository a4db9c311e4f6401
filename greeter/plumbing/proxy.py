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
    return EmptyValuesIgnored(ProxyFixMiddleware(ForwardedPrefix(app, hops), mode="legacy", trusted_hops=hops), hops)


# the headers believed from a proxy: Hypercorn's ProxyFixMiddleware reads the first three, ForwardedPrefix the last
FORWARDED = (b"x-forwarded-proto", b"x-forwarded-host", b"x-forwarded-for", b"x-forwarded-prefix")


class EmptyValuesIgnored:
    """The X-Forwarded-* lists read as Werkzeug's ProxyFix reads them: an empty item is no hop, and an empty header
    leaves the server's own value (werkzeug/middleware/proxy_fix.py, _get_real_value and `if x_proto:`).

    Hypercorn's ProxyFixMiddleware takes "" as a value (hypercorn/middleware/proxy_fix.py:51-60): an empty
    X-Forwarded-Proto made the scheme "", which the guard refuses (400) where the twin redirects on http, an empty
    X-Forwarded-Host made the Host "", and `https, ` was an empty hop. So each such header is passed on with its
    empty items left out, or not at all.
    """

    def __init__(self, app: ASGIFramework, hops: int) -> None:
        self.app = app
        self.hops = hops

    async def __call__(self, scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable) -> None:
        if scope["type"] == "http" or scope["type"] == "websocket":  # `or`, not `in`: mypy narrows it
            headers = scope["headers"]
            lists = {name: hop_values(headers, name) for name in FORWARDED}
            if any("" in values for values in lists.values()):
                scope = copy(scope)  # the server's scope is its own
                scope["headers"] = [(name, value) for name, value in headers if name.lower() not in FORWARDED] + [
                    (name, b", ".join(value.encode("latin-1") for value in values if value))
                    for name, values in lists.items()
                    if any(values)
                ]
        await self.app(scope, receive, send)


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
    values = hop_values(headers, name)
    return values[-hops] if 0 < hops <= len(values) else None


def hop_values(headers: Iterable[tuple[bytes, bytes]], name: bytes) -> list[str]:
    """The items of a comma-separated header, all its lines together, each stripped ("" for an empty one)."""
    return [
        value.strip().decode("latin-1")
        for header, joined in headers
        if header.lower() == name
        for value in joined.split(b",")
    ]
