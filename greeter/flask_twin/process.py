"""The long-running process, seen from inside: its page and /wait. Synchronous, a thread per request.

greeter/process.py is the same, async, with a live stream the twin does not have (an intended difference).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Flask, current_app, render_template, request
from flask.signals import before_render_template
from jinja2 import Template

from greeter.shared.process_state import ProcessState, count_template_reads
from greeter.shared.wait_time import WaitError, parse_wait_seconds, waited

bp = Blueprint("process", __name__)
PLAIN_TEXT = "text/plain; charset=utf-8"


@dataclass
class Process:
    """What the app keeps for as long as the process serves: its figures."""

    state: ProcessState


def process_of(app: Flask) -> Process:
    process: Process = app.extensions["greeter.process"]
    return process


def figures(app: Flask) -> dict[str, Any]:
    process = process_of(app)
    return process.state.snapshot(viewers=0, debug=app.debug)


@bp.route("/process/")
def process_page() -> str:
    return render_template(
        "process.html",
        figures=figures(current_app),
        stream_url=None,
        template_counts=process_of(current_app).state.template_counts,
    )


@bp.route("/wait/<seconds>")
def wait(seconds: str) -> tuple[str, int, dict[str, str]]:
    try:
        delay = parse_wait_seconds(seconds, current_app.config["WAIT_MAX_SECONDS"])
    except WaitError as error:
        return f"{error}\n", 400, {"Content-Type": PLAIN_TEXT}
    # this thread does nothing else while it sleeps: each waiting client holds one
    time.sleep(delay)
    return waited(delay), 200, {"Content-Type": PLAIN_TEXT}


def init_app(app: Flask) -> None:
    """Give the app its process figures, and count requests and templates."""
    state = ProcessState()
    process = Process(state)
    app.extensions["greeter.process"] = process
    count_template_reads(app.jinja_env, state)

    @app.before_request
    def count_request() -> None:
        state.request_started()

    @app.teardown_request
    def finish_request(error: BaseException | None) -> None:
        state.request_finished()

    # a plain receiver: Flask calls it in the thread that renders the template
    def count_render(sender: Flask, template: Template, **extra: Any) -> None:
        state.template_rendered(template.name)

    # counted as the render begins, so the page that shows the counts includes itself
    before_render_template.connect(count_render, app, weak=False)

    # WSGI has no serving lifecycle (the Quart app learns its server in before_serving): the first request says
    @app.before_request
    def learn_server() -> None:
        if state.requests_served == 1:
            state.server = request.environ.get("SERVER_SOFTWARE", "an unknown WSGI server")
            state.worker_class = "threads" if request.environ.get("wsgi.multithread") else "sync"
