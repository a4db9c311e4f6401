"""Who is measured, and in which scenarios: the one list.

A `Lineup` is everyone one run of the bench measures: the servers under load (`Contender`, each one worker process
started as its users start it), the commands of the footprint table (`Command`, as a person types them), and
which of them each scenario takes. `greeters_lineup()` is greeter's own; `user_lineup()` a Flask developer's pair
of apps (`greeter bench --flask MODULE:APP --quart MODULE:APP --path /x`), in the same scenarios but those that
need greeter's own routes (its live stream, the course).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from flask import Flask
from quart import Quart

from greeter.shared.paths import HYPERCORN_TOML
from greeter.tools.servers import (
    HOST,
    PYTHON,
    ServerSpec,
    greeter_on_hypercorn,
    user_flask_on_werkzeug,
    user_quart_on_hypercorn,
    version,
)
from greeter.tools.user_apps import UserApp

BARE_APP = "greeter.tools.bench.bare_app:app"
STOCK_QUART_APP = "greeter.tools.bench.stock_quart_app:app"
STOCK_QUART_TEMPLATE_APP = "greeter.tools.bench.stock_quart_app:template_app"
# the Flask twin, and a live stream written the Flask way (the twin has none): what every Flask contender serves
FLASK_APP = "greeter.tools.bench.flask_stream_app:app"
MANY_THREADS = 1_000  # gthread threads for the crowd: the most a thread-per-request server is usually given

GREETER = "greeter"
STOCK_QUART = "stock-quart"
STOCK_QUART_TEMPLATE = "stock-quart-template"
BARE = "bare-asgi"
WERKZEUG = "flask-werkzeug"
GUNICORN_SYNC = "flask-gunicorn-sync"
GTHREAD = "flask-gunicorn-gthread"  # Gunicorn's default threads: 1
GTHREAD_MANY = f"flask-gunicorn-gthread-{MANY_THREADS}"
BASELINE = "greeter-baseline"  # greeter as another checkout has it (--baseline): before a change, side by side
FLASK_TWIN = "flask-twin"  # in-process only: the twin called as WSGI
YOUR_QUART, YOUR_FLASK = "your-quart", "your-flask"  # a user's pair (in-process, YOUR_FLASK is WSGI-called)

SHORT_ROUTES = ("/", "/hello/Scott", "/greet/")
WAIT_PATH = "/wait/1"
STREAM_PATH = "/process/stream"


@dataclass(frozen=True)
class Contender:
    """A server and app under load; `key` names it in tables and JSON."""

    key: str
    spec: ServerSpec
    conditions: str  # how it runs: worker class, threads, logging


@dataclass(frozen=True)
class Command:
    """A command of the footprint table, as a person types it; {port} and {socket} are filled in for each run."""

    key: str
    argv: tuple[str, ...]
    edited: str | None = None  # a reloader: the file an edit changes, relative to the folder it serves from
    baseline: bool = False  # run from a copy of the baseline checkout (--baseline), not of this greeter

    @property
    def on_socket(self) -> bool:
        return "{socket}" in self.argv


@dataclass(frozen=True)
class Lineup:
    """Everyone one run measures, and who runs in each scenario (contender keys; the subject first)."""

    subject: str  # whose ratios the report gives: greeter, or the user's Quart app
    served: tuple[Contender, ...]
    routes: dict[str, tuple[str, ...]]  # path: contenders, under wrk at a few connections
    cpu_floor: dict[str, str]  # path: whom the subject's CPU per request is held to
    crowd_path: str  # the crowd: thousands of clients at once on this path
    crowd: tuple[str, ...]
    crowd_streams: bool  # and as many live streams (greeter's /process/stream)
    streams: tuple[str, ...]  # memory per live stream: the subject and the floor; () for none
    commands: tuple[Command, ...]  # the footprint table
    probe_path: str  # what the footprint asks for to know a command serves
    in_process: tuple[str, ...]  # each app's own cost, called in this process (in_process.py makes them)
    course: bool  # the course scenario: greeter's --socket --reload behind Apache
    user_apps: tuple[UserApp[Flask], UserApp[Quart]] | None = None
    folder: Path | None = None  # where the commands run; None: a copy of greeter's checkout
    baseline: Path | None = None  # another checkout of greeter, measured beside this one (BASELINE)

    def contender(self, key: str) -> Contender:
        return next(contender for contender in self.served if contender.key == key)


def on_hypercorn(key: str, name: str, application: str, config: Path) -> Contender:
    return Contender(
        key=key,
        spec=ServerSpec(
            name=f"{name} on Hypercorn {version('hypercorn')}",
            argv=(PYTHON, "-m", "hypercorn", "--config", str(config), "--bind", f"{HOST}:0", application),
            ready=r"Running on (?P<origin>http://\S+)",
        ),
        conditions=f"`hypercorn` with {config.name}: greeter's settings",
    )


def on_gunicorn(
    key: str, name: str, application: str, worker_class: str, *, threads: int | None = None, folder: Path | None = None
) -> Contender:
    """One Gunicorn worker; threads None: Gunicorn's own default (1 for gthread)."""
    more = ("--threads", str(threads)) if threads is not None else ()
    chdir = ("--chdir", str(folder)) if folder is not None else ()
    shown = f"{worker_class}, {threads} threads" if threads else worker_class
    return Contender(
        key=key,
        spec=ServerSpec(
            name=f"{name} on Gunicorn {version('gunicorn')} ({shown})",
            argv=(
                PYTHON,
                "-m",
                "gunicorn",
                "--workers",
                "1",
                "--worker-class",
                worker_class,
                *more,
                *chdir,
                # stopped within a second: a gthread worker would answer every client it queued before it goes
                "--graceful-timeout",
                "1",
                "--bind",
                f"{HOST}:0",
                application,
            ),
            ready=r"Listening at: (?P<origin>http://\S+)",
        ),
        conditions=f"`gunicorn`: 1 {worker_class} worker"
        + (f", {threads} threads" if threads else ", its default threads (1)" if worker_class == "gthread" else "")
        + ", no access log (its default)",
    )


def greeters_lineup(config: Path = HYPERCORN_TOML) -> Lineup:
    twin = "the Flask twin (and a stream)"
    werkzeug = ServerSpec(
        name=f"{twin} (Flask {version('flask')}) on Werkzeug {version('werkzeug')}'s development server",
        argv=(PYTHON, "-m", "flask", "--app", FLASK_APP, "run", "--host", HOST, "--port", "0"),
        ready=r"Running on (?P<origin>http://\S+)",
    )
    served = (
        Contender(GREETER, greeter_on_hypercorn(config), f"`greeter` with {config.name}: 1 worker, as shipped"),
        on_hypercorn(STOCK_QUART, "a one-view stock Quart app", STOCK_QUART_APP, config),
        on_hypercorn(STOCK_QUART_TEMPLATE, "a stock Quart app rendering greet.html", STOCK_QUART_TEMPLATE_APP, config),
        on_hypercorn(BARE, "a bare ASGI app (and stream)", BARE_APP, config),
        Contender(WERKZEUG, werkzeug, "`flask run`: threaded, a thread per connection, each request logged"),
        on_gunicorn(GUNICORN_SYNC, twin, FLASK_APP, "sync"),
        on_gunicorn(GTHREAD, twin, FLASK_APP, "gthread"),
        on_gunicorn(GTHREAD_MANY, twin, FLASK_APP, "gthread", threads=MANY_THREADS),
    )
    floor = {"/": STOCK_QUART, "/hello/Scott": STOCK_QUART, "/greet/": STOCK_QUART_TEMPLATE}
    python, hypercorn_toml = (PYTHON,), "hypercorn.toml"  # the copy's own, as `greeter config-path` prints it
    return Lineup(
        subject=GREETER,
        served=served,
        routes={path: (GREETER, floor[path], BARE, WERKZEUG, GUNICORN_SYNC) for path in SHORT_ROUTES},
        cpu_floor=floor,
        crowd_path=WAIT_PATH,
        crowd=(GREETER, GTHREAD, GTHREAD_MANY, WERKZEUG),
        crowd_streams=True,
        streams=(GREETER, BARE),
        commands=(
            Command("greeter", (*python, "-m", "greeter", "{port}")),
            Command("greeter --reload", (*python, "-m", "greeter", "{port}", "--reload"), "greeter/views.py"),
            Command("greeter --socket", (*python, "-m", "greeter", "--socket", "{socket}")),
            Command(
                "hypercorn",
                (*python, "-m", "hypercorn", "--config", hypercorn_toml, "--bind", f"{HOST}:{{port}}", "greeter:app"),
            ),
            Command("flask run", (*python, "-m", "flask", "--app", "greeter.flask_twin", "run", "--port", "{port}")),
            Command(
                "flask run --debug",
                (*python, "-m", "flask", "--app", "greeter.flask_twin", "--debug", "run", "--port", "{port}"),
                "greeter/flask_twin/views.py",
            ),
            Command("quart run", (*python, "-m", "quart", "--app", "greeter", "run", "--port", "{port}")),
            Command(
                "quart run --reload",
                (*python, "-m", "quart", "--app", "greeter", "run", "--reload", "--port", "{port}"),
                "greeter/views.py",
            ),
        ),
        probe_path="/",
        in_process=(GREETER, STOCK_QUART, STOCK_QUART_TEMPLATE, FLASK_TWIN),
        course=True,
    )


def with_baseline(lineup: Lineup, checkout: Path, config: Path = HYPERCORN_TOML) -> Lineup:
    """greeter's lineup and, beside greeter wherever it runs on a server or in the footprint, greeter as another
    checkout has it (`python -m greeter` started there imports that checkout's package first): the before and
    after of a change, measured side by side in one run."""
    spec = replace(
        greeter_on_hypercorn(config), name=f"greeter from {checkout}, on Hypercorn with {config.name}", cwd=checkout
    )
    baseline = Contender(BASELINE, spec, f"`greeter` with {config.name}, run from {checkout}")
    commands = tuple(
        replace(command, key=f"{command.key} (baseline)", baseline=True)
        for command in lineup.commands
        if command.key.startswith("greeter")
    )
    return replace(
        lineup,
        served=(*lineup.served, baseline),
        routes={path: (keys[0], BASELINE, *keys[1:]) for path, keys in lineup.routes.items()},
        streams=(*lineup.streams, BASELINE),
        commands=lineup.commands + commands,
        baseline=checkout,
    )


def user_lineup(flask: UserApp[Flask], quart: UserApp[Quart], paths: tuple[str, ...]) -> Lineup:
    """A Flask app and its Quart port, from the current folder, on the servers each is usually run on."""
    quart_key, flask_key = YOUR_QUART, "your-flask-werkzeug"
    application = f"{flask.module}:{flask.expression}"
    served = (
        Contender(quart_key, user_quart_on_hypercorn(quart), "`hypercorn MODULE:APP`: Hypercorn's own settings"),
        Contender(flask_key, user_flask_on_werkzeug(flask), "`flask run`: threaded, each request logged"),
        on_gunicorn("your-flask-gunicorn-sync", flask.shown, application, "sync", folder=flask.folder),
        on_gunicorn("your-flask-gunicorn-gthread", flask.shown, application, "gthread", folder=flask.folder),
        on_gunicorn(
            f"your-flask-gunicorn-gthread-{MANY_THREADS}",
            flask.shown,
            application,
            "gthread",
            threads=MANY_THREADS,
            folder=flask.folder,
        ),
    )
    python = (PYTHON,)
    return Lineup(
        subject=quart_key,
        served=served,
        routes={path: (quart_key, flask_key, "your-flask-gunicorn-sync") for path in paths},
        cpu_floor={},
        crowd_path=paths[0],
        crowd=(quart_key, "your-flask-gunicorn-gthread", f"your-flask-gunicorn-gthread-{MANY_THREADS}", flask_key),
        crowd_streams=False,
        streams=(),
        commands=(
            Command(
                "hypercorn", (*python, "-m", "hypercorn", "--bind", f"{HOST}:{{port}}", quart.hypercorn_application)
            ),
            Command("quart run", (*python, "-m", "quart", "--app", quart.flask_app_option, "run", "--port", "{port}")),
            Command("flask run", (*python, "-m", "flask", "--app", flask.flask_app_option, "run", "--port", "{port}")),
        ),
        probe_path=paths[0],
        in_process=(YOUR_QUART, YOUR_FLASK),
        course=False,
        user_apps=(flask, quart),
        folder=Path.cwd(),
    )
