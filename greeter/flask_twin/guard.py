"""Safety on every request of the Flask twin: the Host check first, the security headers last.

greeter/guard.py is the same, async.
"""

from __future__ import annotations

from flask import Flask, Response, request

from greeter.flask_twin.process import PLAIN_TEXT
from greeter.shared.paths import TEMPLATES_DIR
from greeter.shared.security import came_through_unbelieved_proxy, host_problem, refusal_log_line, security_headers
from greeter.shared.settings import SERVED_HOSTS


def init_app(app: Flask) -> None:
    """Refuse a missing, malformed or untrusted Host, and give every response the security headers."""
    headers = security_headers(TEMPLATES_DIR)
    trusted_hosts = app.config[SERVED_HOSTS]
    proxy_hops = app.config["PROXY_HOPS"]

    # before routing's redirects are raised, so a Host that is refused never reaches a Location header
    @app.before_request
    def refuse_untrusted_host() -> tuple[str, int, dict[str, str]] | None:
        unbelieved_proxy = came_through_unbelieved_proxy(request.headers.keys(), proxy_hops)
        problem = host_problem(request.headers.get("Host"), trusted_hosts, unbelieved_proxy=unbelieved_proxy)
        if problem is None:
            return None
        app.logger.warning(refusal_log_line(request.method, request.path, problem))
        return problem, 400, {"Content-Type": PLAIN_TEXT}

    # after_request also runs for 404, 405, redirects and error pages, so no answer goes out without them
    @app.after_request
    def add_security_headers(response: Response) -> Response:
        response.headers.update(headers)
        return response
