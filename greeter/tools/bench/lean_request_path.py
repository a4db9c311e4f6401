"""What each change of issue 13 saves, measured side by side in one run, in-process (no server).

`python -m greeter.tools.bench.lean_request_path [ROUNDS]` builds greeter's app four times, each one change further, and
measures them with the bench's in-process harness, interleaved round by round:

- before: Quart's own ASGIHTTPConnection, the security headers set by an after_request hook
  (`response.headers.update`), Flask's sync context processor on each blueprint (as Quart leaves it);
- lean-connection: greeter's LeanHTTPConnection instead;
- no-thread-per-page: and Flask's processor off the blueprints;
- greeter: and the security headers encoded once, added where the response starts (greeter as shipped).
"""

from __future__ import annotations

import asyncio
import sys

from flask.templating import _default_template_ctx_processor as flask_default_processor
from quart import Quart, Response
from quart.asgi import ASGIHTTPConnection

from greeter import create_app
from greeter.plumbing.asgi_connection import EVERY_RESPONSE_HEADERS, NO_HEADERS
from greeter.server.worker import event_loop_factory
from greeter.shared.paths import TEMPLATES_DIR
from greeter.shared.security import security_headers
from greeter.tools.bench.contenders import SHORT_ROUTES
from greeter.tools.bench.in_process import InProcessResult, Measure, asgi_measure, measure_all

STEPS = ("before", "lean-connection", "no-thread-per-page", "greeter")


def greeter_at(step: str) -> Quart:
    """greeter's app with the changes up to `step` (in STEPS order) and none after it."""
    app = create_app()
    reached = STEPS.index(step)
    if reached < STEPS.index("greeter"):  # the headers by a hook, as before
        app.extensions[EVERY_RESPONSE_HEADERS] = NO_HEADERS
        headers = security_headers(TEMPLATES_DIR)

        @app.after_request
        async def add_security_headers(response: Response) -> Response:
            response.headers.update(headers)
            return response

    if reached < STEPS.index("no-thread-per-page"):
        for name in app.blueprints:
            app.template_context_processors[name].append(flask_default_processor)
    if reached < STEPS.index("lean-connection"):
        app.asgi_http_class = ASGIHTTPConnection
    return app


def measure_changes(rounds: int, requests: int) -> list[InProcessResult]:
    contenders: dict[str, Measure] = {step: asgi_measure(greeter_at(step)) for step in STEPS}
    with asyncio.Runner(loop_factory=event_loop_factory("uvloop")) as runner:
        return runner.run(measure_all(contenders, SHORT_ROUTES, rounds=rounds, requests=requests))


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    found = measure_changes(rounds, requests=2_000)
    print(f"greeter's own CPU µs per request, in-process, median of {rounds} interleaved rounds of 2,000 requests")
    print(f"  {'route':<13} " + " ".join(f"{step:>19}" for step in STEPS))
    for path in SHORT_ROUTES:
        costs = [next(r.cpu_us_per_request for r in found if (r.path, r.contender) == (path, s)) for s in STEPS]
        print(f"  {path:<13} " + " ".join(f"{cost:>19,.1f}" for cost in costs))


if __name__ == "__main__":
    main()
