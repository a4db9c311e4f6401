"""Safety on every request of the Flask twin: the Host check and the prefix's account first, the headers last.

greeter/guard.py is the same, async.
"""

from __future__ import annotations

from flask import Flask, Response, request
from flask.sessions import SecureCookieSessionInterface

from greeter.flask_twin.process import PLAIN_TEXT
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
    """Flask's session cookie, under the prefix the request came in by (Flask's own takes APPLICATION_ROOT, `/`)."""

    def get_cookie_path(self, app: Flask) -> str:
        return cookie_path_under(request.root_path, super().get_cookie_path(app))


def init_app(app: Flask) -> None:
    """Refuse a bad Host or another account's prefix, keep cookies under the prefix, and add the security headers."""
    headers = security_headers(TEMPLATES_DIR)
    trusted_hosts = app.config[SERVED_HOSTS]
    proxy_hops = app.config["PROXY_HOPS"]
    prefix_user = app.config["PREFIX_USER"]

    # before routing's redirects are raised, so a Host that is refused never reaches a Location header
    @app.before_request
    def refuse_untrusted_host() -> tuple[str, int, dict[str, str]] | None:
        unbelieved_proxy = came_through_unbelieved_proxy(request.headers.keys(), proxy_hops)
        problem = host_problem(request.headers.get("Host"), trusted_hosts, unbelieved_proxy=unbelieved_proxy)
        if problem is None:
            return None
        app.logger.warning(refusal_log_line(request.method, request.path, problem))
        return problem, 400, {"Content-Type": PLAIN_TEXT}

    # another account's URL that reached this greeter (through a link to its socket), however the prefix is written:
    # refused (421), never served; and what a believed proxy said that is not a scheme or a plain path (400)
    @app.before_request
    def refuse_misdirected_request() -> tuple[str, int, dict[str, str]] | None:
        refusal = forwarding_problem(request.scheme, request.root_path, prefix_user)
        if refusal is None:
            return None
        status, problem = refusal
        app.logger.warning(refusal_log_line(request.method, request.path, problem, status=status))
        return problem, status, {"Content-Type": PLAIN_TEXT}

    # on a course server every student's app shares one origin: a cookie's Path=/ would reach them all
    app.session_interface = SessionUnderPrefix()

    @app.after_request
    def scope_cookies_to_prefix(response: Response) -> Response:
        scope_cookies(response.headers, request.root_path)
        return response

    # after_request also runs for 404, 405, redirects and error pages, so no answer goes out without them
    @app.after_request
    def add_security_headers(response: Response) -> Response:
        response.headers.update(headers)
        return response
