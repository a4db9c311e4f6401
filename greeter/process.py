"""The long-running process, seen from inside: its page, its live stream, and /wait. Async, on one event loop.

greeter/flask_twin/process.py is the same, synchronous, without the stream.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

from jinja2 import Template
from quart import Blueprint, Quart, Response, current_app, render_template, request, url_for
from quart.signals import before_render_template

from greeter.shared.process_state import ProcessState, count_template_reads, describe_event_loop
from greeter.shared.wait_time import WaitError, parse_wait_seconds, waited
from greeter.ticker import RELOAD_EVENT, SHUTDOWN_EVENT, Ticker

bp = Blueprint("process", __name__)
PLAIN_TEXT = "text/plain; charset=utf-8"
STREAM_HEADERS = {
    "Cache-Control": "no-cache",
    "X-Accel-Buffering": "no",  # nginx: pass each event on at once
}


@dataclass
class Process:
    """What the app keeps for as long as the process serves: its figures and its one ticker."""

    state: ProcessState
    ticker: Ticker
    ticker_task: asyncio.Task[None] | None = field(default=None)
    replaced: bool = False  # stopped by `greeter --reload` for a worker with the new code


def process_of(app: Quart) -> Process:
    process: Process = app.extensions["greeter.process"]
    return process


def figures(app: Quart) -> dict[str, Any]:
    process = process_of(app)
    return process.state.snapshot(viewers=process.ticker.viewers, debug=app.debug)


@bp.route("/process/")
async def process_page() -> str:
    return await render_template(
        "process.html",
        figures=figures(current_app),
        stream_url=url_for("process.process_stream"),
        template_counts=process_of(current_app).state.template_counts,
    )


@bp.route("/process/stream")
async def process_stream() -> Response | tuple[str, int, dict[str, str]]:
    ticker = process_of(current_app).ticker
    # checked before the viewer is counted, so the cap may be passed by the few that arrive in between
    if ticker.viewers >= current_app.config["STREAM_MAX_VIEWERS"]:
        return (
            "Too many live viewers; try again in a few seconds.",
            503,
            {"Retry-After": "5", "Content-Type": PLAIN_TEXT},
        )
    # HEAD gets the headers only: a stream body would never end
    body = [b""] if request.method == "HEAD" else ticker.stream()
    response = Response(body, mimetype="text/event-stream", headers=STREAM_HEADERS)
    response.timeout = None  # a stream lives as long as its viewer, past Quart's RESPONSE_TIMEOUT
    return response


@bp.route("/wait/<seconds>")
async def wait(seconds: str) -> tuple[str, int, dict[str, str]]:
    try:
        delay = parse_wait_seconds(seconds, current_app.config["WAIT_MAX_SECONDS"])
    except WaitError as error:
        return f"{error}\n", 400, {"Content-Type": PLAIN_TEXT}
    # the event loop serves every other request while this one sleeps
    await asyncio.sleep(delay)
    return waited(delay), 200, {"Content-Type": PLAIN_TEXT}


def init_app(app: Quart) -> None:
    """Give the app its process figures, count requests and templates, and run the ticker while serving."""
    state = ProcessState()
    process = Process(state, Ticker(lambda: figures(app), app.config["PROCESS_TICK_SECONDS"]))
    app.extensions["greeter.process"] = process
    count_template_reads(app.jinja_env, state)

    @app.before_request
    async def count_request() -> None:
        state.request_started()

    @app.teardown_request
    async def finish_request(error: BaseException | None) -> None:
        state.request_finished()

    # an async receiver: Quart would run a plain function in a thread
    async def count_render(sender: Quart, template: Template, **extra: Any) -> None:
        state.template_rendered(template.name)

    # counted as the render begins, so the page that shows the counts includes itself
    before_render_template.connect(count_render, app, weak=False)

    @app.before_serving
    async def start_ticker() -> None:
        state.server = f"Hypercorn {metadata.version('hypercorn')}"
        state.worker_class = describe_event_loop(asyncio.get_running_loop())
        process.ticker_task = asyncio.create_task(process.ticker.run())

    @app.after_serving
    async def stop_ticker() -> None:
        process.ticker.close()
        if process.ticker_task is not None:
            process.ticker_task.cancel()
        # Hypercorn's own log, so this is the serving log's last line; a reload says one line, the supervisor's
        if not process.replaced and state.run is None:  # a supervised worker's: the supervisor sums the run's
            logging.getLogger("hypercorn.error").info(state.served_line())


def begin_shutdown(app: Quart, grace_seconds: float, *, replaced: bool = False) -> None:
    """Send every live stream its shutdown event now, before the server waits for open connections to end.

    replaced: a reload, whose event tells the page to reconnect (to the new worker) at once.
    """
    process = process_of(app)
    process.replaced = replaced
    process.ticker.close(RELOAD_EVENT if replaced else SHUTDOWN_EVENT)
    # a stop that waits for requests says so at once: seconds of silence after Ctrl+C look like a hang
    if not replaced and (line := process.state.stopping_line(grace_seconds)):
        logging.getLogger("hypercorn.error").info(line)
