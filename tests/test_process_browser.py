"""The process page in a real browser: live without a reload, correct without JavaScript, told of shutdown."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from conftest import BROWSER_TIMEOUT_MS, REPO_ROOT, Server
from playwright.async_api import Browser, ConsoleMessage, Error

# set GREETER_SCREENSHOTS=1 to refresh the README's picture (docs/process-page.png); otherwise the screenshot
# stays in the test's folder
README_SCREENSHOT = REPO_ROOT / "docs" / "process-page.png"


async def test_uptime_changes_live_without_console_errors(
    browser: Browser, greeter_server: Server, tmp_path: Path
) -> None:
    page = await browser.new_page(viewport={"width": 900, "height": 900})
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            problems.append(f"{message.type}: {message.text}")

    def on_page_error(error: Error) -> None:
        problems.append(f"page error: {error}")

    page.on("console", on_console)
    page.on("pageerror", on_page_error)
    for _ in range(3):  # so the templates table shows one read and several renders
        assert (await page.request.get(f"{greeter_server.base_url}/greet/")).ok
    await page.goto(f"{greeter_server.base_url}/process/", timeout=BROWSER_TIMEOUT_MS)
    live = page.locator("#live")
    await live.filter(has_text="Live: updated every tick").wait_for(timeout=BROWSER_TIMEOUT_MS)
    first_uptime = await page.locator("#uptime").text_content()
    # no reload: the stream's next ticks change the figure in place
    await page.wait_for_function(
        "(first) => document.getElementById('uptime').textContent !== first",
        arg=first_uptime,
        timeout=BROWSER_TIMEOUT_MS,
    )
    assert await page.locator("[data-figure=viewers]").text_content() == "1"
    assert "greet.html13" in (await page.locator("#templates").text_content() or "").replace(" ", "").replace("\n", "")
    screenshot = README_SCREENSHOT if os.environ.get("GREETER_SCREENSHOTS") == "1" else tmp_path / "process-page.png"
    await page.screenshot(path=screenshot, full_page=True)
    assert screenshot.read_bytes().startswith(b"\x89PNG")
    assert problems == []


async def test_correct_without_javascript(browser: Browser, greeter_server: Server) -> None:
    context = await browser.new_context(java_script_enabled=False)
    page = await context.new_page()
    await page.goto(f"{greeter_server.base_url}/process/", timeout=BROWSER_TIMEOUT_MS)
    assert (await page.locator("#live").text_content() or "").startswith("These figures are as of this page's request")
    uptime = await page.locator("#uptime").text_content()
    assert uptime is not None and len(uptime) == len("00:00:00")
    assert await page.locator("[data-figure=requests_served]").text_content() == "1"
    await context.close()


async def test_page_says_when_the_server_shuts_down(browser: Browser, greeter_server: Server) -> None:
    page = await browser.new_page()
    await page.goto(f"{greeter_server.base_url}/process/", timeout=BROWSER_TIMEOUT_MS)
    live = page.locator("#live")
    await live.filter(has_text="Live:").wait_for(timeout=BROWSER_TIMEOUT_MS)
    greeter_server.send(signal.SIGTERM)
    await live.filter(has_text="The server is shutting down").wait_for(timeout=BROWSER_TIMEOUT_MS)
    assert greeter_server.stop() == 0
