"""The greeting routes, synchronous. greeter/views.py has the same views, async."""

from __future__ import annotations

from flask import Blueprint, render_template
from markupsafe import escape

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
