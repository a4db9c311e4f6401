"""Safety on every request of the Quart app: the Host check and the prefix's account first, the headers last.

greeter/flask_twin/guard.py is the same, synchronous.
"""

from __future__ import annotations

from quart import Quart, Response, current_app, request
from quart.debug import TEMPLATE as DEBUG_PAGE
from quart.debug import traceback_response
from quart.sessions import SecureCookieSessionInterface
from werkzeug.exceptions import HTTPException

from greeter.plumbing.asgi_connection import add_to_every_response
from greeter.process import PLAIN_TEXT
from greeter.shared.cookie_path import cookie_path_under, scope_cookies
from greeter.shared.paths import TEMPLATES_DIR
from greeter.shared.security import (
    came_through_unbelieved_proxy,
    host_problem,
    misdirected_problem,
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
    # in debug mode Quart's traceback page is one of ours too: its inline <style> is allowed by its hash, read
    # from the Quart installed, so the page is styled and the policy still allows nothing else
    headers = security_headers(TEMPLATES_DIR, {"quart.debug.TEMPLATE": DEBUG_PAGE} if app.debug else None)
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

    # another account's URL that reached this greeter (through a link to its socket): refused, never served
    @app.before_request
    async def refuse_misdirected_request() -> tuple[str, int, dict[str, str]] | None:
        problem = misdirected_problem(request.root_path, prefix_user)
        if problem is None:
            return None
        app.logger.warning(refusal_log_line(request.method, request.path, problem, status=421))
        return problem, 421, {"Content-Type": PLAIN_TEXT}

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
        # Quart re-raises a view's exception in debug mode and builds its traceback page outside the request
        # (quart.asgi._handle_exception), past every after_request hook: built here, inside the request, the page
        # gets the headers like every other answer. The traceback goes to the terminal too, as Flask's does.
        @app.errorhandler(Exception)
        async def debug_traceback_page(error: Exception) -> Response | HTTPException:
            if isinstance(error, HTTPException):  # a 404 or 405 is an answer, not a bug: as without debug
                return error
            current_app.logger.error("Exception on %s [%s]", request.path, request.method, exc_info=error)
            return await traceback_response(error)
