"""The debug page rendered: for a request whose view failed, and for every request while the code does not start.

Its template (page.html beside this file) is rendered by an Environment of its own with autoescape on, so every
value from the error, the code and the URL is text on the page; Quart's renders a bare jinja2.Template, which
escapes nothing (quart/debug.py:112).
"""

from __future__ import annotations

import traceback
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from jinja2 import Environment, StrictUndefined
from markupsafe import Markup, escape
from quart import Response, current_app, request

from greeter.plumbing.debug_page.frames import ErrorView, error_view, short_repr, view_function
from greeter.plumbing.debug_page.hints import hints_for
from greeter.plumbing.live_reload import record_sources, script_tag, with_script
from greeter.shared.missing_template import template_folders

PAGE_TEMPLATE = Path(__file__).with_name("page.html")
PAGE = PAGE_TEMPLATE.read_text(encoding="utf-8")  # its <style> is allowed by its hash (greeter/guard.py)
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
HTML = "text/html; charset=utf-8"
START_FAILURE_HINT = (
    "The code does not start, so greeter answers every page with this error: fix it and save, and this page"
    " shows your code again (the terminal says `the code starts now; serving it.`)."
)

_environment = Environment(autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
_template = _environment.from_string(PAGE)

Rows = list[tuple[str, str]]


def code_spans(text: str) -> Markup:
    """A hint's `backticked` words as <code>, everything escaped."""
    parts = text.split("`")
    return Markup("").join(
        Markup("<code>%s</code>") % part if index % 2 else escape(part) for index, part in enumerate(parts)
    )


def _pairs(values: Any) -> str:
    """A MultiDict's values, each of a repeated key too: `x='1', x='2'`."""
    return ", ".join(f"{name}={short_repr(value)}" for name, value in values.items(multi=True))


def request_rows(
    method: str, path: str, query: str, rule: Any, view_args: Mapping[str, Any], args: Any, form: Any
) -> Rows:
    """The request as the page shows it: method and path as sent, the route and its values, the query, the form."""
    return [
        ("Method", method),
        ("Path", f"{path}?{query}" if query else path),
        ("Route", f"{rule.rule} (endpoint {rule.endpoint})" if rule is not None else ""),
        ("Route values", ", ".join(f"{name}={short_repr(value)}" for name, value in view_args.items())),
        ("Args", _pairs(args)),
        ("Form", _pairs(form) if form is not None else ""),
    ]


def render(view: ErrorView, rows: Rows, hints: Iterable[str]) -> str:
    view.hints = [code_spans(hint) for hint in hints]
    return _template.render(error=view, request_rows=rows)


def render_start_failure(error: BaseException, package_dir: Path, scope: Mapping[str, Any]) -> str:
    """The page served for every request while the code does not start (an ASGI scope: its method and path)."""
    shown = error_view(error, package_dir)
    query = scope.get("query_string", b"").decode("latin-1")
    rows = [
        ("Method", str(scope.get("method", ""))),
        ("Path", str(scope.get("path", "")) + (f"?{query}" if query else "")),
        ("Route", "none: the code does not start, so no route is known"),
    ]
    page = render(shown, rows, [START_FAILURE_HINT, *hints_for(error, [])])
    return with_script(page, script_tag([], "")) or page  # reloaded as soon as the code starts


def traceback_files(view: ErrorView) -> list[str]:
    """The student's files of an error and of those it was raised from: an edit of any may fix it."""
    return [frame.path for frame in view.students] + [
        path for _, earlier in view.chain for path in traceback_files(earlier)
    ]


async def debug_response(error: BaseException) -> Response:
    """The page for the error of this request, inside the request (called from an errorhandler)."""
    form = None
    if request.mimetype in FORM_TYPES:
        try:
            form = await request.form
        except Exception:  # a body too large or too slow: the page without it
            form = None
    rule = request.url_rule
    rows = request_rows(
        request.method,
        request.path,
        request.query_string.decode("latin-1"),
        rule,
        request.view_args or {},
        request.args,
        form,
    )
    view = current_app.view_functions.get(rule.endpoint) if rule is not None else None
    try:
        shown = error_view(error)
        shown.view = view_function(view) if view is not None else None
        record_sources(traceback_files(shown))  # the page reloads when a file of the student's in it changes
        html = render(shown, rows, hints_for(error, template_folders(current_app), shown.view))
    except Exception:  # a bug of this page must not hide the student's: their traceback, as plain text
        text = "".join(traceback.format_exception(error))
        return Response(text, 500, content_type="text/plain; charset=utf-8")
    return Response(html, 500, content_type=HTML)
