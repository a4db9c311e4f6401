"""The floor any Quart user gets: a stock Quart app with one view answering `Hello World!` at every path.

Quart as it comes (its own ASGI connection class, no hooks, no extra headers), on the same Hypercorn settings
as greeter. One view for every path, so each scenario's route gets a 200 as greeter's does, not a 404.
"""

from __future__ import annotations

from quart import Quart

app = Quart(__name__)


@app.route("/", defaults={"path": ""})
@app.route("/<path:path>")
async def hello_world(path: str) -> str:
    return "Hello World!"
