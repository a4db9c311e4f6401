"""A small Flask app of the kind `greeter compare` is for; quart_app.py is its port to Quart.

An app factory, a blueprint with a before_app_request hook that sets `g`, templates with url_for, a session
counter, a form POST that flashes and redirects, a JSON API with abort(404), a file upload, a custom 404 page.
From this folder (docs/comparing.md, "A worked example"):

    greeter compare --flask flask_app --quart quart_app --corpus corpus.toml
"""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime
from importlib import metadata
from typing import Any

from flask import (
    Blueprint,
    Flask,
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

bp = Blueprint("notes", __name__)
FIRST_NOTES = {1: "Buy milk", 2: "Call Ada"}


@bp.before_app_request
def load_visitor() -> None:
    g.request_id = uuid.uuid4().hex
    g.visitor = session.get("name", "guest")


@bp.route("/")
def index() -> str:
    session["visits"] = session.get("visits", 0) + 1
    return render_template("index.html", visits=session["visits"], notes=notes())


@bp.route("/hello", methods=["GET", "POST"])
def hello() -> Response | str:
    if request.method == "POST":
        name = request.form.get("name", "").strip()
        if not name:
            flash("A name, please.")
            return redirect(url_for("notes.hello"))
        session["name"] = name
        flash(f"Hello, {name}!")
        return redirect(url_for("notes.index"))
    return render_template("hello.html")


@bp.post("/bye")
def bye() -> Response:
    session.clear()
    flash("Goodbye!")
    return redirect(url_for("notes.index"))


@bp.get("/api/notes")
def list_notes() -> Response:
    words = request.args.get("q", "").lower()
    found = [{"id": key, "text": text} for key, text in notes().items() if words in text.lower()]
    return jsonify(notes=found, visitor=g.visitor)


@bp.post("/api/notes")
def add_note() -> tuple[Response, int]:
    data = request.get_json()
    if not isinstance(data, dict) or not str(data.get("text", "")).strip():
        abort(400, description="Send JSON with a text.")
    key = max(notes(), default=0) + 1
    notes()[key] = str(data["text"]).strip()
    return jsonify(id=key, text=notes()[key]), 201


@bp.get("/api/notes/<int:note_id>")
def note(note_id: int) -> Response:
    if note_id not in notes():
        abort(404)
    return jsonify(id=note_id, text=notes()[note_id])


@bp.post("/upload")
def upload() -> Response:
    file = request.files.get("note")
    if file is None or not file.filename:
        abort(400, description="Send a file in the field note.")
    text = file.read().decode("utf-8", errors="replace")
    return jsonify(filename=file.filename, lines=len(text.splitlines()), visitor=g.visitor)


@bp.get("/about")
def about() -> str:
    return f"Notes, a greeter example, on Flask {metadata.version('flask')}"


@bp.get("/status")
def status() -> Response:
    response = jsonify(pid=os.getpid(), time=datetime.now(UTC).isoformat(), visitor=g.visitor)
    response.headers["X-Request-Id"] = g.request_id
    return response


@bp.app_errorhandler(404)
def not_found(error: NotFound) -> tuple[Response | str, int]:
    if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
        return jsonify(error="not found", path=request.path), 404
    return render_template("404.html", path=request.path), 404


def notes() -> dict[int, str]:
    kept: dict[int, str] = current_app.extensions["notes"]
    return kept


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    app.config.from_mapping(SECRET_KEY="dev")  # a real app reads its secret from the environment
    if test_config is not None:
        app.config.from_mapping(test_config)
    app.extensions["notes"] = dict(FIRST_NOTES)  # kept in memory, per process: enough for an example
    app.register_blueprint(bp)
    return app
