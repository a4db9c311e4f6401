"""Safety on every request of the Quart app: the Host check first, the security headers last.

greeter/flask_twin/guard.py is the same, synchronous.
"""

from __future__ import annotations

from quart import Quart, request

from greeter.plumbing import debug_page
from greeter.plumbing.asgi_connection import add_to_every_response
from greeter.process import PLAIN_TEXT
from greeter.shared.paths import TEMPLATES_DIR
from greeter.shared.security import came_through_unbelieved_proxy, host_problem, refusal_log_line, security_headers
from greeter.shared.settings import SERVED_HOSTS


def init_app(app: Quart) -> None:
    """Refuse a missing, malformed or untrusted Host, and give every response the security headers."""
    # in debug mode greeter's traceback page (greeter/plumbing/debug_page/) is one of the pages: its inline
    # <style> is allowed by its hash, so the page is styled and the policy still allows nothing else
    headers = security_headers(TEMPLATES_DIR, {"debug_page/page.html": debug_page.PAGE} if app.debug else None)
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
        # built inside the request, the page gets the headers like every other answer
        debug_page.show_errors_on_the_page(app)
