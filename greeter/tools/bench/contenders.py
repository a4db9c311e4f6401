"""Who is measured, and in which scenarios: the one list. On servers each runs as one worker process, started as its
users start it; in-process each app is called as its server would call it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from greeter.shared.paths import HYPERCORN_TOML
from greeter.tools.servers import HOST, PYTHON, ServerSpec, greeter_on_hypercorn, twin_on_werkzeug, version

BARE_APP = "greeter.tools.bench.bare_app:app"
STOCK_QUART_APP = "greeter.tools.bench.stock_quart_app:app"
WAIT_THREADS = 1_000  # gthread threads for /wait/1: one per connection of that scenario

GREETER = "greeter"  # first in every scenario: the report gives greeter's ratios to each other contender
STOCK_QUART = "stock-quart"
SHORT_ROUTES = ("/", "/hello/Scott", "/greet/")
WAIT_PATH = "/wait/1"
# who runs each load: the short routes, /wait/1 (where threads wait), and each app alone with no server
SHORT_CONTENDERS = (GREETER, STOCK_QUART, "bare-asgi", "flask-werkzeug", "flask-gunicorn-sync")
WAIT_CONTENDERS = (GREETER, "flask-werkzeug", "flask-gunicorn-gthread")
IN_PROCESS_CONTENDERS = (GREETER, STOCK_QUART, "flask-twin")


@dataclass(frozen=True)
class Contender:
    """A server and app under test; `key` names it in tables and JSON."""

    key: str
    spec: ServerSpec
    conditions: str  # how it runs: worker class, threads, logging


def greeter(config: Path = HYPERCORN_TOML) -> Contender:
    return Contender(
        key=GREETER,
        spec=greeter_on_hypercorn(config),
        conditions=f"`greeter` with {config.name}: 1 worker, its worker class and logging",
    )


def stock_quart(config: Path = HYPERCORN_TOML) -> Contender:
    return Contender(
        key=STOCK_QUART,
        spec=_on_hypercorn(f"a one-view stock Quart app on Hypercorn {version('hypercorn')}", STOCK_QUART_APP, config),
        conditions=f"`hypercorn` with {config.name}: Quart as it comes, one view answering every path",
    )


def bare_asgi(config: Path = HYPERCORN_TOML) -> Contender:
    return Contender(
        key="bare-asgi",
        spec=_on_hypercorn(f"a bare ASGI app on Hypercorn {version('hypercorn')}", BARE_APP, config),
        conditions=f"`hypercorn` with {config.name}: the same settings, no framework",
    )


def _on_hypercorn(name: str, application: str, config: Path) -> ServerSpec:
    return ServerSpec(
        name=name,
        argv=(PYTHON, "-m", "hypercorn", "--config", str(config), "--bind", f"{HOST}:0", application),
        ready=r"Running on (?P<origin>http://\S+)",
    )


def flask_werkzeug() -> Contender:
    return Contender(
        key="flask-werkzeug",
        spec=twin_on_werkzeug(),
        conditions="`flask run`: threaded, a thread per connection, each request logged",
    )


def flask_gunicorn(worker_class: str = "sync") -> Contender:
    threads = ("--threads", str(WAIT_THREADS)) if worker_class == "gthread" else ()
    return Contender(
        key=f"flask-gunicorn-{worker_class}",
        spec=ServerSpec(
            name=f"the Flask twin on Gunicorn {version('gunicorn')} ({worker_class})",
            argv=(
                PYTHON,
                "-m",
                "gunicorn",
                "--workers",
                "1",
                "--worker-class",
                worker_class,
                *threads,
                "--bind",
                f"{HOST}:0",
                "greeter.flask_twin:app",
            ),
            ready=r"Listening at: (?P<origin>http://\S+)",
        ),
        conditions=(
            f"`gunicorn`: 1 {worker_class} worker"
            + (f" with {WAIT_THREADS} threads" if threads else "")
            + ", no access log (its default)"
        ),
    )


def served(config: Path = HYPERCORN_TOML) -> tuple[Contender, ...]:
    """Every contender that runs on a server, each in the scenarios above that name it."""
    return (
        greeter(config),
        stock_quart(config),
        bare_asgi(config),
        flask_werkzeug(),
        flask_gunicorn("sync"),
        flask_gunicorn("gthread"),
    )
