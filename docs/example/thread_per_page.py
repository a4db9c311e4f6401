"""What the thread per rendered page costs: one page of a Quart app, called as its server calls it (ASGI, no
sockets), as ported and with Flask's synchronous context processor taken off its blueprints, turn about.

Quart's Blueprint is Flask's, whose constructor gives every blueprint Flask's default context processor, a plain
function; Quart runs a plain function in a thread, so each render_template in a blueprint's view makes a trip to
the thread pool and back. docs/flask-to-quart.md ("The thread per rendered page") quotes what this prints.

    python thread_per_page.py                        in docs/example: quart_app's /
    cd ~/myapp && python ~/greeter/docs/example/thread_per_page.py 'todo_quart:create_app()' /
                                                     in your app's folder, with this script's path: your page
(with the Python that has greeter installed: the script uses its loader and the fix, as `greeter compare` does).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from typing import Any

from quart import Quart

from greeter.plumbing.template_context import drop_flask_default_processors
from greeter.tools.user_apps import load_quart_app


async def measure(app: Quart, path: str, requests: int) -> tuple[float, float, float]:
    """Microseconds per page (wall clock, CPU of every thread) and calls to a thread per page, for n pages."""
    trips = 0
    to_thread = app.sync_to_async

    def counted(func: Any) -> Any:
        nonlocal trips
        trips += 1
        return to_thread(func)

    app.sync_to_async = counted  # type: ignore[method-assign]
    started, cpu = time.perf_counter(), time.process_time()
    for _ in range(requests):
        status = await page(app, path)
        assert status == 200, f"{path} answered {status}"
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    app.sync_to_async = to_thread  # type: ignore[method-assign]
    return wall / requests * 1e6, cpu / requests * 1e6, trips / requests


async def page(app: Quart, path: str) -> int:
    """One GET, as Hypercorn hands it to the app: a scope, one body message; the status it answers."""
    scope = {
        "type": "http",
        "http_version": "1.1",
        "asgi": {"spec_version": "2.1", "version": "3.0"},
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1:8000")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
        "extensions": {},
    }
    sent: dict[str, Any] = {}
    asked = False

    async def receive() -> dict[str, Any]:
        nonlocal asked
        if not asked:
            asked = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()  # cancelled once the app has answered
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            sent["status"] = message["status"]

    await app(scope, receive, send)  # type: ignore[arg-type]
    return int(sent["status"])


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("app", nargs="?", default="quart_app:create_app()", help="MODULE:APP, as flask --app takes")
    parser.add_argument("path", nargs="?", default="/", help="a page its blueprint renders with render_template")
    parser.add_argument("--requests", type=int, default=2000, help="pages per round (default 2,000)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds, each app in turn (default 5)")
    options = parser.parse_args()
    as_ported = load_quart_app(options.app, "the app").app
    without = load_quart_app(options.app, "the app").app
    drop_flask_default_processors(without)
    results: dict[str, list[tuple[float, float, float]]] = {"as ported": [], "without": []}
    for _ in range(options.rounds + 1):  # the first round warms up: templates compiled, caches filled
        for name, app in (("as ported", as_ported), ("without", without)):
            results[name].append(await measure(app, options.path, options.requests))
    median = {name: [statistics.median(r[i] for r in runs[1:]) for i in range(3)] for name, runs in results.items()}
    (wall, cpu, trips), (bare_wall, bare_cpu, bare_trips) = median["as ported"], median["without"]
    print(
        f"GET {options.path} of {options.app}, in-process: {options.rounds} rounds of {options.requests} pages, medians"
    )
    print(f"  {'':30}{'per page':>10}{'CPU per page':>15}{'threads per page':>18}")
    print(f"  {'as ported':30}{wall:7.0f} µs{cpu:12.0f} µs{trips:18g}")
    print(f"  {'Flask processor taken off':30}{bare_wall:7.0f} µs{bare_cpu:12.0f} µs{bare_trips:18g}")
    noise = max(_spread(runs[1:]) for runs in results.values())
    print(f"  {conclusion(median['as ported'], median['without'], noise)}")


def _spread(runs: list[tuple[float, float, float]]) -> float:
    """How far apart the rounds' times per page are: what a difference smaller than that cannot tell from noise."""
    walls = [run[0] for run in runs]
    return max(walls) - min(walls)


def conclusion(ported: list[float], without: list[float], noise: float) -> str:
    """The last line: what the thread costs, or why there is no cost to tell."""
    (wall, cpu, trips), (bare_wall, bare_cpu, bare_trips) = ported, without
    saved, saved_cpu = wall - bare_wall, cpu - bare_cpu
    if trips <= bare_trips:
        return f"no thread to take off: the page makes {trips:g} trip(s) to a thread either way (already taken off?)"
    if saved <= noise:
        return (
            f"the difference ({saved:.0f} µs per page) is within the noise of the rounds ({noise:.0f} µs): run more"
            " rounds (--rounds), or on a quieter machine"
        )
    return f"the thread costs {saved:.0f} µs per page ({saved / wall:.0%}), {saved_cpu:.0f} µs of it CPU"


if __name__ == "__main__":
    asyncio.run(main())
