"""Code that does not start (a syntax error or a failed import in greeter/views.py): the student's own error,
compact, then one sentence; --reload and --debug wait for the fix and serve it as soon as the code starts."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path

import httpx
import pytest
from conftest import GREETER_READY, KEEP_ALIVE_LIMITS, REPO_ROOT, StartServer, copy_of_the_package, scaled

from greeter.plumbing.debug_mode import debug_security_headers

HTTP_TIMEOUT = scaled(10.0)
SERVED_WITHIN = 5.0
SYNTAX_ERROR = "oops = print(\n"
NOT_STARTING = "greeter: the code in the checkout does not start (the error is above); fix it and start greeter again."
WAITING = "greeter: the code does not start (the error is above); waiting for a fix: served as soon as it starts."


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A copy of the package and templates; `python -m greeter` run in it imports this copy (the current folder
    comes first on sys.path), and the reloader watches it."""
    return copy_of_the_package(tmp_path)


def break_views(checkout: Path, line: str) -> Path:
    views = checkout / "greeter" / "views.py"
    views.write_text(views.read_text() + line)
    return views


def run_greeter(checkout: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "greeter", "0", *args],
        cwd=checkout,
        capture_output=True,
        text=True,
        timeout=30,
        stdin=subprocess.DEVNULL,
    )


def test_a_syntax_error_is_the_students_line_and_one_sentence(checkout: Path) -> None:
    views = break_views(checkout, SYNTAX_ERROR)
    lineno = len(views.read_text().splitlines())
    result = run_greeter(checkout)
    assert result.returncode == 1, result.stderr
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f'  File "{views}", line {lineno}',
        "    oops = print(",
        "                ^",
        "SyntaxError: '(' was never closed",
        NOT_STARTING,
    ]


def test_a_failed_import_shows_only_the_frames_in_the_students_code(checkout: Path) -> None:
    views = break_views(checkout, "import no_such_module_g10s\n")
    lineno = len(views.read_text().splitlines())
    result = run_greeter(checkout)
    assert result.returncode == 1, result.stderr
    assert result.stderr.splitlines() == [
        "Traceback (most recent call last):",
        f'  File "{views}", line {lineno}, in <module>',
        "    import no_such_module_g10s",
        "ModuleNotFoundError: No module named 'no_such_module_g10s'",
        NOT_STARTING,
    ]


@pytest.mark.parametrize("mode", ["--reload", "--debug"])
async def test_reload_waits_for_the_fix_and_serves_it(start_server: StartServer, checkout: Path, mode: str) -> None:
    views = checkout / "greeter" / "views.py"
    fixed = views.read_text()
    break_views(checkout, SYNTAX_ERROR)
    server = start_server([sys.executable, "-m", "greeter", "0", mode], GREETER_READY, cwd=checkout)
    server.wait_for("waiting for a fix")
    output = server.output()
    assert "SyntaxError: '(' was never closed" in output
    assert WAITING in output.splitlines()
    for internal in ("Traceback", "multiprocessing", "click", "cli.py"):
        assert internal not in output, output
    assert server.process.poll() is None  # still there, watching
    views.write_text(fixed.replace('"Hello World!"', '"Hello, fixed!"'))
    async with httpx.AsyncClient(limits=KEEP_ALIVE_LIMITS, base_url=server.base_url, timeout=HTTP_TIMEOUT) as http:
        deadline = time.monotonic() + SERVED_WITHIN
        while True:
            try:
                if (await http.get("/")).text == "Hello, fixed!":
                    break
            except httpx.TransportError:  # the socket listens; until a worker serves, nobody answers
                pass
            assert time.monotonic() < deadline, server.output()
            await asyncio.sleep(0.05)
    server.wait_for("greeter: the code starts now; serving it.")
    assert server.stop() == 0


async def test_under_debug_every_request_is_answered_with_the_error_while_the_code_does_not_start(
    start_server: StartServer, checkout: Path
) -> None:
    # started with the mistake there: the port is open and the banner printed, so the student's browser connects;
    # it must get greeter's page of the error (the file, the line, the caret), never wait for the fix
    views = break_views(checkout, SYNTAX_ERROR)
    lineno = len(views.read_text().splitlines())
    server = start_server([sys.executable, "-m", "greeter", "0", "--debug"], GREETER_READY, cwd=checkout)
    server.wait_for("waiting for a fix")
    async with httpx.AsyncClient(base_url=server.base_url, timeout=HTTP_TIMEOUT) as http:
        try:
            answer = await http.get("/hello/Kim?x=1")
        except httpx.TimeoutException:
            pytest.fail(
                f"no answer in {HTTP_TIMEOUT:.0f} s while the code does not start: the connection waits in the"
                " listening socket greeter holds, and no worker accepts it until a save imports"
            )
    assert answer.status_code == 500
    assert answer.headers["content-type"] == "text/html; charset=utf-8"
    assert answer.headers["content-security-policy"] == debug_security_headers(None)["Content-Security-Policy"]
    page = answer.text
    assert '<h1>SyntaxError <span class="message">&#39;(&#39; was never closed</span></h1>' in page
    assert f"greeter/views.py</b>, line <b>{lineno}</b>" in page
    assert "<tr><th>Path</th><td>/hello/Kim?x=1</td></tr>" in page
    assert "The code does not start, so greeter answers every page with this error" in page
    assert server.process.poll() is None
    assert server.stop() == 0


PAGES_SHOW = "greeter: the new code did not start (the error is above); every page shows the error until it starts."
STILL_SERVING = "greeter: the new code did not start (the error is above); still serving the code from before."
STARTS_NOW = "greeter: the code starts now; serving it."
NOT_STARTING_TEXT = "the code does not start: see greeter's terminal\n"


async def answered_within(
    http: httpx.AsyncClient, path: str, status: int, output: Callable[[], str], text: str | None = None
) -> httpx.Response:
    """The first answer with this status (and text), within SERVED_WITHIN (a reload's switch takes a moment)."""
    deadline = time.monotonic() + SERVED_WITHIN
    while True:
        with suppress(httpx.TransportError):  # a connection closed by the worker that goes
            answer = await http.get(path)
            if answer.status_code == status and text in (None, answer.text):
                return answer
        assert time.monotonic() < deadline, output()
        await asyncio.sleep(0.05)


async def test_under_debug_an_edit_that_does_not_start_is_shown_on_every_page_until_a_save_starts(
    start_server: StartServer, checkout: Path
) -> None:
    views = checkout / "greeter" / "views.py"
    fixed = views.read_text()
    server = start_server([sys.executable, "-m", "greeter", "0", "--debug"], GREETER_READY, cwd=checkout)
    async with httpx.AsyncClient(limits=KEEP_ALIVE_LIMITS, base_url=server.base_url, timeout=HTTP_TIMEOUT) as http:
        for attempt in (1, 2):  # each recovery is said
            assert (await http.get("/")).text == ("Hello World!" if attempt == 1 else "Hello, fixed!")
            lineno = len(break_views(checkout, SYNTAX_ERROR).read_text().splitlines())
            server.wait_for(re.escape(PAGES_SHOW))
            # the code from before is not served any more: the student would take it for their change
            answer = await answered_within(http, "/hello/Kim", 500, server.output)
            assert answer.headers["content-type"] == "text/html; charset=utf-8"
            assert answer.headers["content-security-policy"] == debug_security_headers(None)["Content-Security-Policy"]
            assert f"greeter/views.py</b>, line <b>{lineno}</b>" in answer.text
            assert 'data-stamp=""' in answer.text  # the live-reload script: the page reloads once the code starts
            assert (await http.get("/")).status_code == 500
            views.write_text(fixed.replace('"Hello World!"', '"Hello, fixed!"'))
            await answered_within(http, "/", 200, server.output, "Hello, fixed!")
            server.wait_for(re.escape(STARTS_NOW))
            assert server.output().splitlines().count(STARTS_NOW) == attempt, server.output()
    output = server.output()
    assert "still serving the code from before" not in output
    assert "Traceback" not in output
    assert server.stop() == 0


async def test_under_reload_the_code_that_does_not_start_at_launch_is_one_line_of_503(
    start_server: StartServer, checkout: Path
) -> None:
    views = checkout / "greeter" / "views.py"
    fixed = views.read_text()
    break_views(checkout, SYNTAX_ERROR)
    server = start_server([sys.executable, "-m", "greeter", "0", "--reload"], GREETER_READY, cwd=checkout)
    server.wait_for("waiting for a fix")
    async with httpx.AsyncClient(limits=KEEP_ALIVE_LIMITS, base_url=server.base_url, timeout=HTTP_TIMEOUT) as http:
        try:
            answer = await http.get("/hello/Kim")
        except httpx.TimeoutException:
            pytest.fail(f"no answer in {HTTP_TIMEOUT:.0f} s while the code does not start")
        assert answer.status_code == 503
        assert answer.headers["content-type"] == "text/plain; charset=utf-8"
        assert answer.text == NOT_STARTING_TEXT
        assert "<script" not in answer.text  # no debug: nothing of the error or of the live reload
        views.write_text(fixed)
        await answered_within(http, "/", 200, server.output, "Hello World!")
    server.wait_for(re.escape(STARTS_NOW))
    assert server.stop() == 0


async def test_under_reload_an_edit_that_does_not_start_keeps_the_code_from_before_until_one_starts(
    start_server: StartServer, checkout: Path
) -> None:
    views = checkout / "greeter" / "views.py"
    fixed = views.read_text()
    server = start_server([sys.executable, "-m", "greeter", "0", "--reload"], GREETER_READY, cwd=checkout)
    async with httpx.AsyncClient(limits=KEEP_ALIVE_LIMITS, base_url=server.base_url, timeout=HTTP_TIMEOUT) as http:
        assert (await http.get("/")).text == "Hello World!"  # the first worker has imported the code
        break_views(checkout, SYNTAX_ERROR)
        server.wait_for(re.escape(STILL_SERVING))
        assert (await http.get("/")).text == "Hello World!"  # as production would: the code that runs goes on
        views.write_text(fixed.replace('"Hello World!"', '"Hello, fixed!"'))
        await answered_within(http, "/", 200, server.output, "Hello, fixed!")
    server.wait_for(re.escape(STARTS_NOW))
    assert server.stop() == 0


@pytest.mark.parametrize("page", ["students.md", "serving.md"])
def test_the_pages_quote_what_greeter_says_while_the_code_does_not_start(page: str) -> None:
    # the lines the tests above see printed, and the 503's text, each quoted whole (a quote may wrap)
    text = " ".join((REPO_ROOT / "docs" / page).read_text().split())
    for line in (WAITING, PAGES_SHOW, STILL_SERVING, STARTS_NOW, NOT_STARTING_TEXT.strip()):
        assert f"`{line}`" in text, f"{page} does not quote, as printed: {line}"
