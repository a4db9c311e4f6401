"""The Content-Security-Policy in a real browser: every page of both apps satisfies it, with zero violations."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from conftest import BROWSER_TIMEOUT_MS, GREETER_READY, REPO_ROOT, RUNNING_ON, StartServer, command_path
from playwright.async_api import Browser, Page, Route

from greeter.plumbing.debug_mode import debug_security_headers
from greeter.plumbing.debug_page import render_start_failure
from greeter.shared.paths import PACKAGE_DIR

PAGES = ["/", "/index", "/hello/", "/hello/Ann", "/hail/", "/greet/", "/process/"]
# every violation the page's policy reports, kept where the test can read it
RECORD_VIOLATIONS = """
window.violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.violations.push(`${event.violatedDirective} blocked ${event.blockedURI || "inline code"}`);
});
"""


async def open_recording(browser: Browser) -> tuple[Page, list[str]]:
    page = await browser.new_page()
    await page.add_init_script(RECORD_VIOLATIONS)
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text) if message.type == "error" else None)
    return page, console


@pytest.mark.parametrize("side", ["quart", "flask"])
async def test_every_page_has_zero_violations(browser: Browser, start_server: StartServer, side: str) -> None:
    if side == "quart":
        server = start_server([command_path("greeter"), "0"], GREETER_READY)
    else:
        argv = [sys.executable, "-m", "flask", "--app", "greeter.flask_twin", "run", "--port", "0"]
        server = start_server(argv, RUNNING_ON)
    page, console = await open_recording(browser)
    for path in PAGES:
        response = await page.goto(server.base_url + path, timeout=BROWSER_TIMEOUT_MS)
        assert response is not None and response.ok, path
        assert "content-security-policy" in await response.all_headers()  # names come lower-case
        if path == "/process/" and side == "quart":
            # the inline script ran (it is allowed by its hash) and its stream connected (connect-src 'self')
            await page.locator("#live").filter(has_text="Live: updated every tick").wait_for(timeout=BROWSER_TIMEOUT_MS)
        assert await page.evaluate("window.violations") == [], path
        # the h1 is purple: the inline style was applied, not blocked
        if path in ("/greet/", "/process/"):
            color = await page.locator("h1").first.evaluate("(h1) => getComputedStyle(h1).color")
            assert color == "rgb(128, 0, 128)", path
    assert console == []


async def test_code_that_is_not_ours_is_blocked_and_reported(browser: Browser, start_server: StartServer) -> None:
    # the check above would pass with no policy at all; here the policy must refuse an injected script
    server = start_server([command_path("greeter"), "0"], GREETER_READY)
    page, _ = await open_recording(browser)
    await page.goto(server.base_url + "/greet/", timeout=BROWSER_TIMEOUT_MS)
    await page.evaluate(
        """() => {
        const script = document.createElement("script");
        script.textContent = "window.injected = true;";
        document.body.appendChild(script);
    }"""
    )
    await page.wait_for_function("window.violations.length > 0", timeout=BROWSER_TIMEOUT_MS)
    assert await page.evaluate("window.injected === undefined")
    assert (await page.evaluate("window.violations"))[0].startswith("script-src")


# under a route no student is told to write: a student's own /bye/<name> would take the URL first
FAILING_APP = """
from greeter import create_app

app = create_app()


@app.route("/test-security-browser/bye/<name>")
async def bye(name: str) -> str:
    farewell = "Goodbye"
    return f"{farewell}, {nmae}!"
"""
# the students' page shows the debug page: GREETER_SCREENSHOTS=1 refreshes it, else the picture stays in tmp
DEBUG_PAGE_SHOT = REPO_ROOT / "docs" / "debug-page.png"


async def test_the_debug_page_is_styled_with_zero_violations(
    browser: Browser, start_server: StartServer, tmp_path: Path
) -> None:
    (tmp_path / "failing_app.py").write_text(FAILING_APP)
    argv = [command_path("hypercorn"), "--bind", "127.0.0.1:0", "failing_app:app"]
    server = start_server(argv, RUNNING_ON, env={"GREETER_DEBUG": "true"}, cwd=tmp_path)
    page, console = await open_recording(browser)
    response = await page.goto(server.base_url + "/test-security-browser/bye/%3Ci%3EKim", timeout=BROWSER_TIMEOUT_MS)
    assert response is not None and response.status == 500
    assert "content-security-policy" in await response.all_headers()
    assert await page.locator("h1").inner_text() == "NameError name 'nmae' is not defined"
    assert await page.evaluate("window.violations") == []
    # greeter's page colours its header: a browser's own is transparent, so the page's style applied
    colour = await page.locator("header").evaluate("(header) => getComputedStyle(header).backgroundColor")
    assert colour == "rgb(139, 26, 26)"
    # the student's line is the row highlighted, with its number, and its failing name marked
    error_row = page.locator("div.frame.first tr.error")
    assert (await error_row.inner_text()).split(maxsplit=1) == ["10", 'return f"{farewell}, {nmae}!"']
    assert await error_row.evaluate("(row) => getComputedStyle(row).backgroundColor") == "rgb(255, 241, 168)"
    assert await error_row.locator("mark").inner_text() == "nmae"
    # a name from the URL is text, never markup
    assert await page.locator("i").count() == 0
    assert "'<i>Kim'" in await page.locator("table.locals").first.inner_text()
    # the libraries' frames folded (<details>, no script): Quart's lines are not visible until opened
    library = page.locator("details.library")
    assert not await library.evaluate("(details) => details.open")
    assert not await page.locator("details.library details.frame tr.error").first.is_visible()
    shot = DEBUG_PAGE_SHOT if os.environ.get("GREETER_SCREENSHOTS") == "1" else tmp_path / DEBUG_PAGE_SHOT.name
    await page.screenshot(path=shot, full_page=True)
    assert shot.read_bytes().startswith(b"\x89PNG")
    print(f"the debug page: {shot}")
    await library.locator("summary").first.click()  # opened by a click, with no script
    assert await library.evaluate("(details) => details.open")
    assert await page.evaluate("window.violations") == []
    # the one console line is Chromium's own for any 500: no policy or script error
    assert console == ["Failed to load resource: the server responded with a status of 500 ()"]


async def test_the_page_of_code_that_does_not_start_keeps_to_its_policy_and_reloads_once_it_starts(
    browser: Browser, tmp_path: Path
) -> None:
    # what the supervisor serves under --debug while views.py does not import, with the headers it is given
    views = tmp_path / "views.py"
    views.write_text("oops = print(\n")
    try:
        compile(views.read_text(), str(views), "exec")
    except SyntaxError as error:
        html = render_start_failure(error, PACKAGE_DIR, {"type": "http", "method": "GET", "path": "/bye/Kim"})
    headers = {**debug_security_headers(None), "Content-Type": "text/html; charset=utf-8"}
    code_starts = False

    async def serve(route: Route) -> None:
        if not code_starts:  # every answer is the error, the live stream's too
            await route.fulfill(status=500, headers=headers, body=html)
        elif route.request.url.endswith("/process/stream"):
            await route.fulfill(status=200, headers={"Content-Type": "text/event-stream"}, body="data: {}\n\n")
        else:
            await route.fulfill(status=200, headers=headers, body="<!doctype html><h1>Bye, Kim!</h1>")

    page, _ = await open_recording(browser)
    await page.route("http://greeter.test/**", serve)  # no server: the browser gets these answers as they are
    await page.goto("http://greeter.test/bye/Kim", timeout=BROWSER_TIMEOUT_MS)
    assert await page.locator("h1").inner_text() == "SyntaxError '(' was never closed"
    colour = await page.locator("header").evaluate("(header) => getComputedStyle(header).backgroundColor")
    assert colour == "rgb(139, 26, 26)"
    assert await page.locator("tr.error mark").inner_text() == "("
    assert await page.evaluate("window.violations") == []
    code_starts = True  # a save that imports: the page finds the stream there, and reloads
    await page.locator("h1").filter(has_text="Bye, Kim!").wait_for(timeout=BROWSER_TIMEOUT_MS)
