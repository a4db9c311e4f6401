"""The Flask twin: the same rules, view names and templates as the Quart app, synchronous.

It mirrors the Quart package file for file: greeter/__init__.py, views.py and process.py have their twins here,
so `diff greeter/views.py greeter/flask_twin/views.py` shows exactly what async changes. Serve it with
`flask --app greeter.flask_twin run`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from greeter.resources import TEMPLATES_DIR
from greeter.settings import configure


def create_flask_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Create the Flask twin: settings, the routes, and the process's own figures."""
    app = Flask(__name__, template_folder=str(TEMPLATES_DIR))
    configure(app.config, test_config)

    # imported here, not at the top, so a view module can never import a half-built package
    from greeter.flask_twin import process, views

    app.register_blueprint(views.bp)
    app.register_blueprint(process.bp)
    process.init_app(app)
    return app


# what `flask --app greeter.flask_twin run` serves
app = create_flask_app()
