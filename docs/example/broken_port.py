"""quart_app.py with three porting mistakes, for `greeter compare` to find (tests/test_compare_example.py).

1. hello: `flash(...)` without `await`: no error, the message is simply never stored (Python warns that the
   coroutine was never awaited); only a sequence that follows the redirect with its cookie shows it.
2. upload: `request.files` without `await`: a coroutine has no .get(), so the view fails with a 500.
3. list_notes: `await request.args`: what came with the request line is not awaited; a 500 too.

From this folder: greeter compare --flask flask_app --quart broken_port --corpus corpus.toml
"""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime
from importlib import metadata
from typing import Any

from quart import (
    Blueprint,
    Quart,
    Response,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response as WerkzeugResponse

bp = Blueprint("notes", __name__)
FIRST_NOTES = {1: "Buy milk", 2: "Call Ada"}


@bp.before_app_request
async def load_visitor() -> None:
    g.request_id = uuid.uuid4().hex
    g.visitor = session.get("name", "guest")


@bp.after_app_request
async def vary_on_the_session(response: Response) -> Response:
    # Flask adds Vary: Cookie to every answer of a request that read the session (load_visitor does), Quart
    # only when the session changed: said here, so that no cache gives one visitor's page to another
    response.vary.add("Cookie")
    return response


@bp.route("/")
async def index() -> str:
    session["visits"] = session.get("visits", 0) + 1
    return await render_template("index.html", visits=session["visits"], notes=notes())


@bp.route("/hello", methods=["GET", "POST"])
async def hello() -> WerkzeugResponse | str:
    if request.method == "POST":
        name = (await request.form).get("name", "").strip()
        if not name:
            await flash("A name, please.")
            return redirect(url_for("notes.hello"))
        session["name"] = name
        flash(f"Hello, {name}!")  # mistake 1: not awaited
        return redirect(url_for("notes.index"))
    return await render_template("hello.html")


@bp.post("/bye")
async def bye() -> WerkzeugResponse:
    session.clear()
    await flash("Goodbye!")
    return redirect(url_for("notes.index"))


@bp.get("/api/notes")
async def list_notes() -> Response:
    words = (await request.args).get("q", "").lower()  # mistake 3: awaited
    found = [{"id": key, "text": text} for key, text in notes().items() if words in text.lower()]
    return jsonify(notes=found, visitor=g.visitor)


@bp.post("/api/notes")
async def add_note() -> tuple[Response, int]:
    data = await request.get_json()
    if not isinstance(data, dict) or not str(data.get("text", "")).strip():
        abort(400, description="Send JSON with a text.")
    key = max(notes(), default=0) + 1
    notes()[key] = str(data["text"]).strip()
    return jsonify(id=key, text=notes()[key]), 201


@bp.get("/api/notes/<int:note_id>")
async def note(note_id: int) -> Response:
    if note_id not in notes():
        abort(404)
    return jsonify(id=note_id, text=notes()[note_id])


@bp.post("/upload")
async def upload() -> Response:
    file = request.files.get("note")  # mistake 2: not awaited
    if file is None or not file.filename:
        abort(400, description="Send a file in the field note.")
    text = file.read().decode("utf-8", errors="replace")
    return jsonify(filename=file.filename, lines=len(text.splitlines()), visitor=g.visitor)


@bp.get("/about")
async def about() -> str:
    return f"Notes, a greeter example, on Quart {metadata.version('quart')}"


@bp.get("/status")
async def status() -> Response:
    response = jsonify(pid=os.getpid(), time=datetime.now(UTC).isoformat(), visitor=g.visitor)
    response.headers["X-Request-Id"] = g.request_id
    return response


@bp.app_errorhandler(404)
async def not_found(error: NotFound) -> tuple[Response | str, int]:
    if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
        return jsonify(error="not found", path=request.path), 404
    return await render_template("404.html", path=request.path), 404


def notes() -> dict[int, str]:
    kept: dict[int, str] = current_app.extensions["notes"]
    return kept


def create_app(test_config: dict[str, Any] | None = None) -> Quart:
    app = Quart(__name__)
    app.config.from_mapping(SECRET_KEY="dev")  # a real app reads its secret from the environment
    if test_config is not None:
        app.config.from_mapping(test_config)
    app.extensions["notes"] = dict(FIRST_NOTES)  # kept in memory, per process: enough for an example
    app.register_blueprint(bp)
    return app
