"""greeter: the classic Flask teaching app on Quart, served by Hypercorn, with its Flask twin beside it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from greeter.plumbing.app_on_first_use import AppOnFirstUse

if TYPE_CHECKING:
    from quart import Quart


def create_app(test_config: Mapping[str, Any] | None = None) -> Quart:
    """Create the Quart app: settings, the routes, the process's own figures, and the guard on every request."""
    # imported here, not at the top: `import greeter` stays light (the `greeter` command answers Ctrl+C from its
    # first instant), and a view module can never import a half-built package
    from quart import current_app

    from greeter import guard, process, views
    from greeter.plumbing.asgi_connection import LeanHTTPConnection
    from greeter.plumbing.flask_routing import FlaskRoutedQuart
    from greeter.plumbing.lean_request import LeanRequest
    from greeter.plumbing.proxy import trust_proxies
    from greeter.plumbing.request_target import TargetReadAsWerkzeug
    from greeter.plumbing.template_context import drop_flask_default_processors
    from greeter.plumbing.websocket_as_http import WebsocketAsHTTP
    from greeter.shared.missing_template import say_missing_templates_in_one_line, template_folders
    from greeter.shared.paths import TEMPLATES_DIR
    from greeter.shared.settings import configure

    # Quart, routing a Host IDNA refuses and an empty path, and refusing a too-long static name, as Flask does,
    # where Quart's own answered 500 (greeter/plumbing/flask_routing.py)
    app = FlaskRoutedQuart(__name__, template_folder=str(TEMPLATES_DIR))
    app.asgi_http_class = LeanHTTPConnection  # Quart's request handling, with less plumbing around it
    app.request_class = LeanRequest  # Quart's Request, its body's events made only when something waits on them
    configure(app.config, test_config)
    # a missing template is one line in the log, not fifty through flask/templating.py
    say_missing_templates_in_one_line(app.logger, lambda: template_folders(current_app))
    app.register_blueprint(views.bp)
    app.register_blueprint(process.bp)
    process.init_app(app)
    guard.init_app(app)  # after process: a refused request is still counted, and its count closed
    drop_flask_default_processors(app)  # after the blueprints: each brought one
    if hops := app.config["PROXY_HOPS"]:
        app.asgi_app = trust_proxies(app.asgi_app, hops)  # type: ignore[method-assign,assignment]
    # outermost: the target read as Werkzeug's server reads it (greeter/plumbing/request_target.py), so an
    # absolute-form target's authority is the Host before X-Forwarded-Host is believed, as in the twin
    # (each gives back an awaitable rather than being a coroutine itself, which Quart's __call__ awaits:
    # quart/app.py:1736)
    app.asgi_app = TargetReadAsWerkzeug(app.asgi_app)  # type: ignore[method-assign,assignment]
    # outside that: a WebSocket handshake is the GET it is to the twin, guard and all (websocket_as_http.py)
    app.asgi_app = WebsocketAsHTTP(app.asgi_app)  # type: ignore[method-assign,assignment]
    return app


# what `hypercorn greeter:app` serves. Created when the server first calls it, not when greeter is imported, so a
# bad GREETER_* setting fails the test or the server that creates the app, never a mere `from greeter import ...`
app = AppOnFirstUse(create_app)
