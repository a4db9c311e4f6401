"""The request target read as Werkzeug's server reads it, so greeter is given the request its twin is given.

Hypercorn splits the target at its first "?" and percent-decodes the part before (hypercorn/protocol/http_stream.py);
Quart then runs `urlparse` on a decoded path that does not start with "/" (quart/asgi.py:81). Werkzeug's
development server, the twin's, runs `urlsplit` on the target as it came, then decodes the path
(werkzeug/serving.py, make_environ). The two read an origin-form target (`/hello/x?y`) alike, but not:

- a fragment: `GET /hello#x` is `/hello` to Werkzeug; Hypercorn kept `#x` in the path (a 404) or the query;
- a target not in origin form (`GET hello/;`): Quart's `urlparse` of the decoded path dropped `;params`, cut the path
  at a decoded `%3F` or `%23`, lost `%0A`; Werkzeug keeps them in the path;
- the absolute form (`GET http://h/hello`): its authority is the Host to Werkzeug, whatever the header says (RFC
  9112, 3.2.2); Quart ignored it;
- an empty path (`GET ?`, `GET #x`, `GET http://h`): Quart raised IndexError on `path[0]` (a 500); Werkzeug routes
  "", which redirects to `/` (greeter/plumbing/flask_routing.py routes it so);
- a target `urlsplit` refuses (`GET http://[::1/x`): Quart's `urlparse` raised ValueError (a 500); Werkzeug's server
  drops the connection; greeter answers 400 (greeter/plumbing/flask_routing.py).
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, cast
from urllib.parse import unquote, urlsplit

from hypercorn.typing import ASGIFramework, ASGIReceiveCallable, ASGISendCallable, HTTPScope, Scope, WebsocketScope

# scope keys set here, read when the request is routed (greeter/plumbing/flask_routing.py)
EMPTY_PATH = "greeter.empty_path"  # the target's path was empty: route "", as Werkzeug does
UNREADABLE_TARGET = "greeter.unreadable_target"  # urlsplit refused the target: answer 400


class TargetReadAsWerkzeug:
    """ASGI middleware, outermost: the scope's path, query and Host as Werkzeug's server would give them."""

    def __init__(self, app: ASGIFramework) -> None:
        self.app = app

    def __call__(self, scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable) -> Awaitable[None]:
        # not async itself: no frame of this layer kept for as long as the request lasts (websocket_as_http.py)
        if (scope["type"] == "http" or scope["type"] == "websocket") and "server" in scope:  # `or`: mypy narrows it
            raw_path = scope["raw_path"]
            # an origin-form target without a fragment reads the same both ways: nearly every request stops here.
            # Only a server's raw_path is the target as it came: Quart's test client writes it from the decoded path
            # (quart/testing/utils.py:204), so its %23 is a "#" there; its scope, alone without a "server" (a key
            # every server sets, None for a Unix socket), is left as it is
            if not raw_path.startswith(b"/") or b"#" in raw_path or b"#" in scope["query_string"]:
                scope = read_as_werkzeug(scope)
        return self.app(scope, receive, send)


def read_as_werkzeug(server_scope: HTTPScope | WebsocketScope) -> HTTPScope | WebsocketScope:
    """A copy of the scope whose path, query and Host are those Werkzeug's server would give the app."""
    scope: dict[str, Any] = dict(server_scope)  # the server's scope is its own
    query = scope["query_string"]
    # the target as it came: h11 passes only visible ASCII, which http.server reads as latin-1
    target = (scope["raw_path"] + (b"?" + query if query else b"")).decode("latin-1")
    if target.startswith("//"):  # http/server.py, parse_request: never read as a scheme-relative URL
        target = "/" + target.lstrip("/")
    try:
        parts = urlsplit(target)
    except ValueError:  # "Invalid IPv6 URL"
        scope.update(path="/", raw_path=b"/", query_string=b"")
        scope[UNREADABLE_TARGET] = True
        return cast("HTTPScope | WebsocketScope", scope)
    # werkzeug/serving.py, make_environ: with no scheme, what urlsplit took for an authority is the path's start
    path = f"/{parts.netloc}{parts.path}" if not parts.scheme and parts.netloc else parts.path
    decoded = unquote(path)  # as Hypercorn and Werkzeug both decode: UTF-8, errors replaced
    scope["raw_path"] = path.encode("latin-1")
    scope["query_string"] = parts.query.encode("latin-1")
    if decoded:
        # Werkzeug's Request puts one slash in front of whatever PATH_INFO is: the same path, which Quart takes as
        # it is when it starts with "/"
        scope["path"] = "/" + decoded.lstrip("/")
    else:
        scope["path"] = "/"  # Quart indexes path[0]; the URL map routes "" instead
        scope[EMPTY_PATH] = True
    if parts.scheme and parts.netloc:  # an absolute URL: its authority is the Host
        host = parts.netloc.encode("latin-1")
        scope["headers"] = [
            (b"host", host),
            *((name, value) for name, value in scope["headers"] if name.lower() != b"host"),
        ]
    return cast("HTTPScope | WebsocketScope", scope)
