"""Under --debug an open page follows the edits: it reloads itself when a file it came from changes.

Each HTML document gets one more inline script (live_reload.js beside this file: fixed text, allowed by its hash)
with the files the page came from (its view's module, the templates it rendered and those they extend or
include, the student's files in its traceback) and their stamp. The script listens on the live stream greeter
already has (/process/stream): each save makes the supervisor replace the worker, which tells every stream it is
going; once the new worker answers, the page asks /greeter-debug/sources for its files' stamp now, and reloads
if it changed. Outside debug mode nothing here is installed: no script, no route, the same policy.
"""

from __future__ import annotations

import hashlib
import inspect
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from contextlib import suppress
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Template, meta
from markupsafe import escape
from quart import Quart, Response, current_app, g, request
from quart.signals import before_render_template
from quart.wrappers.response import DataBody

from greeter.shared.missing_template import template_folders
from greeter.shared.paths import PACKAGE_DIR, TEMPLATES_DIR, is_students_code

SCRIPT = Path(__file__).with_name("live_reload.js").read_text(encoding="utf-8")
SCRIPT_BLOCK = f"<script>{SCRIPT}</script>"  # as the policy's hashes are computed (greeter/shared/security.py)
SOURCES = "/greeter-debug/sources"
STREAM = "/process/stream"  # the process page's stream (greeter/process.py): every worker ends it when replaced
SOURCES_KEY = "greeter_page_sources"  # on `g`: the files this request's page came from
PAGES_KEPT = 64  # the pages whose files are remembered, the latest: enough for a student's open tabs
# each page's path and the files it came from, as last served by this worker: a policy violation the browser
# reports later (greeter/plumbing/policy_reports.py) names the template and line of what it blocked
_served_pages: OrderedDict[str, frozenset[Path]] = OrderedDict()


def remember_page(path: str, sources: Iterable[Path]) -> None:
    _served_pages[path] = frozenset(sources)
    _served_pages.move_to_end(path)
    while len(_served_pages) > PAGES_KEPT:
        _served_pages.popitem(last=False)


def sources_of_page(path: str) -> frozenset[Path]:
    """The files the page at this path came from when this worker last served it; none if it has not."""
    return _served_pages.get(path, frozenset())


Stamps = Mapping[Path, tuple[int, int]]  # a file's size and modification time


def served_stamps() -> dict[Path, tuple[int, int]]:
    """The size and time of every file the reloader watches, as this worker starts: the code it serves."""
    found: dict[Path, tuple[int, int]] = {}
    for folder in (PACKAGE_DIR, TEMPLATES_DIR):
        for path in folder.rglob("*"):
            with suppress(OSError):
                if path.is_file():
                    status = path.stat()
                    found[path.resolve()] = (status.st_size, status.st_mtime_ns)
    return found


def stamp(files: Iterable[Path], served: Stamps | None = None) -> str:
    """What the files are now (size and time of each), or as served when known: a different stamp, a changed file."""
    digest = hashlib.sha256()
    for path in sorted(set(files)):
        try:
            size, mtime = served[path] if served is not None and path in served else _now(path)
            digest.update(f"{path}\0{size}\0{mtime}\n".encode())
        except OSError:
            digest.update(f"{path}\0gone\n".encode())
    return digest.hexdigest()[:16]


def _now(path: Path) -> tuple[int, int]:
    status = path.stat()
    return status.st_size, status.st_mtime_ns


def is_served_source(path: Path) -> bool:
    """A file the reloader watches (the package, the templates): the only files /greeter-debug/sources will stat."""
    resolved = path.resolve()
    return any(resolved.is_relative_to(folder) for folder in (PACKAGE_DIR, TEMPLATES_DIR))


def record_sources(paths: Iterable[str | Path]) -> None:
    """Files this request's page came from, besides its view and templates (the debug page: its traceback's)."""
    recorded: set[Path] = g.setdefault(SOURCES_KEY, set())
    recorded.update(Path(path).resolve() for path in paths if is_served_source(Path(path)))


def templates_behind(template: Template, folders: list[Path]) -> set[Path]:
    """A template's file and those it extends, includes or imports, read from the folders (no loader: the
    figures of /process/ count each read)."""
    found: set[Path] = set()
    waiting = [Path(template.filename)] if template.filename else []
    while waiting:
        path = waiting.pop()
        if path in found or not path.is_file():
            continue
        found.add(path)
        try:
            names = meta.find_referenced_templates(current_app.jinja_env.parse(path.read_text(encoding="utf-8")))
        except Exception:  # a template that does not parse: its error page says so
            continue
        waiting += [folder / name for name in names if name for folder in folders if (folder / name).is_file()]
    return found


def page_sources() -> set[Path]:
    """The files the page of this request came from: its view's module and whatever record_sources added."""
    sources: set[Path] = set(g.get(SOURCES_KEY, set()))
    rule = request.url_rule
    view = current_app.view_functions.get(rule.endpoint) if rule is not None else None
    code = getattr(inspect.unwrap(view), "__code__", None) if view is not None else None
    if code is not None and is_served_source(Path(code.co_filename)):
        sources.add(Path(code.co_filename).resolve())
    if rule is None:  # no route (a 404): a page may be added in any of the app's modules
        sources.update(path for path in PACKAGE_DIR.rglob("*.py") if is_students_code(str(path)))
    return sources


def script_tag(sources: Iterable[Path], stamp_now: str) -> str:
    """The script, told where to listen and ask; stamp "": reload once the code starts (the start-failure page)."""
    check = f"{SOURCES}?{urlencode([('file', str(path)) for path in sorted(sources)])}"
    attributes = f'data-stream="{escape(STREAM)}" data-check="{escape(check)}" data-stamp="{escape(stamp_now)}"'
    return f"<script {attributes}>{SCRIPT}</script>"


def with_script(body: str, tag: str) -> str | None:
    """A whole document with the script at the end of its body; None for a fragment ("Hello World!", /hail/'s),
    left as the view wrote it, as other live-reload tools do (a 404 page is a document with no <body>)."""
    if (at := body.rfind("</body>")) >= 0:
        return body[:at] + tag + "\n" + body[at:]
    return body + tag if body.lstrip()[:15].lower() == "<!doctype html>" else None


def follow_edits(app: Quart) -> None:
    """Put the script on every HTML page of the app, and answer its question."""
    # a page's stamp is of the files as this worker serves them, not as they are on disk when it answers: after a
    # save, until the new worker serves, this one still answers from the code and templates it started with, and
    # a page it sends then must look outdated to the next look, made on the new worker
    served = served_stamps()

    async def note_template(sender: Quart, template: Template, **extra: Any) -> None:
        record_sources(templates_behind(template, template_folders(current_app)))

    before_render_template.connect(note_template, app, weak=False)

    @app.after_request
    async def add_the_script(response: Response) -> Response:
        if response.mimetype != "text/html" or not isinstance(response.response, DataBody):
            return response  # a stream, a file, plain text: not a page to reload
        sources = page_sources()
        page = with_script(await response.get_data(as_text=True), script_tag(sources, stamp(sources, served)))
        if page is not None:
            response.set_data(page)
            remember_page(request.path, sources)
        return response

    @app.get(SOURCES)
    async def sources_stamp() -> tuple[str, int, dict[str, str]]:
        files = [Path(name) for name in request.args.getlist("file")]
        if not all(path.is_absolute() and is_served_source(path) for path in files):
            return "only the files greeter serves\n", 400, {"Content-Type": "text/plain; charset=utf-8"}
        return stamp(path.resolve() for path in files), 200, {"Content-Type": "text/plain; charset=utf-8"}
