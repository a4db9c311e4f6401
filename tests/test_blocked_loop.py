"""A view that blocks the event loop is named in one line, in every mode; a stop ends a view that never yields
within the graceful timeout and a second, and a second Ctrl+C at once (greeter/server/watchdog.py).

Each test serves a student's copy of the package (tmp_path/checkout/greeter, first on PYTHONPATH) whose views.py
ends with views that never give the loop a turn: greeter itself has none, as any visitor could freeze a worker.
"""

from __future__ import annotations

import asyncio
import re
import signal
import sys
import threading
import time
from contextlib import suppress
from pathlib import Path

import httpx
import pytest
from conftest import GREETER_READY, REPO_ROOT, UNIX_SOCKET_READY, Server, StartServer, copy_of_the_package, scaled

from greeter.server.watchdog import Watchdog, Where, async_way, at_once_line, blocked_line
from greeter.shared.running_requests import printable

GRACE = 2.0  # the copy's graceful_timeout: the shipped 5 s would only make the tests longer
SLACK = scaled(1.0)  # a loaded machine's delay in signalling and reaping, past the promised second
LOG_PREFIX = r"\[[^]]+\] \[\d+\] \[[A-Z]+\] "  # Hypercorn's: time, pid, level
DOCS = REPO_ROOT / "docs"
BLOCKING_VIEWS = """

@bp.route("/sleepy/")
async def sleepy() -> str:
    import time

    time.sleep(2)
    return "slept"


@bp.route("/spin/")
async def spin() -> str:
    while True:
        pass
"""
MODES = {
    "plain": [],
    "reload": ["--reload"],
    "debug": ["--debug"],
    "workers": ["--workers", "2"],
    "socket": ["--socket"],
    "asyncio": [],  # plain, on the standard library's event loop rather than the shipped uvloop
}


@pytest.fixture
def student(tmp_path: Path) -> Path:
    """A student's copy of greeter with blocking views, served from its own folder."""
    return copy_of_the_package(tmp_path, BLOCKING_VIEWS, graceful_timeout=GRACE)


def line_of(checkout: Path, code: str) -> int:
    lines = (checkout / "greeter" / "views.py").read_text().splitlines()
    return next(number for number, line in enumerate(lines, 1) if line.strip() == code)


def serve(start_server: StartServer, checkout: Path, mode: str, env: dict[str, str] | None = None) -> Server:
    args = [*MODES[mode], str(checkout / "greeter.sock")] if mode == "socket" else ["0", *MODES[mode]]
    if mode == "asyncio":
        config = checkout / "hypercorn.toml"
        config.write_text(re.sub(r'(?m)^worker_class = ".*"$', 'worker_class = "asyncio"', config.read_text()))
    argv = [sys.executable, "-m", "greeter", *args]
    ready = UNIX_SOCKET_READY if mode == "socket" else GREETER_READY
    return start_server(argv, ready, env={"PYTHONPATH": str(checkout), **(env or {})}, cwd=checkout)


def client(server: Server, checkout: Path) -> httpx.Client:
    if server.base_url:
        return httpx.Client(base_url=server.base_url, timeout=scaled(30))
    transport = httpx.HTTPTransport(uds=str(checkout / "greeter.sock"))
    return httpx.Client(base_url="http://localhost", transport=transport, timeout=scaled(30))


def send_without_waiting(server: Server, checkout: Path, path: str) -> None:
    """A request whose answer comes when it comes: a held worker answers nothing until it is stopped."""

    def ask() -> None:
        with suppress(httpx.HTTPError), client(server, checkout) as http:
            http.get(path)

    threading.Thread(target=ask, daemon=True).start()


def printed(server: Server, pattern: str) -> list[str]:
    """The lines of the server's log that are the pattern after Hypercorn's prefix."""
    return [line for line in server.output().splitlines() if re.fullmatch(LOG_PREFIX + pattern, line)]


def quoted_as_printed(page: Path, line: str) -> None:
    """The page quotes the line as printed, in a text block or `inline`: the same words, any numbers (time, pid,
    line, seconds)."""
    quoted = set()
    for text in page.read_text().splitlines():
        text = text.strip()
        if text.startswith("`[") and text.endswith("`"):
            text = text[1:-1]
        if re.match(LOG_PREFIX + "greeter: ", text):
            quoted.add(re.sub(r"\d+", "0", text))
    assert re.sub(r"\d+", "0", line) in quoted, f"{page.name} does not quote, as printed:\n{line}"


@pytest.mark.parametrize("mode", MODES)
def test_a_blocked_loop_is_named_in_one_line_in_every_mode(start_server: StartServer, student: Path, mode: str) -> None:
    server = serve(start_server, student, mode)
    with client(server, student) as http:
        assert http.get("/sleepy/").text == "slept"
    where = rf"greeter/views\.py, line {line_of(student, 'time.sleep(2)')}, in sleepy"
    blocked = (
        rf"greeter: the event loop has been blocked for \d\.\d s by GET /sleepy/ at {where}: `time\.sleep\(2\)`;"
        r" no other request is answered meanwhile\. In an async def view, wait with `await asyncio\.sleep\(2\)`;"
        r" run other blocking work with `await asyncio\.to_thread\(\.\.\.\)`\."
    )
    server.wait_for("the event loop turns again")
    assert len(printed(server, blocked)) == 1, server.output()  # ONE line for the stretch, not one per look
    again = printed(server, r"greeter: the event loop turns again after \d\.\d s \(held by GET /sleepy/\); .*")
    assert len(again) == 1, server.output()
    assert server.stop() == 0, server.output()
    if mode == "plain":
        quoted_as_printed(DOCS / "students.md", printed(server, blocked)[0])
        quoted_as_printed(DOCS / "students.md", again[0])


def test_zero_turns_the_line_off(start_server: StartServer, student: Path) -> None:
    server = serve(start_server, student, "plain", env={"GREETER_BLOCKED_LOOP_SECONDS": "0"})
    with client(server, student) as http:
        assert http.get("/sleepy/").text == "slept"
        assert http.get("/").text == "Hello World!"  # served after the stretch: a line would have been said by now
    assert server.stop() == 0
    assert "blocked" not in server.output()


@pytest.mark.parametrize("mode", ["plain", "reload", "socket", "asyncio"])
@pytest.mark.parametrize("signal_number", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl+C"])
def test_a_stop_ends_a_view_that_never_yields(
    start_server: StartServer, student: Path, mode: str, signal_number: int
) -> None:
    server = serve(start_server, student, mode)
    send_without_waiting(server, student, "/spin/")
    server.wait_for("the event loop has been blocked")
    started = time.monotonic()
    status = server.stop(signal_number)
    took = time.monotonic() - started
    assert status == 1, server.output()  # a request was cut off
    assert took < GRACE + 1 + SLACK, (took, server.output())
    where = rf"greeter/views\.py, line {line_of(student, 'while True:')}, in spin"
    stopping = rf"greeter: stopping; waiting up to 2 s for GET /spin/, which holds the event loop at {where}"
    assert len(printed(server, stopping + r" \(Ctrl\+C again stops at once\)\.")) == 1, server.output()
    stopped = printed(
        server, rf"greeter: stopped after the 2 s graceful timeout; GET /spin/ was still running at {where}\."
    )
    assert len(stopped) == 1, server.output()
    assert "Traceback" not in server.output()
    assert not (student / "greeter.sock").exists()  # a Unix socket's file goes with the server, even so
    if mode == "plain" and signal_number == signal.SIGTERM:
        for page in ("students.md", "serving.md"):
            quoted_as_printed(DOCS / page, stopped[0])


@pytest.mark.parametrize("mode", ["plain", "reload"])
def test_a_second_ctrl_c_stops_at_once(start_server: StartServer, student: Path, mode: str) -> None:
    server = serve(start_server, student, mode)
    send_without_waiting(server, student, "/spin/")
    server.wait_for("the event loop has been blocked")
    server.send(signal.SIGINT)
    server.wait_for("greeter: stopping;")
    server.process.send_signal(signal.SIGINT)  # as a terminal sends it: a worker ignores it, its supervisor hears it
    status = server.process.wait(timeout=1 + SLACK)
    assert status == 128 + signal.SIGINT, server.output()
    where = rf"greeter/views\.py, line {line_of(student, 'while True:')}, in spin"
    at_once = printed(server, rf"greeter: stopped at once; GET /spin/ was still running at {where}\.")
    assert len(at_once) == 1, server.output()
    if mode == "plain":
        quoted_as_printed(DOCS / "serving.md", at_once[0])


def test_the_lines_without_a_request() -> None:
    # the loop held outside any request (a module's own code at its first import, say), and waiting requests
    where = Where("greeter/views.py", 12, "spin", "while True:", students=True)
    assert blocked_line(0.5, None, where).startswith(
        "greeter: the event loop has been blocked for 0.5 s at greeter/views.py, line 12, in spin: `while True:`;"
    )
    assert "`await asyncio.to_thread(...)`" in async_way(where)
    assert at_once_line(None, None, ["GET /wait/10", "GET /wait/9"]) == (
        "greeter: stopped at once; GET /wait/10 and 1 more were still in flight."
    )


def test_a_threshold_below_the_watchdogs_own_look_says_one_line_and_one_when_it_turns() -> None:
    # in this process, the loop held on purpose: a low threshold must not take a slow look for a turn
    said: list[str] = []

    async def main() -> None:
        watchdog = Watchdog(0.1, GRACE, say=said.append)
        watchdog.start(asyncio.get_running_loop())
        await asyncio.sleep(0.3)
        time.sleep(2)  # the mistake
        await asyncio.sleep(0.5)
        watchdog.serving_ended()

    asyncio.run(main())
    assert len(said) == 2, said
    assert said[0].startswith("greeter: the event loop has been blocked for "), said
    assert " in test_a_threshold_below" in said[0] and "`time.sleep(2)`" in said[0], said
    assert said[1].startswith("greeter: the event loop turns again after "), said


def test_a_path_cannot_colour_or_break_the_log() -> None:
    assert printable("GET /a\x1b[31mred\n") == "GET /a\\x1b[31mred\\n"
    assert printable("GET /" + "a" * 200).endswith("...") and len(printable("GET /" + "a" * 200)) == 120


def test_a_reload_says_that_the_worker_held_by_a_view_is_being_replaced(
    start_server: StartServer, student: Path
) -> None:
    server = serve(start_server, student, "reload")
    send_without_waiting(server, student, "/spin/")
    server.wait_for("the event loop has been blocked")
    views = student / "greeter" / "views.py"
    views.write_text(views.read_text() + "\n# a save\n")  # the new worker starts; the held one is told it is replaced
    where = rf"greeter/views\.py, line {line_of(student, 'while True:')}, in spin"
    replacing = (
        r"greeter: replacing this worker with the new code; waiting up to 2 s for GET /spin/, which holds the event"
        rf" loop at {where} \(Ctrl\+C again stops at once\)\."
    )
    server.wait_for(r"greeter: stopped after the 2 s graceful timeout; GET /spin/ was still running", timeout=30)
    assert len(printed(server, replacing)) == 1, server.output()
    assert "greeter: stopping;" not in server.output()  # greeter goes on: only this worker goes
    with client(server, student) as http:
        assert http.get("/").text == "Hello World!"  # the new worker serves
    assert server.stop() == 0, server.output()
