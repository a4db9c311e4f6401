"""The two sides of a comparison: the Flask twin as `flask run` serves it, greeter as `greeter` serves it."""

from __future__ import annotations

from greeter.launch import HOST, PYTHON, ServerSpec, version


def twin_on_werkzeug() -> ServerSpec:
    return ServerSpec(
        name=f"the Flask twin (Flask {version('flask')}) on Werkzeug {version('werkzeug')}'s development server",
        argv=(PYTHON, "-m", "flask", "--app", "greeter.flask_twin", "run", "--host", HOST, "--port", "0"),
        ready=r"Running on (?P<origin>http://\S+)",
    )


def quart_on_hypercorn() -> ServerSpec:
    return ServerSpec(
        name=f"the Quart app (Quart {version('quart')}) on Hypercorn {version('hypercorn')} with hypercorn.toml",
        argv=(PYTHON, "-m", "greeter", "0", "--host", HOST),
        ready=r"serving (?P<origin>http://\S+)",
    )
