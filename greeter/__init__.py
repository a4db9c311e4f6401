"""greeter: the classic Flask teaching app on Quart, served by Hypercorn, with its Flask twin beside it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from quart import Quart

from greeter.resources import TEMPLATES_DIR
from greeter.settings import configure


def create_app(test_config: Mapping[str, Any] | None = None) -> Quart:
    """Create the Quart app: settings, the routes, and the process's own figures."""
    app = Quart(__name__, template_folder=str(TEMPLATES_DIR))
    configure(app.config, test_config)

    # imported here, not at the top, so a view module can never import a half-built package
    from greeter import process, views

    app.register_blueprint(views.bp)
    app.register_blueprint(process.bp)
    process.init_app(app)
    return app


# what `hypercorn greeter:app` serves
app = create_app()
