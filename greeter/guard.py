"""Safety on every request of the Quart app: the Host check first, the security headers last.

greeter/flask_twin/guard.py is the same, synchronous.
"""

from __future__ import annotations

from quart import Quart, Response, current_app, request
from quart.debug import TEMPLATE as DEBUG_PAGE
from quart.debug import traceback_response
from werkzeug.exceptions import HTTPException

from greeter.plumbing.asgi_connection import add_to_every_response
from greeter.process import PLAIN_TEXT
from greeter.shared.paths import TEMPLATES_DIR
from greeter.shared.security import came_through_unbelieved_proxy, host_problem, refusal_log_line, security_headers
from greeter.shared.settings import SERVED_HOSTS


def init_app(app: Quart) -> None:
    """Refuse a missing, malformed or untrusted Host, and give every response the security headers."""
    # in debug mode Quart's traceback page is one of ours too: its inline <style> is allowed by its hash, read
    # from the Quart installed, so the page is styled and the policy still allows nothing else
    headers = security_headers(TEMPLATES_DIR, {"quart.debug.TEMPLATE": DEBUG_PAGE} if app.debug else None)
    trusted_hosts = app.config[SERVED_HOSTS]
    proxy_hops = app.config["PROXY_HOPS"]

    # before routing's redirects are raised, so a Host that is refused never reaches a Location header
    @app.before_request
    async def refuse_untrusted_host() -> tuple[str, int, dict[str, str]] | None:
        unbelieved_proxy = came_through_unbelieved_proxy(request.headers.keys(), proxy_hops)
        problem = host_problem(request.headers.get("Host"), trusted_hosts, unbelieved_proxy=unbelieved_proxy)
        if problem is None:
            return None
        app.logger.warning(refusal_log_line(request.method, request.path, problem))
        return problem, 400, {"Content-Type": PLAIN_TEXT}

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
            # Quart's own log line, as without debug: `ERROR in app: Exception on request GET /...`
            current_app.log_exception((type(error), error, error.__traceback__))  # type: ignore[arg-type]
            return await traceback_response(error)
