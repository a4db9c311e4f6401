"""Edit and see the change: after the README's install, `greeter --reload` and `--debug` serve each edit made in
the checkout, streams are told and reconnect, and Ctrl+C is as prompt as without the reloader."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from conftest import (
    BROWSER_TIMEOUT_MS,
    GREETER_READY,
    KEEP_ALIVE_LIMITS,
    REPO_ROOT,
    STOP_TIMEOUT,
    Server,
    StartServer,
    read_figures,
    scaled,
)
from playwright.async_api import Browser
from test_readme import readme_commands

INSTALL_TIMEOUT = scaled(300)
SERVED_WITHIN = 2.0  # the bound from a saved edit to the new answer; it takes about half of that
HTTP_TIMEOUT = scaled(10.0)
# what a checkout holds that a fresh clone does not
NOT_COPIED = shutil.ignore_patterns(*(line.strip("/") for line in (REPO_ROOT / ".gitignore").read_text().split()))


@pytest.fixture(scope="module")
def installed_checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the checkout, installed by the README's own command (all of it but the final `greeter`)."""
    checkout = tmp_path_factory.mktemp("student") / "greeter"
    shutil.copytree(REPO_ROOT, checkout, ignore=NOT_COPIED, symlinks=True)
    install, serve = readme_commands()[0].rsplit(" && ", 1)
    assert serve == ".venv/bin/greeter", serve
    subprocess.run(["bash", "-c", install], cwd=checkout, check=True, capture_output=True, timeout=INSTALL_TIMEOUT)
    return checkout


@pytest.fixture
def checkout(installed_checkout: Path) -> Iterator[Path]:
    """The installed copy, its files put back as they were after each test."""
    kept = {path: path.read_bytes() for path in (installed_checkout / "greeter").glob("*.py")}
    kept |= {path: path.read_bytes() for path in (installed_checkout / "templates").iterdir()}
    yield installed_checkout
    for path, content in kept.items():
        path.write_bytes(content)


def edit(path: Path, old: str, new: str) -> None:
    """Save an edit as an editor does: the whole file, at once."""
    text = path.read_text()
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1))


def start_greeter(
    start_server: StartServer, checkout: Path, *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> Server:
    argv = [str(checkout / ".venv" / "bin" / "greeter"), "0", *args]
    return start_server(argv, GREETER_READY, cwd=cwd or checkout, env=env)


async def served_within(http: httpx.AsyncClient, path: str, text: str, seconds: float = SERVED_WITHIN) -> float:
    """Ask again and again, on kept-alive connections as a browser does, until the answer holds `text`."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if text in (await http.get(path)).text:
            took = time.monotonic() - started
            print(f"an edit served in {took:.2f} s: {text!r} on {path}")  # docs/students.md quotes these (pytest -s)
            return took
        await asyncio.sleep(0.02)
    pytest.fail(f"{path} did not say {text!r} within {seconds} s of the edit")


def wait_until_gone(pid: int, timeout: float = STOP_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while Path(f"/proc/{pid}").exists():
        assert time.monotonic() < deadline, f"process {pid} still runs"
        time.sleep(0.02)


async def test_an_edit_of_a_view_and_of_a_template_is_served_and_said_in_one_line(
    start_server: StartServer, checkout: Path
) -> None:
    server = start_greeter(start_server, checkout, "--reload")
    server.wait_for("reloading when a file changes in greeter/ and templates/")
    async with httpx.AsyncClient(limits=KEEP_ALIVE_LIMITS, base_url=server.base_url, timeout=HTTP_TIMEOUT) as http:
        assert (await http.get("/")).text == "Hello World!"
        old_pid = (await read_figures(http))["pid"]
        output_before = server.output()
        edit(checkout / "greeter" / "views.py", '"Hello World!"', '"Hello, edited view!"')
        await served_within(http, "/", "Hello, edited view!")
        wait_until_gone(old_pid)
        # the new worker's start and the old one's end are silent: one line per reload
        assert server.output().removeprefix(output_before) == "greeter: greeter/views.py changed; reloading\n"

        assert "Greetings" in (await http.get("/greet/")).text  # the new worker has read the template too
        edit(checkout / "templates" / "greet.html", "</h1>", " (edited template)</h1>")
        await served_within(http, "/greet/", "(edited template)</h1>")
    server.wait_for("greeter: templates/greet.html changed; reloading\n")
    assert server.stop(signal.SIGINT) == 0
    assert "Traceback" not in server.output()
    assert "not this checkout" not in server.output()  # the README's install serves the checkout itself


async def test_debug_serves_an_edit_of_a_view(start_server: StartServer, checkout: Path) -> None:
    server = start_greeter(start_server, checkout, "--debug")
    async with httpx.AsyncClient(limits=KEEP_ALIVE_LIMITS, base_url=server.base_url, timeout=HTTP_TIMEOUT) as http:
        assert (await http.get("/")).text == "Hello World!"  # served: the worker has imported the views
        edit(checkout / "greeter" / "views.py", '"Hello World!"', '"Hello, debug!"')
        await served_within(http, "/", "Hello, debug!")
        assert (await read_figures(http))["debug"] is True
    assert server.stop() == 0


async def test_a_reload_sends_open_streams_shutdown_and_they_reconnect(
    start_server: StartServer, checkout: Path
) -> None:
    server = start_greeter(start_server, checkout, "--reload")
    async with (
        httpx.AsyncClient(limits=KEEP_ALIVE_LIMITS, base_url=server.base_url, timeout=HTTP_TIMEOUT) as http,
        http.stream("GET", "/process/stream") as stream,
    ):
        lines = stream.aiter_lines()
        first = await anext(lines)
        while not first.startswith("data: "):
            first = await anext(lines)
        old_pid = json.loads(first.removeprefix("data: "))["pid"]
        edit(checkout / "greeter" / "views.py", '"Hello World!"', '"Hello, with a viewer!"')
        await served_within(http, "/", "Hello, with a viewer!")  # a viewer does not hold the old code up
        async with asyncio.timeout(HTTP_TIMEOUT):
            rest = [line async for line in lines]  # the old worker's stream ends
        shutdown = rest.index("event: shutdown")
        assert rest[shutdown - 1] == "retry: 250"  # the browser reconnects a quarter of a second later
        farewell = json.loads(rest[shutdown + 1].removeprefix("data: "))
        assert farewell == {"reason": "the server is reloading", "reconnect": True}
        new_figures = await read_figures(http)  # the viewer's next connection reaches the new worker
        assert new_figures["pid"] != old_pid
    wait_until_gone(old_pid)
    assert "Traceback" not in server.output()
    assert server.stop() == 0


async def test_the_page_reconnects_to_the_new_worker(
    browser: Browser, start_server: StartServer, checkout: Path
) -> None:
    server = start_greeter(start_server, checkout, "--reload")
    page = await browser.new_page()
    await page.goto(f"{server.base_url}/process/", timeout=BROWSER_TIMEOUT_MS)
    live = page.locator("#live")
    await live.filter(has_text="Live:").wait_for(timeout=BROWSER_TIMEOUT_MS)
    old_pid = await page.locator("h1 [data-figure=pid]").text_content()
    edit(checkout / "templates" / "base.html", "</head>", "<!-- edited --></head>")
    # the live figures switch to the new process, with no reload of the page
    await page.wait_for_function(
        "(old) => document.querySelector('h1 [data-figure=pid]').textContent !== old",
        arg=old_pid,
        timeout=BROWSER_TIMEOUT_MS,
    )
    await live.filter(has_text="Live:").wait_for(timeout=BROWSER_TIMEOUT_MS)
    assert server.stop() == 0


# every violation of the page's policy, kept where the test can read it
RECORD_VIOLATIONS = """
window.violations = [];
document.addEventListener("securitypolicyviolation", (event) => window.violations.push(event.violatedDirective));
"""


async def test_under_debug_an_open_page_reloads_itself_when_a_file_it_came_from_changes(
    browser: Browser, start_server: StartServer, checkout: Path
) -> None:
    server = start_greeter(start_server, checkout, "--debug")
    page = await browser.new_page()
    await page.add_init_script(RECORD_VIOLATIONS)
    # each look the page takes at its files (/greeter-debug/sources), counted from its latest load
    looks: list[str] = []
    page.on("framenavigated", lambda frame: looks.clear() if frame == page.main_frame else None)
    page.on("response", lambda answer: looks.append(answer.url) if "/greeter-debug/sources?" in answer.url else None)
    await page.goto(f"{server.base_url}/greet/", timeout=BROWSER_TIMEOUT_MS)
    await page.evaluate("window.loadedOnce = true")  # gone once the page reloads
    edit(checkout / "templates" / "greet.html", "</h1>", " (edited, and followed)</h1>")
    await page.locator("h1").filter(has_text="(edited, and followed)").wait_for(timeout=BROWSER_TIMEOUT_MS)
    assert await page.evaluate("window.loadedOnce") is None
    assert await page.evaluate("window.violations") == []
    # the base template is a file it came from too
    edit(checkout / "templates" / "base.html", "<body>", "<body>\n<p id='edited-base'>the base, edited</p>")
    await page.locator("#edited-base").wait_for(timeout=BROWSER_TIMEOUT_MS)
    # an edit of a file it did not come from (the process page's template) replaces the worker too, but the
    # page, once its stream is open on the new one, asks whether its own files changed, hears no, and stays
    await page.evaluate("window.loadedOnce = true")
    await until(lambda: len(looks) >= 1)  # its first look, as its stream first opened
    edit(checkout / "templates" / "process.html", "</h1>", " (edited elsewhere)</h1>")
    await until(lambda: len(looks) >= 2)  # its look on the new worker
    await asyncio.sleep(scaled(0.5))  # the page decides as soon as the answer is there
    assert await page.evaluate("window.loadedOnce") is True
    assert await page.evaluate("window.violations") == []
    assert server.stop() == 0


async def until(condition: Callable[[], bool], seconds: float = scaled(BROWSER_TIMEOUT_MS / 1000)) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the page did not look at its files in time"
        await asyncio.sleep(0.05)


async def test_under_debug_the_debug_page_reloads_itself_once_the_mistake_is_fixed(
    browser: Browser, start_server: StartServer, checkout: Path
) -> None:
    views = checkout / "greeter" / "views.py"
    edit(views, 'return await render_template("greet.html")', 'return await render_template("greet.html", x=nmae)')
    server = start_greeter(start_server, checkout, "--debug")
    page = await browser.new_page()
    await page.add_init_script(RECORD_VIOLATIONS)
    response = await page.goto(f"{server.base_url}/greet/", timeout=BROWSER_TIMEOUT_MS)
    assert response is not None and response.status == 500
    assert await page.locator("h1").inner_text() == "NameError name 'nmae' is not defined"
    edit(views, ", x=nmae)", ")")  # the student's fix, in the file the page's traceback names
    await page.locator("h1").filter(has_text="Hail").wait_for(timeout=BROWSER_TIMEOUT_MS)
    assert await page.evaluate("window.violations") == []
    assert server.stop() == 0


async def test_outside_debug_no_page_carries_the_script(start_server: StartServer, checkout: Path) -> None:
    server = start_greeter(start_server, checkout, "--reload")
    async with httpx.AsyncClient(limits=KEEP_ALIVE_LIMITS, base_url=server.base_url, timeout=HTTP_TIMEOUT) as http:
        for path in ("/", "/greet/", "/process/", "/nope"):
            assert "greeter-debug" not in (await http.get(path)).text, path
        assert (await http.get("/greeter-debug/sources")).status_code == 404
    assert server.stop() == 0


@pytest.mark.parametrize("flags", [[], ["--reload"]], ids=["plain", "reload"])
async def test_ctrl_c_is_as_prompt_and_clean_with_the_reloader(
    start_server: StartServer, checkout: Path, flags: list[str]
) -> None:
    server = start_greeter(start_server, checkout, *flags)
    async with httpx.AsyncClient(limits=KEEP_ALIVE_LIMITS, base_url=server.base_url, timeout=HTTP_TIMEOUT) as http:
        worker_pid = (await read_figures(http))["pid"]
        async with http.stream("GET", "/process/stream") as stream:
            await anext(stream.aiter_lines())
            started = time.monotonic()
            os.killpg(server.process.pid, signal.SIGINT)  # as a terminal does: to every process of the group
            server.signalled = True
            assert server.stop(timeout=STOP_TIMEOUT) == 0
            took = time.monotonic() - started
    print(f"Ctrl+C to the end of `greeter {' '.join(flags)}`, a stream open: {took:.2f} s")
    assert took < 2.0, f"{took:.1f} s from Ctrl+C to the end"  # it takes a tenth of that
    wait_until_gone(worker_pid)
    output = server.output()
    assert "Traceback" not in output and "KeyboardInterrupt" not in output
    # greeter's own line, the banner's pid, for the whole run (a worker's would count only its own requests)
    assert re.search(rf"greeter: process {server.process.pid} served \d+ requests? in ", output.splitlines()[-1])


async def test_a_change_that_does_not_start_keeps_the_code_from_before(
    start_server: StartServer, checkout: Path
) -> None:
    server = start_greeter(start_server, checkout, "--reload")
    views = checkout / "greeter" / "views.py"
    async with httpx.AsyncClient(limits=KEEP_ALIVE_LIMITS, base_url=server.base_url, timeout=HTTP_TIMEOUT) as http:
        assert (await http.get("/")).text == "Hello World!"
        edit(views, '"Hello World!"', '"Hello World!" +')  # a syntax error, as a student may save one
        server.wait_for("SyntaxError")
        server.wait_for("greeter: the new code did not start \\(the error is above\\); still serving the code")
        assert "multiprocessing" not in server.output()  # the student's error, not the worker's start-up frames
        assert (await http.get("/")).text == "Hello World!"
        edit(views, '"Hello World!" +', '"Hello, fixed!"')
        await served_within(http, "/", "Hello, fixed!")
    assert server.stop() == 0


async def test_the_code_served_is_the_installed_one_wherever_you_start(
    start_server: StartServer, checkout: Path, tmp_path: Path
) -> None:
    # another checkout, with its own views, as the current folder: greeter must not serve its code
    elsewhere = tmp_path / "other-checkout"
    shutil.copytree(checkout, elsewhere, ignore=shutil.ignore_patterns(".venv"), symlinks=True)
    edit(elsewhere / "greeter" / "views.py", '"Hello World!"', '"Hello from the other checkout"')
    server = start_greeter(start_server, checkout, "--reload", cwd=elsewhere)
    server.wait_for(f"greeter: the code served is the copy in {checkout / 'greeter'}, not this checkout's")
    server.wait_for(f"reloading when a file changes in {checkout / 'greeter'}/ and {checkout / 'templates'}/")
    async with httpx.AsyncClient(limits=KEEP_ALIVE_LIMITS, base_url=server.base_url, timeout=HTTP_TIMEOUT) as http:
        assert (await http.get("/")).text == "Hello World!"
        edit(checkout / "greeter" / "views.py", '"Hello World!"', '"Hello, installed copy!"')
        await served_within(http, "/", "Hello, installed copy!")  # the reloaded worker too
    assert server.stop() == 0
    # without --reload an installed copy is what a service runs on purpose (docs/production.md): no warning
    quiet = start_greeter(start_server, checkout, cwd=elsewhere)
    async with httpx.AsyncClient(limits=KEEP_ALIVE_LIMITS, base_url=quiet.base_url, timeout=HTTP_TIMEOUT) as http:
        assert (await http.get("/")).text == "Hello, installed copy!"
    assert quiet.stop() == 0
    assert "not this checkout" not in quiet.output()


async def test_a_broken_package_init_is_said_compactly_and_the_code_from_before_kept(
    start_server: StartServer, checkout: Path
) -> None:
    server = start_greeter(start_server, checkout, "--reload")
    init = checkout / "greeter" / "__init__.py"
    async with httpx.AsyncClient(limits=KEEP_ALIVE_LIMITS, base_url=server.base_url, timeout=HTTP_TIMEOUT) as http:
        assert (await http.get("/")).text == "Hello World!"
        before = server.output()
        init.write_text(init.read_text() + "\ndef broken(:\n")
        server.wait_for("still serving the code from before")
        said = server.output().removeprefix(before)
        assert "SyntaxError" in said and "__init__.py" in said
        assert "Traceback" not in said  # Python's four lines, nothing of greeter's machinery
        assert (await http.get("/")).text == "Hello World!"
    assert server.stop() == 0


def save_in_the_second(path: Path, text: str, second: int, nanoseconds: int) -> None:
    """Save, then date the save within one given second, as two quick saves are: the .pyc's stamp is the same."""
    path.write_text(text)
    os.utime(path, ns=(second * 10**9 + nanoseconds, second * 10**9 + nanoseconds))


async def test_two_saves_of_the_same_size_in_one_second_are_both_served(
    start_server: StartServer, checkout: Path
) -> None:
    # bytecode written as on a student's machine (the suite's environment may say PYTHONDONTWRITEBYTECODE=1)
    server = start_greeter(start_server, checkout, "--reload", env={"PYTHONDONTWRITEBYTECODE": ""})
    views = checkout / "greeter" / "views.py"
    original = views.read_text()
    second = int(time.time()) + 5  # ahead of any earlier save: each save below is a change the reloader sees
    async with httpx.AsyncClient(limits=KEEP_ALIVE_LIMITS, base_url=server.base_url, timeout=HTTP_TIMEOUT) as http:
        assert (await http.get("/")).text == "Hello World!"
        save_in_the_second(views, original.replace('"Hello World!"', '"Hello AAAAA!"'), second, 100_000_000)
        await served_within(http, "/", "Hello AAAAA!")
        # the same size, the same second: Python alone would take the first save's .pyc for this one
        save_in_the_second(views, original.replace('"Hello World!"', '"Hello BBBBB!"'), second, 600_000_000)
        await served_within(http, "/", "Hello BBBBB!")
    assert server.stop() == 0
