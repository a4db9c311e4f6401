"""The greeting routes, async: yours to edit, to change a page or add one. greeter/flask_twin/views.py has the same
views, synchronous (docs/students.md: add a page to both)."""

from __future__ import annotations

from markupsafe import escape
from quart import Blueprint, render_template

bp = Blueprint("greetings", __name__)


@bp.route("/")
@bp.route("/index")
async def hello_world() -> str:
    return "Hello World!"


# the trailing slash makes the rule canonical: /hello answers 308 to /hello/
@bp.route("/hello/")
async def greeting() -> str:
    return "Greetings and Felicitations"


# no trailing slash: /hello/<name>/ is a 404, not a redirect
@bp.route("/hello/<name>")
async def custom_greeting(name: str) -> str:
    # escaped: the seed's .format(name) would let a link inject script into the page
    return f"Hello {escape(name)}, nice to meet you!"


@bp.route("/hail/")
async def hail() -> str:
    return """<h1>Hail</h1>
<p>Greetings and Felicitations, <em>honored</em> guest!</p>"""


@bp.route("/greet/")
async def greet() -> str:
    return await render_template("greet.html")
