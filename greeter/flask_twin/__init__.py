"""The Flask twin: the same rules, view names and templates as the Quart app, synchronous.

It mirrors the Quart package file for file: greeter/__init__.py, views.py, process.py and guard.py have their
twins here, so `diff greeter/views.py greeter/flask_twin/views.py` shows exactly what async changes. Serve it
with `flask --app greeter.flask_twin run`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, current_app
from werkzeug.middleware.proxy_fix import ProxyFix

from greeter.shared.missing_template import say_missing_templates_in_one_line, template_folders
from greeter.shared.paths import TEMPLATES_DIR
from greeter.shared.settings import SettingsError, configure, refuse


def create_flask_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Create the Flask twin: settings, the routes, the process's own figures, and the guard on every request."""
    # imported here, not at the top, as in greeter/__init__.py: a view module can never import a half-built package
    from greeter.flask_twin import guard, process, views

    app = Flask(__name__, template_folder=str(TEMPLATES_DIR))
    configure(app.config, test_config)
    # a missing template is one line in the log, not fifty through flask/templating.py
    say_missing_templates_in_one_line(app.logger, lambda: template_folders(current_app))
    app.register_blueprint(views.bp)
    app.register_blueprint(process.bp)
    process.init_app(app)
    guard.init_app(app)  # after process: a refused request is still counted, and its count closed
    if hops := app.config["PROXY_HOPS"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_prefix=hops)  # type: ignore[method-assign]
    return app


def __getattr__(name: str) -> Flask:
    """`app`, made on first use: what `flask --app greeter.flask_twin run` finds (Flask's discovery asks with getattr).

    Not made at import, so a bad GREETER_* setting fails the test or the server that creates the app, never a mere
    `from greeter.flask_twin import ...`; the server is stopped with one sentence, exit status 2.
    """
    if name != "app":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    try:
        app = create_flask_app()
    except SettingsError as error:
        refuse(error)
    globals()["app"] = app  # made once: from now on the module has it
    return app
