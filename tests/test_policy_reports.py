"""An inline style that the policy blocks is said in the terminal under --debug: the browser reports the violation
to greeter, which prints one line (what was blocked, on which page, how to do it instead). Outside debug mode the
policy asks for no report and greeter has no route for one."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import BROWSER_TIMEOUT_MS, GREETER_READY, StartServer, copy_of_the_package, scaled
from playwright.async_api import Browser
from quart.testing import QuartClient

from greeter import create_app
from greeter.plumbing.policy_reports import POLICY_REPORTS
from greeter.shared.paths import TEMPLATES_DIR, shown_path
from greeter.shared.policy_violations import violation_line

REPORT_WITHIN = scaled(10.0)
STYLE_ATTRIBUTE_LINE = (
    'greeter: the page /greet/ has a style attribute (style="color: red" in templates/greet.html, line {line}), which'
    " the security policy blocks: give the element a class, and style the class in a <style> block of the page's"
    " template (base.html has the pages' own), which greeter allows by its hash, recomputed from the template."
)


def report(**fields: Any) -> dict[str, Any]:
    """A report as Chromium posts it for report-uri (application/csp-report), its fields in the spec's names."""
    return {"document-uri": "http://127.0.0.1:7311/bye/Kim?x=1", "blocked-uri": "inline", "line-number": 9} | fields


@pytest.mark.parametrize(
    ("fields", "line"),
    [
        (
            {"effective-directive": "style-src-attr", "script-sample": "color: red"},
            'the page /bye/Kim?x=1 has a style attribute (style="color: red", line 9 of the page as served), which'
            " the security policy blocks: give the element a class, and style the class in a <style> block",
        ),
        (
            {"effective-directive": "style-src-elem", "script-sample": "h1 { color: red }"},
            "the page /bye/Kim?x=1 has a <style> block that is in no template (h1 { color: red }, line 9 of the page"
            " as served), which the security policy blocks: move it into a <style> block of the page's template",
        ),
        (
            {"effective-directive": "script-src-attr", "script-sample": "alert(1)", "line-number": 0},
            "the page /bye/Kim?x=1 has an event handler attribute such as onclick= (alert(1)), which the security"
            " policy blocks: give the element an id, and add the handler with addEventListener in a <script> block",
        ),
        (
            {"effective-directive": "script-src-elem", "script-sample": ""},
            "the page /bye/Kim?x=1 has a <script> block that is in no template (line 9 of the page as served), which"
            " the security policy blocks: move it into a <script> block",
        ),
        (
            {"effective-directive": "style-src-elem", "blocked-uri": "https://cdn.example.org/site.css"},
            "the page /bye/Kim?x=1 asked for a stylesheet from https://cdn.example.org/site.css, line 9 of the page as"
            " served, which the security policy blocks: it allows none from another site, nor from greeter itself",
        ),
        (
            {"effective-directive": "img-src", "blocked-uri": "https://example.org/a.png"},
            "the page /bye/Kim?x=1 asked for an image from https://example.org/a.png, line 9 of the page as served,"
            " which the security policy blocks: it allows only images written into the page (data: addresses)",
        ),
        (
            {"effective-directive": "form-action", "blocked-uri": "http://127.0.0.1:7311/bye/"},
            "the page /bye/Kim?x=1 submitted a form to http://127.0.0.1:7311/bye/, which the security policy"
            " blocks (form-action 'none': greeter's pages have no form); to add one, allow its address",
        ),
        (
            {"violated-directive": "frame-ancestors", "blocked-uri": "http://evil.example/"},
            "the page /bye/Kim?x=1: the security policy blocked http://evil.example/ (frame-ancestors, line 9 of the"
            " page as served); docs/production.md#security says what the policy allows.",
        ),
    ],
    ids=["style-attribute", "style-block", "event-handler", "script-block", "stylesheet", "image", "form", "other"],
)
def test_each_violation_is_one_line_saying_what_to_do(fields: dict[str, Any], line: str) -> None:
    said = violation_line(report(**fields))
    assert said.startswith(line), said
    assert "\n" not in said


def test_what_was_blocked_is_named_in_the_template_that_has_it(tmp_path: Path) -> None:
    # the browser counts the lines of the page as served; the student edits the template, whose lines differ
    base = tmp_path / "base.html"
    base.write_text("<!doctype html>\n<style>\n  .soon { color: red; }\n</style>\n{% block content %}{% endblock %}\n")
    bye = tmp_path / "bye.html"
    bye.write_text('{% extends "base.html" %}\n{% block content %}\n<p style="color: red">Bye</p>\n{% endblock %}\n')
    style = {"effective-directive": "style-src-attr", "script-sample": "color: red", "line-number": 21}
    said = violation_line(report(**style), [tmp_path / "views.py", base, bye])
    assert f'(style="color: red" in {bye}, line 3), which' in said  # not base.html's class with the same words
    assert violation_line(report(**style), [base]).startswith(
        'the page /bye/Kim?x=1 has a style attribute (style="color: red", line 21 of the page as served)'
    )
    sheet = {"effective-directive": "style-src-elem", "blocked-uri": "https://cdn.example.org/site.css"}
    base.write_text('<link rel="stylesheet" href="https://cdn.example.org/site.css">\n')
    assert "https://cdn.example.org/site.css in " + f"{base}, line 1, which" in violation_line(report(**sheet), [base])


async def test_the_report_route_names_the_template_of_the_page_served(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GREETER_DEBUG", "true")
    client = create_app().test_client()
    assert (await client.get("/greet/")).status_code == 200  # its files noted: greet.html, base.html, views.py
    base = TEMPLATES_DIR / "base.html"
    line = next(number for number, text in enumerate(base.read_text().splitlines(), 1) if "h1 {" in text)
    sample = base.read_text().splitlines()[line - 1].strip()
    fields = {"document-uri": "http://127.0.0.1:7311/greet/", "effective-directive": "style-src-elem"}
    posted = await client.post(POLICY_REPORTS, json={"csp-report": report(**fields, **{"script-sample": sample})})
    assert posted.status_code == 204
    assert f"({sample} in {shown_path(base)}, line {line})" in capsys.readouterr().err
    # a page this worker has not served: the browser's line, of the page as it was served
    fields["document-uri"] = "http://127.0.0.1:7311/hello/never-served"
    await client.post(POLICY_REPORTS, json={"csp-report": report(**fields, **{"script-sample": sample})})
    assert f"({sample}, line 9 of the page as served)" in capsys.readouterr().err


def test_what_the_browser_sent_cannot_drive_the_terminal() -> None:
    said = violation_line(report(**{"effective-directive": "style-src-attr", "script-sample": "\x1b[2Jred\nx"}))
    assert "\x1b" not in said and "\n" not in said and "\\x1b[2Jred\\nx" in said


async def test_outside_debug_there_is_no_report_route_and_no_report_uri(client: QuartClient) -> None:
    response = await client.post(POLICY_REPORTS, json={"csp-report": report()})
    assert response.status_code == 404
    assert "report" not in response.headers["Content-Security-Policy"]


async def test_a_report_that_is_not_one_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GREETER_DEBUG", "true")
    client = create_app().test_client()
    assert (await client.post(POLICY_REPORTS, data=b"not json")).status_code == 400
    assert (await client.post(POLICY_REPORTS, data=b"x" * 70_000)).status_code == 413
    assert (await client.get(POLICY_REPORTS)).status_code == 405


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A copy of the package and templates, whose greet.html has a style attribute; `python -m greeter` in it
    serves this copy (the current folder comes first on sys.path)."""
    copy = copy_of_the_package(tmp_path)
    greet = copy / "templates" / "greet.html"
    greet.write_text(greet.read_text().replace("<p>", '<p style="color: red">', 1))
    return copy


async def test_a_blocked_style_attribute_is_one_line_in_the_terminal(
    browser: Browser, start_server: StartServer, checkout: Path
) -> None:
    server = start_server([sys.executable, "-m", "greeter", "0", "--debug"], GREETER_READY, cwd=checkout)
    page = await browser.new_page()
    response = await page.goto(server.base_url + "/greet/", timeout=BROWSER_TIMEOUT_MS)
    assert response is not None
    # the style was blocked: the paragraph is in the browser's own black
    assert await page.locator("p").evaluate("(p) => getComputedStyle(p).color") == "rgb(0, 0, 0)"
    deadline = time.monotonic() + REPORT_WITHIN
    while "style attribute" not in server.output():
        assert time.monotonic() < deadline, server.output()
        time.sleep(0.05)
    # the line of the template, where the student writes it, not of the page as sent (the browser's)
    template = (checkout / "templates" / "greet.html").read_text()
    line = next(number for number, text in enumerate(template.splitlines(), 1) if 'style="color: red"' in text)
    said = [text for text in server.output().splitlines() if "security policy" in text]
    assert said == [STYLE_ATTRIBUTE_LINE.format(line=line)]
    assert server.stop() == 0
