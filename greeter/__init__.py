"""greeter: the classic Flask teaching app on Quart, served by Hypercorn, with its Flask twin beside it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from quart import Quart

from greeter.proxy import trust_proxies
from greeter.resources import TEMPLATES_DIR
from greeter.settings import SettingsError, configure, refuse


def create_app(test_config: Mapping[str, Any] | None = None) -> Quart:
    """Create the Quart app: settings, the routes, the process's own figures, and the guard on every request."""
    app = Quart(__name__, template_folder=str(TEMPLATES_DIR))
    configure(app.config, test_config)

    # imported here, not at the top, so a view module can never import a half-built package
    from greeter import guard, process, views

    app.register_blueprint(views.bp)
    app.register_blueprint(process.bp)
    process.init_app(app)
    guard.init_app(app)  # after process: a refused request is still counted, and its count closed
    if hops := app.config["PROXY_HOPS"]:
        app.asgi_app = trust_proxies(app.asgi_app, hops)  # type: ignore[method-assign,assignment]
    return app


# what `hypercorn greeter:app` serves; a GREETER_* setting it cannot use: one sentence, not a traceback
try:
    app = create_app()
except SettingsError as error:
    refuse(error)
