"""Safety on every request of the Quart app: the Host check and the prefix's account first, the headers last.

greeter/flask_twin/guard.py is the same, synchronous.
"""

from __future__ import annotations

from quart import Quart, Response, request
from quart.sessions import SecureCookieSessionInterface

from greeter.plumbing.asgi_connection import add_to_every_response
from greeter.plumbing.debug_mode import debug_security_headers, init_debug_mode
from greeter.process import PLAIN_TEXT
from greeter.shared.cookie_path import cookie_path_under, scope_cookies
from greeter.shared.forwarding import forwarding_problem
from greeter.shared.paths import TEMPLATES_DIR
from greeter.shared.security import (
    came_through_unbelieved_proxy,
    host_problem,
    refusal_log_line,
    security_headers,
)
from greeter.shared.settings import SERVED_HOSTS


class SessionUnderPrefix(SecureCookieSessionInterface):
    """Quart's session cookie, under the prefix the request came in by (Quart's own takes APPLICATION_ROOT, `/`)."""

    def get_cookie_path(self, app: Quart) -> str:
        return cookie_path_under(request.root_path, super().get_cookie_path(app))


def init_app(app: Quart) -> None:
    """Refuse a bad Host or another account's prefix, keep cookies under the prefix, and add the security headers."""
    # in debug mode greeter's traceback page and live-reload script are ours too: their inline code is allowed by
    # its hash, and every violation is reported, to be said in the terminal (greeter/plumbing/debug_mode.py)
    headers = debug_security_headers(TEMPLATES_DIR) if app.debug else security_headers(TEMPLATES_DIR)
    trusted_hosts = app.config[SERVED_HOSTS]
    proxy_hops = app.config["PROXY_HOPS"]
    prefix_user = app.config["PREFIX_USER"]

    # before routing's redirects are raised, so a Host that is refused never reaches a Location header
    @app.before_request
    async def refuse_untrusted_host() -> tuple[str, int, dict[str, str]] | None:
        unbelieved_proxy = came_through_unbelieved_proxy(request.headers.keys(), proxy_hops)
        problem = host_problem(request.headers.get("Host"), trusted_hosts, unbelieved_proxy=unbelieved_proxy)
        if problem is None:
            return None
        app.logger.warning(refusal_log_line(request.method, request.path, problem))
        return problem, 400, {"Content-Type": PLAIN_TEXT}

    # another account's URL that reached this greeter (through a link to its socket), however the prefix is written:
    # refused (421), never served; and what a believed proxy said that is not a scheme or a plain path (400)
    @app.before_request
    async def refuse_misdirected_request() -> tuple[str, int, dict[str, str]] | None:
        refusal = forwarding_problem(request.scheme, request.root_path, prefix_user)
        if refusal is None:
            return None
        status, problem = refusal
        app.logger.warning(refusal_log_line(request.method, request.path, problem, status=status))
        return problem, status, {"Content-Type": PLAIN_TEXT}

    # on a course server every student's app shares one origin: a cookie's Path=/ would reach them all
    app.session_interface = SessionUnderPrefix()

    @app.after_request
    async def scope_cookies_to_prefix(response: Response) -> Response:
        scope_cookies(response.headers, request.root_path)
        return response

    # added where each response starts (greeter/plumbing/asgi_connection.py), encoded once: every answer Quart sends
    # carries them, 404, 405, redirects and error pages included, as the twin's after_request does
    add_to_every_response(app, headers.items())

    if app.debug:
        # the traceback page built inside the request gets the headers like every other answer
        init_debug_mode(app)
