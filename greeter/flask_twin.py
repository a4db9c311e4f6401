"""The Flask twin: the same rules, view names and templates as the Quart app, synchronous.

Read it beside greeter/__init__.py and greeter/views.py: the only differences are `def` for `async def`
and Flask for Quart. Serve it with `flask --app greeter.flask_twin run`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, Flask, render_template
from markupsafe import escape

from greeter.resources import TEMPLATES_DIR
from greeter.settings import configure

bp = Blueprint("greetings", __name__)


@bp.route("/")
@bp.route("/index")
def hello_world() -> str:
    return "Hello World!"


# the trailing slash makes the rule canonical: /hello answers 308 to /hello/
@bp.route("/hello/")
def greeting() -> str:
    return "Greetings and Felicitations"


# no trailing slash: /hello/<name>/ is a 404, not a redirect
@bp.route("/hello/<name>")
def custom_greeting(name: str) -> str:
    # escaped: the seed's .format(name) would let a link inject script into the page
    return f"Hello {escape(name)}, nice to meet you!"


@bp.route("/hail/")
def hail() -> str:
    return """<h1>Hail</h1>
<p>Greetings and Felicitations, <em>honored</em> guest!</p>"""


@bp.route("/greet/")
def greet() -> str:
    return render_template("greet.html")


def create_flask_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Create the Flask twin: settings, then the routes."""
    app = Flask(__name__, template_folder=str(TEMPLATES_DIR))
    configure(app.config, test_config)
    app.register_blueprint(bp)
    return app


# what `flask --app greeter.flask_twin run` serves
app = create_flask_app()
