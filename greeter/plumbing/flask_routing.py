"""Quart, routing a request and refusing a static file as Flask does where Quart 0.22 does not.

Three places where the same request got a 500 and a traceback from Quart and a clean answer from Flask:

- a Host IDNA cannot encode (a label longer than 63 characters, an empty one: `a..b`, `.a`): Werkzeug's Map.bind
  raises BadHost. Flask keeps it as the request's routing exception (flask/ctx.py, RequestContext.__init__), so the
  before_request hooks run (greeter's guard refuses that Host) and nothing else does; Quart binds in its request
  context's constructor (quart/ctx.py:52), before the try of quart/app.py:1464, where nothing handles it;
- an empty path (`GET ?`): Werkzeug's server gives Flask the PATH_INFO "", which Werkzeug's router redirects to
  `/`; greeter/plumbing/request_target.py marks it, and it is routed so here;
- a static file name longer than the system takes (`/static/` and 8,000 characters): Quart's send_from_directory
  asks Path.is_file, which re-raises ENAMETOOLONG (quart/helpers.py:283); Werkzeug's asks os.path.isfile, which
  says no to any OSError, and Flask answers 404.

And a WebSocket handshake, given to the app as an http request (greeter/plumbing/websocket_as_http.py), is matched
as a WebSocket request, as Werkzeug matches one: a 400 for an HTTP route, a 404 for the rest, as in the twin.
"""

from __future__ import annotations

import os
from typing import Any

from quart import Quart
from quart.wrappers import Response
from quart.wrappers.base import BaseRequestWebsocket
from werkzeug.exceptions import BadRequest, HTTPException, NotFound
from werkzeug.routing import MapAdapter
from werkzeug.security import safe_join

from greeter.plumbing.quick_ensure_async import QuickEnsureAsync
from greeter.plumbing.request_target import EMPTY_PATH, UNREADABLE_TARGET
from greeter.plumbing.websocket_as_http import WEBSOCKET_HANDSHAKE


class FlaskRoutedQuart(QuickEnsureAsync):
    """Quart, with a request's URL adapter made as Flask makes it and static files refused as Flask refuses them
    (and an `async def` hook known as one at a glance: greeter/plumbing/quick_ensure_async.py)."""

    def create_url_adapter(self, request: BaseRequestWebsocket | None) -> MapAdapter | None:
        if request is None:
            return super().create_url_adapter(request)
        if request.scope.get(UNREADABLE_TARGET):
            return Refusing(self, request, BadRequest())
        try:
            adapter = super().create_url_adapter(request)
        except HTTPException as error:  # BadHost, from Map.bind
            return Refusing(self, request, error)
        if adapter is not None and request.scope.get(EMPTY_PATH):
            adapter.path_info = ""  # Werkzeug's router redirects "" to "/", the query kept
        if adapter is not None and request.scope.get(WEBSOCKET_HANDSHAKE):
            # a handshake, matched as a WebSocket request as Werkzeug's bind_to_environ matches one
            # (werkzeug/routing/map.py:307): an HTTP route is a 400 (WebsocketMismatch), the rest 404
            adapter.websocket = True
            adapter.url_scheme = "wss" if adapter.url_scheme == "https" else "ws"
        return adapter

    async def send_static_file(self, filename: str) -> Response:
        if self.static_folder is not None:
            path = safe_join(str(self.static_folder), filename)
            if path is None or not os.path.isfile(path):  # werkzeug/utils.py, send_from_directory
                raise NotFound()
        return await super().send_static_file(filename)


class Refusing(MapAdapter):
    """The adapter of a request that cannot be routed: matching it raises the refusal, which Quart keeps as the
    request's routing exception (quart/ctx.py, match_request), as Flask keeps the one of its binding."""

    def __init__(self, app: Quart, request: BaseRequestWebsocket, refusal: HTTPException) -> None:
        super().__init__(app.url_map, "", request.root_path, None, request.scheme, "/", request.method)
        self.refusal = refusal

    def match(self, *args: Any, **kwargs: Any) -> Any:
        raise self.refusal
