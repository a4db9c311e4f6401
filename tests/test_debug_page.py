"""--debug's traceback page is greeter's own (greeter/plumbing/debug_page/): escaped, the right lines, the student's
frames first, the request, a hint for the common mistakes.

The last tests render Quart's own page (quart/debug.py) for the same error and check that it still has the faults
greeter's page exists for: when one of them fails, Quart has fixed it upstream, and the message says so.
"""

from __future__ import annotations

import html
import inspect
import re
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import pytest
from quart import Blueprint, Quart, render_template, request
from quart.debug import traceback_response
from werkzeug.datastructures import Headers

from greeter import create_app
from greeter.plumbing import live_reload
from greeter.plumbing.debug_mode import DEBUG_PAGES
from greeter.plumbing.debug_page import PAGE, render_start_failure
from greeter.shared.paths import PACKAGE_DIR, shown_path
from greeter.shared.security import inline_source_hashes

# the views are this file's, outside greeter's package and the libraries: the student's code, as the rule says.
# Under a prefix no student is told to write, so that a student's own /bye/<name> (the students' page has them
# add it) or /form/ never takes a route of these (werkzeug gives a URL to the rule registered first)
PREFIX = "/test-debug-page"
bp = Blueprint("test_debug_page", __name__, url_prefix=PREFIX)


@bp.route("/bye/<name>")
async def bye(name: str) -> str:
    farewell = "Goodbye"
    return f"{farewell}, {nmae}!"  # type: ignore[name-defined]  # noqa: F821  # the student's typo


@bp.route("/page/")
async def page() -> str:
    return await render_template("gret.html")


# the coroutines the views below forget to await, closed by the test that makes them: collected at some later
# moment instead, each would warn then ("never awaited"), inside whatever test runs at that moment
NEVER_AWAITED: list[Coroutine[Any, Any, Any]] = []


@bp.route("/returns-a-coroutine/")
async def returns_a_coroutine() -> Any:
    page = render_template("greet.html")  # the await forgotten
    NEVER_AWAITED.append(page)
    return page


@bp.route("/form/", methods=["POST"])
async def form() -> Any:
    body = request.form  # the await forgotten
    NEVER_AWAITED.append(body)
    return body.get("who")  # type: ignore[attr-defined]


@bp.route("/accented/")
async def accented() -> str:
    café = {"crème": 1}
    return str(café["brûlée"])  # a KeyError on a line with accents before the failing part


@bp.route("/forgot-the-import/")
async def forgot_the_import() -> Any:
    return redirect("/")  # type: ignore[name-defined]  # noqa: F821  # never imported


@bp.route("/hi/<name>")
async def hi(nom: str) -> str:  # the route's variable is `name`
    return nom


def line_of(function: Callable[..., Any], text: str) -> int:
    """The number of the line of the function's source that contains the text."""
    lines, first = inspect.getsourcelines(function)
    return first + next(index for index, line in enumerate(lines) if text in line)


@pytest.fixture
def debug_app(monkeypatch: pytest.MonkeyPatch) -> Quart:
    monkeypatch.setenv("GREETER_DEBUG", "true")  # as `greeter --debug` sets it
    app = create_app()
    app.register_blueprint(bp)
    return app


async def get_page(app: Quart, path: str, **options: Any) -> tuple[int, str, Headers]:
    response = await app.test_client().open(path, **options)
    return response.status_code, await response.get_data(as_text=True), response.headers


def error_row(html: str) -> tuple[int, str]:
    """The highlighted line of the first frame: its number, and its code as HTML."""
    match = re.search(r'<tr class="error"><td class="number">(\d+)</td><td>(.*?)</td></tr>', html)
    assert match is not None, html
    return int(match[1]), match[2]


async def test_the_line_with_the_typo_is_the_one_highlighted_with_its_number(debug_app: Quart) -> None:
    status, html, _ = await get_page(debug_app, PREFIX + "/bye/Kim")
    assert status == 500
    number, code = error_row(html)
    assert number == line_of(bye, "nmae")
    assert code.startswith("    return f&#34;{farewell}, {<mark>nmae</mark>}!&#34;  # type: ignore")
    # the header names the file, the line and the function: the student's frame, not Quart's
    assert f"in <b>tests/test_debug_page.py</b>, line <b>{number}</b>, in <b>bye</b>" in html
    # every line shown has its own number, the decorator the one before the def
    route_line = line_of(bye, "@bp.route")
    assert f'<td class="number">{route_line}</td><td>@bp.route(&#34;/bye/&lt;name&gt;&#34;)</td>' in html
    assert f'<td class="number">{route_line + 1}</td><td>async def bye(name: str) -&gt; str:</td>' in html


async def test_the_failing_part_is_marked_on_a_line_with_accents(debug_app: Quart) -> None:
    _, html, _ = await get_page(debug_app, PREFIX + "/accented/")
    # Python's columns count UTF-8 bytes: read as characters, the mark would start two letters late
    assert (
        error_row(html)[1]
        == "    return str(<mark>café[&#34;brûlée&#34;]</mark>)  # a KeyError on a line with"
        + (error_row(html)[1].split("a line with", 1)[1])
    )


async def test_everything_is_escaped(debug_app: Quart) -> None:
    _, html, _ = await get_page(debug_app, PREFIX + "/bye/%3Ci%3EKim?x=%3Cb%3E")
    assert "<i>" not in html and "<b>K" not in html and "x=<b>" not in html
    assert "<tr><th>name</th><td>&#39;&lt;i&gt;Kim&#39;</td></tr>" in html  # the local, as its repr
    # a library frame's local `self` (the app, whatever Quart subclass greeter makes it), shown rather than swallowed
    assert f"&lt;{type(debug_app).__name__} &#39;greeter&#39;&gt;" in html
    assert f"<tr><th>Path</th><td>{PREFIX}/bye/&lt;i&gt;Kim?x=%3Cb%3E</td></tr>" in html  # the query string as sent


async def test_the_students_frames_come_first_and_the_libraries_folded(debug_app: Quart) -> None:
    _, html, _ = await get_page(debug_app, PREFIX + "/bye/Kim")
    students = html.index("<h2>Your code")
    library = html.index('<details class="library">')
    assert students < library < html.index("<h2>Request</h2>")
    assert html.count('<div class="frame first">') == 1 and html.index('<div class="frame first">') < library
    assert "quart/app.py</b>, line <b>" in html[library:]  # relative to site-packages, with its function
    assert "in <b>Quart.dispatch_request</b>" in html[library:]
    assert "frames outside your code\n<small>(quart; most recent call first)</small>" in html
    assert '<details class="library" open>' not in html  # folded: the student has a frame to read first


async def test_greeters_own_frames_are_its_machinery_not_the_students_code(debug_app: Quart) -> None:
    # a missing template passes through greeter's template loader: "greeter" among the libraries would read as the
    # student's greeter/views.py, which is theirs
    _, html, _ = await get_page(debug_app, PREFIX + "/page/")
    folded = re.search(r"frames outside your code\n<small>\((.*?); most recent call first\)</small>", html)
    assert folded is not None, html
    assert folded[1].split(", ") == ["flask", "greeter&#39;s machinery", "jinja2", "quart"]


async def test_the_request_is_shown(debug_app: Quart) -> None:
    _, html, _ = await get_page(debug_app, PREFIX + "/form/?step=2", method="POST", form={"who": "Ann"})
    for name, value in (
        ("Method", "POST"),
        ("Path", f"{PREFIX}/form/?step=2"),
        ("Route", f"{PREFIX}/form/ (endpoint test_debug_page.form)"),
        ("Args", "step=&#39;2&#39;"),
        ("Form", "who=&#39;Ann&#39;"),
    ):
        assert f"<tr><th>{name}</th><td>{value}</td></tr>" in html, name
    assert '<tr><th>Route values</th><td><span class="none">none</span></td></tr>' in html


@pytest.fixture
def coroutines_closed() -> Iterator[None]:
    yield
    while NEVER_AWAITED:
        NEVER_AWAITED.pop().close()  # a coroutine closed before it ran says nothing


async def test_the_hints(debug_app: Quart, coroutines_closed: None) -> None:
    _, html, _ = await get_page(debug_app, PREFIX + "/bye/Kim")
    assert '<p class="hint">Did you mean <code>name</code>?</p>' in html  # 3.11 itself suggests nothing for a swap
    _, html, _ = await get_page(debug_app, PREFIX + "/page/")
    assert '<p class="hint">Quart looked for <code>gret.html</code> in <code>templates/</code>.</p>' in html
    assert '<p class="hint">Did you mean <code>greet.html</code>?</p>' in html
    _, html, _ = await get_page(debug_app, PREFIX + "/form/", method="POST", form={"who": "Ann"})
    assert "<code>(await request.form).get(...)</code>" in html
    _, html, _ = await get_page(debug_app, PREFIX + "/forgot-the-import/")
    assert "<code>redirect</code> comes from Quart: add <code>from quart import redirect</code> at the top" in html
    _, html, _ = await get_page(debug_app, PREFIX + "/hi/Kim")
    assert "a value named <code>name</code>: <code>hi</code> needs a parameter of that name" in html
    # raised past the view, in Quart's finalize_request: still greeter's page, inside the request
    status, html, headers = await get_page(debug_app, PREFIX + "/returns-a-coroutine/")
    assert status == 500 and "Content-Security-Policy" in headers
    assert "<code>returns_a_coroutine</code> returned a coroutine: an <code>await</code> is missing" in html
    assert "the view of this request: <b>returns_a_coroutine</b> in <b>tests/test_debug_page.py</b>" in html


async def test_a_template_error_is_shown_at_its_template_line(debug_app: Quart, tmp_path: Path) -> None:
    # the student's own templates, in a folder of theirs: Jinja puts each template's line in the traceback
    (tmp_path / "farewell_g20.html").write_text(
        '{% extends "base.html" %}\n{% block content %}\n<h1>{{ nmae.first }}</h1>\n{% endblock %}\n'
    )
    (tmp_path / "broken_g20.html").write_text("<h1>{{ name }</h1>\n")
    pages = Blueprint("templates_g20", __name__, template_folder=str(tmp_path), url_prefix=PREFIX)

    @pages.route("/farewell-g20/")
    async def farewell() -> str:
        return await render_template("farewell_g20.html", name="Kim")

    @pages.route("/broken-g20/")
    async def broken() -> str:
        return await render_template("broken_g20.html")

    debug_app.register_blueprint(pages)
    _, html, _ = await get_page(debug_app, PREFIX + "/farewell-g20/")
    shown = shown_path(tmp_path / "farewell_g20.html")
    assert f"<p>in <b>{shown}</b>, line <b>3</b></p>" in html  # a template's code has no function to name
    assert error_row(html) == (3, "&lt;h1&gt;{{ nmae.first }}&lt;/h1&gt;")  # the whole line: no columns there
    assert '<p class="hint">Did you mean <code>name</code>?</p>' in html  # among what the template was given
    assert "<tr><th>name</th><td>&#39;Kim&#39;</td></tr>" in html
    _, html, _ = await get_page(debug_app, PREFIX + "/broken-g20/")
    assert '<h1>TemplateSyntaxError <span class="message">unexpected &#39;}&#39;</span></h1>' in html
    assert f"The template <code>{shown_path(tmp_path / 'broken_g20.html')}</code> does not parse at line 1" in html


async def test_a_404_is_an_answer_not_a_traceback(debug_app: Quart) -> None:
    status, html, _ = await get_page(debug_app, PREFIX + "/nope")
    assert status == 404 and "Your code" not in html


async def test_the_page_keeps_to_the_policy(debug_app: Quart) -> None:
    _, html, headers = await get_page(debug_app, PREFIX + "/bye/Kim")
    style = re.findall(r"<style>(.*?)</style>", html, re.DOTALL)
    assert len(style) == 1 and style[0] in PAGE  # the fixed text whose hash the policy allows
    hashes = inline_source_hashes(None, DEBUG_PAGES)
    assert all(source in headers["Content-Security-Policy"] for source in hashes["style"] + hashes["script"])
    assert " style=" not in html
    # the one script is the one that reloads the page on an edit, allowed by its hash too
    assert re.findall(r"<script [^>]*>(.*?)</script>", html, re.DOTALL) == [live_reload.SCRIPT]


def test_the_page_for_code_that_does_not_start(tmp_path: Path) -> None:
    # what the supervisor serves for every request while the code does not start (a SyntaxError in views.py)
    views = tmp_path / "views.py"
    views.write_text('from quart import Blueprint\n\nbp = Blueprint("greetings", __name__)\noops = print(\n')
    try:
        compile(views.read_text(), str(views), "exec")
    except SyntaxError as error:
        broken = error
    scope = {"type": "http", "method": "GET", "path": "/hello/<b>", "query_string": b"x=1"}
    html = render_start_failure(broken, PACKAGE_DIR, scope)
    assert '<h1>SyntaxError <span class="message">&#39;(&#39; was never closed</span></h1>' in html
    assert f"in <b>{views}</b>, line <b>4</b></p>" in html
    assert '<tr class="error"><td class="number">4</td><td>oops = print<mark>(</mark></td></tr>' in html
    assert "SyntaxError: &#39;(&#39; was never closed</pre>" in html  # Python's own lines, the caret among them
    assert "<tr><th>Method</th><td>GET</td></tr>" in html
    assert "<tr><th>Path</th><td>/hello/&lt;b&gt;?x=1</td></tr>" in html
    assert "The code does not start, so greeter answers every page with this error" in html


# what quart.debug.traceback_response still gets wrong; greeter's page exists for these
UPSTREAM = "Quart's own debug page (quart/debug.py) no longer {fault}: compare it with greeter's (plumbing/debug_page/)"


async def quart_page(app: Quart, path: str) -> str:
    app.config["PROPAGATE_EXCEPTIONS"] = True  # let the error out, to give it to Quart's page
    async with app.test_request_context(path):
        try:
            await app.dispatch_request()
        except Exception as error:
            response = await traceback_response(error)
            return await response.get_data(as_text=True)
    raise AssertionError("the view did not fail")


async def test_quart_still_numbers_every_line_one_too_high(debug_app: Quart) -> None:
    html = await quart_page(debug_app, PREFIX + "/bye/Kim")
    highlighted = re.search(r'<div class="highlight">\s*<div>(\d+)</div>\s*<div><pre>(.*?)\n?</pre>', html, re.DOTALL)
    assert highlighted is not None, UPSTREAM.format(fault="highlights a line the same way")
    # `loop.index + first_line`, and loop.index counts from 1: the highlighted row is numbered as the typo's line,
    # but it shows the line above it
    assert (int(highlighted[1]), highlighted[2].strip()) == (line_of(bye, "nmae"), 'farewell = "Goodbye"'), (
        UPSTREAM.format(fault="numbers lines one too high")
    )


async def test_quart_still_does_not_escape(debug_app: Quart) -> None:
    html = await quart_page(debug_app, PREFIX + "/bye/%3Ci%3EKim")
    assert "<div><i>Kim</div>" in html, UPSTREAM.format(fault="puts a value from the URL into the page unescaped")
    assert '@bp.route("/bye/<name>")' in html, UPSTREAM.format(fault="leaves <name> unescaped in the source")
    assert f"<div><{type(debug_app).__name__} 'greeter'>" in html, UPSTREAM.format(
        fault="prints a local's str() as markup"
    )


async def test_quart_still_takes_the_frames_line_now_and_names_no_function(debug_app: Quart) -> None:
    html = await quart_page(debug_app, PREFIX + "/bye/Kim")
    assert re.search(r"line <span class=\"info\">\d+</span>, in\s*</div>", html), UPSTREAM.format(
        fault="leaves the function's name out of each frame's header"
    )
    assert '"line": frame.f_lineno' in inspect.getsource(traceback_response), UPSTREAM.format(
        fault="numbers a frame by its f_lineno"
    )


def page_stamp(page: str) -> str:
    match = re.search(r'data-stamp="([0-9a-f]+)"', page)
    assert match is not None, page
    return match.group(1)


async def test_a_page_is_stamped_with_the_files_as_its_worker_serves_them(
    debug_app: Quart, monkeypatch: pytest.MonkeyPatch
) -> None:
    # after a save, until the new worker serves, the old one still answers from the templates it started with: a
    # page it sends then must look outdated to the next look, or it would show the template of before for good
    _, first, _ = await get_page(debug_app, "/greet/")
    match = re.search(r'data-check="([^"]+)"', first)
    assert match is not None
    check = html.unescape(match.group(1))
    _, answer, _ = await get_page(debug_app, check)
    assert answer == page_stamp(first)  # nothing saved: up to date
    on_disk = live_reload._now
    monkeypatch.setattr(live_reload, "_now", lambda path: (on_disk(path)[0] + 1, on_disk(path)[1] + 1))  # all saved
    _, second, _ = await get_page(debug_app, "/greet/")
    assert page_stamp(second) == page_stamp(first)  # as this worker serves it: the template it started with
    _, answer, _ = await get_page(debug_app, check)
    assert answer != page_stamp(second)  # so the look on the new worker reloads it
