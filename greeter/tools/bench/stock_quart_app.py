"""The floor any Quart user gets: stock Quart apps, each with one view for every path.

`app` answers `Hello World!`; `template_app` renders greeter's own greet.html, the fair contender for /greet/.
Quart as it comes (its own ASGI connection class and Request, no hooks, no extra headers), on the same Hypercorn
settings as greeter. One view for every path, so each scenario's route gets a 200 as greeter's does, not a 404.
"""

from __future__ import annotations

from quart import Quart, render_template

from greeter.shared.paths import TEMPLATES_DIR

app = Quart(__name__)
template_app = Quart(__name__, template_folder=str(TEMPLATES_DIR))


@app.route("/", defaults={"path": ""})
@app.route("/<path:path>")
async def hello_world(path: str) -> str:
    return "Hello World!"


@template_app.route("/", defaults={"path": ""})
@template_app.route("/<path:path>")
async def greet(path: str) -> str:
    return await render_template("greet.html")
