"""What porting a real Flask app to Quart meets, beyond greeter's own routes: sessions, flash, errors, uploads,
hooks and `g`, url_for outside a request, a database. Each test is a pair docs/flask-to-quart.md quotes; the
worked example of docs/comparing.md (docs/example) is such an app, and `greeter compare` checks its port."""

from __future__ import annotations

import asyncio
import functools
import gc
import io
import logging
import sqlite3
import threading
import warnings
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import aiosqlite
import flask
import itsdangerous
import pytest
import quart
from flask import Flask
from quart import Quart
from quart.datastructures import FileStorage
from werkzeug.wrappers import Response as WerkzeugResponse

SECRET = "the same secret key in both apps"


@pytest.fixture
def page_template(tmp_path: Path) -> Path:
    (tmp_path / "page.html").write_text("<p>{{ name }}</p>")
    return tmp_path


# views


def flask_views(templates: Path) -> Flask:
    app = Flask(__name__, template_folder=str(templates))

    @app.route("/page")
    def page() -> str:
        return flask.render_template("page.html", name="Ada")

    @app.post("/form")
    def form() -> str:
        return flask.request.form.get("name", "")

    @app.errorhandler(404)
    def not_found(error: Exception) -> tuple[str, int]:
        return flask.render_template("page.html", name="nobody"), 404

    return app


def copied_unchanged(templates: Path) -> Quart:
    app = Quart(__name__, template_folder=str(templates))

    @app.route("/page")
    def page() -> str:  # copied from Flask, without async: Quart runs it in a thread
        return quart.render_template("page.html", name="Ada")  # type: ignore[return-value]

    @app.post("/form")
    def form() -> str:
        return quart.request.form.get("name", "")  # type: ignore[attr-defined, no-any-return]

    @app.errorhandler(404)
    def not_found(error: Exception) -> tuple[str, int]:  # an error handler is called as a view is
        return quart.render_template("page.html", name="nobody"), 404  # type: ignore[return-value]

    return app


class Logged(logging.Handler):
    """What an app logs, kept as text: a record would keep its traceback, and the traceback what it held."""

    def __init__(self) -> None:
        super().__init__()
        self.said: list[tuple[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.said.append((record.getMessage(), str(record.exc_info[1] if record.exc_info else "")))


@pytest.mark.filterwarnings("ignore:coroutine .* was never awaited:RuntimeWarning")
async def test_a_view_copied_unchanged_fails_where_flask_awaits_nothing(
    page_template: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    flask_client = flask_views(page_template).test_client()
    assert flask_client.get("/page").text == "<p>Ada</p>"
    assert flask_client.post("/form", data={"name": "Ada"}).text == "Ada"
    assert flask_client.get("/nowhere").text == "<p>nobody</p>"
    app = copied_unchanged(page_template)
    logged = Logged()
    monkeypatch.setattr(app.logger, "handlers", [logged])
    monkeypatch.setattr(app.logger, "propagate", False)  # pytest's own capture would keep the records
    client = app.test_client()
    assert (await client.get("/page")).status_code == 500
    assert (await client.post("/form", form={"name": "Ada"})).status_code == 500
    assert (await client.get("/nowhere")).status_code == 500
    gc.collect()  # the coroutines never awaited, freed (and warned of) now, under this test's filter
    assert logged.said == [
        ("Exception on request GET /page", "The response value type (coroutine) is not valid"),
        ("Exception on request POST /form", "'coroutine' object has no attribute 'get'"),
        ("Exception on request GET /nowhere", "The response value type (coroutine) is not valid"),
    ]


# the request


def flask_upload(folder: Path) -> Flask:
    app = Flask(__name__)

    @app.post("/upload")
    def upload() -> str:
        file = flask.request.files["doc"]
        file.save(folder / "flask.txt")
        return f"{file.filename}: {(folder / 'flask.txt').read_text()}"

    return app


def quart_upload(folder: Path) -> Quart:
    app = Quart(__name__)

    @app.post("/upload")
    async def upload() -> str:
        file = (await quart.request.files)["doc"]
        await file.save(folder / "quart.txt")
        return f"{file.filename}: {(folder / 'quart.txt').read_text()}"

    return app


async def test_a_file_upload(tmp_path: Path) -> None:
    flask_answer = flask_upload(tmp_path).test_client().post("/upload", data={"doc": (io.BytesIO(b"milk"), "a.txt")})
    doc = FileStorage(io.BytesIO(b"milk"), filename="a.txt")
    quart_answer = await quart_upload(tmp_path).test_client().post("/upload", files={"doc": doc})
    assert flask_answer.text == await quart_answer.get_data(as_text=True) == "a.txt: milk"


def flask_notes() -> Flask:
    app = Flask(__name__)

    @app.post("/notes")
    def add_note() -> tuple[dict[str, Any], int]:
        data = flask.request.get_json()
        return {"saved": data}, 201

    return app


def quart_notes() -> Quart:
    app = Quart(__name__)

    @app.post("/notes")
    async def add_note() -> tuple[dict[str, Any], int]:
        data = await quart.request.get_json()
        return {"saved": data}, 201

    return app


async def test_get_json_without_a_json_body() -> None:
    flask_answer = flask_notes().test_client().post("/notes", data="milk", content_type="text/plain")
    quart_answer = await quart_notes().test_client().post("/notes", data="milk", headers={"Content-Type": "text/plain"})
    assert flask_answer.status_code == 415  # Unsupported Media Type
    assert (quart_answer.status_code, await quart_answer.get_json()) == (201, {"saved": None})


# responses


def flask_responses() -> Flask:
    app = Flask(__name__)

    @app.route("/note/<int:key>")
    def note(key: int) -> flask.Response:
        if key != 1:
            flask.abort(404)
        return flask.jsonify(id=key, text="Buy milk")

    @app.route("/old")
    def old() -> WerkzeugResponse:
        return flask.redirect(flask.url_for("note", key=1))

    @app.route("/made")
    def made() -> flask.Response:
        response = flask.make_response("made", 202)
        response.headers["X-Made"] = "yes"
        return response

    return app


def quart_responses() -> Quart:
    app = Quart(__name__)

    @app.route("/note/<int:key>")
    async def note(key: int) -> quart.Response:
        if key != 1:
            quart.abort(404)
        return quart.jsonify(id=key, text="Buy milk")

    @app.route("/old")
    async def old() -> WerkzeugResponse:
        return quart.redirect(quart.url_for("note", key=1))

    @app.route("/made")
    async def made() -> quart.Response | WerkzeugResponse:
        response = await quart.make_response("made", 202)
        response.headers["X-Made"] = "yes"
        return response

    return app


async def test_jsonify_abort_redirect_and_make_response() -> None:
    flask_client, quart_client = flask_responses().test_client(), quart_responses().test_client()
    for path in ("/note/1", "/note/2", "/old", "/made"):
        flask_answer, quart_answer = flask_client.get(path), await quart_client.get(path)
        assert flask_answer.status_code == quart_answer.status_code, path
        assert flask_answer.headers.get("Location") == quart_answer.headers.get("Location"), path
        assert flask_answer.data == await quart_answer.get_data(), path
    assert flask_client.get("/old").headers["Location"] == "/note/1"  # 302, to the path


async def test_static_files_are_cached_longer(tmp_path: Path) -> None:
    (tmp_path / "style.css").write_text("p {}")
    flask_app = Flask(__name__, static_folder=str(tmp_path), static_url_path="/static")
    quart_app = Quart(__name__, static_folder=str(tmp_path), static_url_path="/static")
    assert flask_app.config["SEND_FILE_MAX_AGE_DEFAULT"] is None
    with flask_app.test_client().get("/static/style.css") as flask_answer:  # closed: it holds the file
        assert flask_answer.headers["Cache-Control"] == "no-cache"
    quart_answer = await quart_app.test_client().get("/static/style.css")
    assert quart_answer.headers["Cache-Control"] == "public, max-age=43200"  # 12 hours: Quart's default


# sessions and flash


def flask_counter() -> Flask:
    app = Flask(__name__)
    app.secret_key = SECRET

    @app.route("/")
    def index() -> str:
        session = flask.session
        session["visits"] = session.get("visits", 0) + 1
        return f"visit {session['visits']}"

    @app.route("/name/<name>")
    def name(name: str) -> str:
        flask.session["name"] = name
        return "kept"

    @app.route("/hello")
    def hello() -> str:
        return f"hello {flask.session.get('name', 'guest')}"

    return app


def quart_counter() -> Quart:
    app = Quart(__name__)
    app.secret_key = SECRET

    @app.route("/")
    async def index() -> str:
        session = quart.session
        session["visits"] = session.get("visits", 0) + 1
        return f"visit {session['visits']}"

    @app.route("/name/<name>")
    async def name(name: str) -> str:
        quart.session["name"] = name
        return "kept"

    @app.route("/hello")
    async def hello() -> str:
        return f"hello {quart.session.get('name', 'guest')}"

    return app


async def test_the_session_is_the_same_dict() -> None:
    flask_client, quart_client = flask_counter().test_client(), quart_counter().test_client()
    for visit in (1, 2, 3):
        assert flask_client.get("/").text == await (await quart_client.get("/")).get_data(as_text=True)
        assert flask_client.get("/").text == f"visit {visit * 2}"
        await quart_client.get("/")


def test_flask_session_transaction() -> None:
    client = flask_counter().test_client()
    with client.session_transaction() as session:
        session["visits"] = 41
    assert client.get("/").text == "visit 42"


async def test_quart_session_transaction() -> None:
    client = quart_counter().test_client()
    match = "'_AsyncGeneratorContextManager' object does not support the context manager protocol"
    with pytest.raises(TypeError, match=match), client.session_transaction():  # type: ignore[attr-defined]
        pass
    async with client.session_transaction() as session:
        session["visits"] = 41
    assert await (await client.get("/")).get_data(as_text=True) == "visit 42"


@pytest.fixture
def one_second() -> Iterator[None]:
    """Both apps sign within the same second (a signed cookie carries the second it was signed in)."""
    signer = itsdangerous.TimestampSigner
    original = signer.get_timestamp
    signer.get_timestamp = lambda self: 1_800_000_000  # type: ignore[method-assign]
    try:
        yield
    finally:
        signer.get_timestamp = original  # type: ignore[method-assign]


@pytest.mark.usefixtures("one_second")
async def test_the_session_cookie_survives_the_switch() -> None:
    flask_client, quart_client = flask_counter().test_client(), quart_counter().test_client()
    flask_cookie = flask_client.get("/").headers["Set-Cookie"]
    quart_cookie = (await quart_client.get("/")).headers["Set-Cookie"]
    assert flask_cookie == quart_cookie  # one key: the same bytes
    # a visitor with Flask's cookie keeps their session on the Quart app, and back
    cookie = flask_cookie.split(";")[0]
    assert await (await quart_client.get("/", headers={"Cookie": cookie})).get_data(as_text=True) == "visit 2"
    assert flask_client.get("/", headers={"Cookie": quart_cookie.split(";")[0]}).text == "visit 2"


@pytest.mark.usefixtures("one_second")
async def test_with_two_keys_flask_sorts_them_and_quart_does_not() -> None:
    flask_client, quart_client = flask_counter().test_client(), quart_counter().test_client()
    flask_client.get("/"), await quart_client.get("/")  # visits first
    flask_cookie = flask_client.get("/name/Ada").headers["Set-Cookie"]
    quart_cookie = (await quart_client.get("/name/Ada")).headers["Set-Cookie"]
    assert flask_cookie != quart_cookie
    assert _session(flask_cookie) == '{"name":"Ada","visits":1}'
    assert _session(quart_cookie) == '{"visits":1,"name":"Ada"}'
    # each still reads the other's
    assert flask_client.get("/hello", headers={"Cookie": quart_cookie.split(";")[0]}).text == "hello Ada"


def _session(set_cookie: str) -> str:
    payload = set_cookie.split(";")[0].split("=", 1)[1].split(".")[0]
    return itsdangerous.base64_decode(payload).decode()


async def test_a_session_read_but_not_changed() -> None:
    flask_client, quart_client = flask_counter().test_client(), quart_counter().test_client()
    assert flask_client.get("/hello").headers["Vary"] == "Cookie"
    assert "Vary" not in (await quart_client.get("/hello")).headers


def flask_flash() -> Flask:
    app = Flask(__name__)
    app.secret_key = SECRET

    @app.post("/hello")
    def hello() -> WerkzeugResponse:
        flask.flash(f"Hello, {flask.request.form['name']}!")
        return flask.redirect(flask.url_for("index"))

    @app.route("/")
    def index() -> str:
        return flask.render_template_string("{% for m in get_flashed_messages() %}<p>{{ m }}</p>{% endfor %}")

    return app


def quart_flash() -> Quart:
    app = Quart(__name__)
    app.secret_key = SECRET

    @app.post("/hello")
    async def hello() -> WerkzeugResponse:
        await quart.flash(f"Hello, {(await quart.request.form)['name']}!")
        return quart.redirect(quart.url_for("index"))

    @app.post("/forgot")
    async def forgot() -> WerkzeugResponse:
        quart.flash("never seen")  # type: ignore[unused-coroutine]  # no await: the message is never stored
        return quart.redirect(quart.url_for("index"))

    @app.route("/")
    async def index() -> str:
        return await quart.render_template_string("{% for m in get_flashed_messages() %}<p>{{ m }}</p>{% endfor %}")

    return app


@pytest.mark.filterwarnings("ignore:coroutine 'flash' was never awaited:RuntimeWarning")
async def test_flash_and_a_redirect() -> None:
    flask_client, quart_client = flask_flash().test_client(), quart_flash().test_client()
    flask_answer = flask_client.post("/hello", data={"name": "Ada"}, follow_redirects=True)
    quart_answer = await quart_client.post("/hello", form={"name": "Ada"}, follow_redirects=True)
    assert flask_answer.text == await quart_answer.get_data(as_text=True) == "<p>Hello, Ada!</p>"
    forgot = await quart_client.post("/forgot", follow_redirects=True)
    assert (forgot.status_code, await forgot.get_data(as_text=True)) == (200, "")  # no error, no message


# errors, hooks and g


def flask_blueprint() -> Flask:
    bp = flask.Blueprint("notes", __name__)

    @bp.before_app_request
    def load_visitor() -> None:
        flask.g.visitor = flask.request.args.get("as", "guest")

    @bp.route("/")
    def index() -> str:
        return f"Hello, {flask.g.visitor}"

    @bp.app_errorhandler(404)
    def not_found(error: Exception) -> tuple[dict[str, str], int]:
        return {"error": "not found", "visitor": flask.g.visitor}, 404

    app = Flask(__name__)
    app.register_blueprint(bp)
    return app


def quart_blueprint() -> Quart:
    bp = quart.Blueprint("notes", __name__)

    @bp.before_app_request
    async def load_visitor() -> None:
        quart.g.visitor = quart.request.args.get("as", "guest")

    @bp.route("/")
    async def index() -> str:
        return f"Hello, {quart.g.visitor}"

    @bp.app_errorhandler(404)
    async def not_found(error: Exception) -> tuple[dict[str, str], int]:
        return {"error": "not found", "visitor": quart.g.visitor}, 404

    app = Quart(__name__)
    app.register_blueprint(bp)
    return app


async def test_before_app_request_g_and_an_error_handler() -> None:
    flask_client, quart_client = flask_blueprint().test_client(), quart_blueprint().test_client()
    for path in ("/?as=Ada", "/nowhere?as=Ada", "/nowhere"):
        flask_answer, quart_answer = flask_client.get(path), await quart_client.get(path)
        assert (flask_answer.status_code, flask_answer.data) == (quart_answer.status_code, await quart_answer.data)
    assert (await (await quart_client.get("/nowhere")).get_json()) == {"error": "not found", "visitor": "guest"}


# a decorator of your own: Flask's classic login_required


def flask_login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(view)
    def wrapper(**kwargs: Any) -> Any:
        if flask.session.get("user") is None:
            return flask.redirect(flask.url_for("login", next=flask.request.path))
        return view(**kwargs)

    return wrapper


def quart_login_required(view: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    @functools.wraps(view)  # keeps the view's name: the endpoint, and what url_for and the logs call it
    async def wrapper(**kwargs: Any) -> Any:
        if quart.session.get("user") is None:
            return quart.redirect(quart.url_for("login", next=quart.request.path))
        return await view(**kwargs)

    return wrapper


def forgot_the_await(view: Callable[..., Awaitable[Any]]) -> Callable[..., Any]:
    @functools.wraps(view)
    def wrapper(**kwargs: Any) -> Any:  # Flask's wrapper, unchanged: it returns the view's coroutine
        if quart.session.get("user") is None:
            return quart.redirect(quart.url_for("login", next=quart.request.path))
        return view(**kwargs)

    return wrapper


def flask_guarded() -> Flask:
    app = Flask(__name__)
    app.secret_key = SECRET

    @app.route("/login")
    def login() -> str:
        flask.session["user"] = "ada"
        return "logged in"

    @app.route("/todos/<int:todo_id>")
    @flask_login_required
    def todo(todo_id: int) -> str:
        return f"todo {todo_id} of {flask.session['user']}"

    return app


def quart_guarded(login_required: Callable[..., Any] = quart_login_required) -> Quart:
    app = Quart(__name__)
    app.secret_key = SECRET

    @app.route("/login")
    async def login() -> str:
        quart.session["user"] = "ada"
        return "logged in"

    @app.route("/todos/<int:todo_id>")
    @login_required
    async def todo(todo_id: int) -> str:
        return f"todo {todo_id} of {quart.session['user']}"

    return app


async def test_a_decorator_of_your_own() -> None:
    flask_client, quart_client = flask_guarded().test_client(), quart_guarded().test_client()
    flask_out, quart_out = flask_client.get("/todos/3"), await quart_client.get("/todos/3")
    assert flask_out.status_code == quart_out.status_code == 302
    assert flask_out.headers["Location"] == quart_out.headers["Location"] == "/login?next=/todos/3"
    flask_client.get("/login")
    await quart_client.get("/login")
    flask_in, quart_in = flask_client.get("/todos/3"), await quart_client.get("/todos/3")
    assert flask_in.text == await quart_in.get_data(as_text=True) == "todo 3 of ada"
    assert [rule.endpoint for rule in quart_guarded().url_map.iter_rules() if "todos" in rule.rule] == ["todo"]


@pytest.mark.filterwarnings("ignore:coroutine .* was never awaited:RuntimeWarning")
async def test_a_decorator_without_its_await_fails_on_the_view(monkeypatch: pytest.MonkeyPatch) -> None:
    app = quart_guarded(forgot_the_await)
    logged = Logged()
    monkeypatch.setattr(app.logger, "handlers", [logged])
    monkeypatch.setattr(app.logger, "propagate", False)  # pytest's own capture would keep the records
    client = app.test_client()
    assert (await client.get("/todos/3")).status_code == 302  # logged out, the wrapper answers itself: no error
    await client.get("/login")
    with warnings.catch_warnings(record=True) as warned:
        warnings.simplefilter("always")
        assert (await client.get("/todos/3")).status_code == 500
        gc.collect()
    # the log names the view's request, not the decorator; Python warns of the view's coroutine: `todo`
    assert [str(warning.message) for warning in warned] == ["coroutine 'quart_guarded.<locals>.todo' was never awaited"]
    assert logged.said == [("Exception on request GET /todos/3", "The response value type (coroutine) is not valid")]


def test_flask_client_block_keeps_g() -> None:
    client = flask_blueprint().test_client()
    with client:
        client.get("/?as=Ada")
        assert flask.request.args["as"] == "Ada"
        assert flask.g.visitor == "Ada"  # the app context is kept too


async def test_quart_client_block_keeps_only_the_request() -> None:
    app = quart_blueprint()
    client = app.test_client()
    async with client:
        await client.get("/?as=Ada")
        assert quart.request.args["as"] == "Ada"
        with pytest.raises(RuntimeError, match="Not within an app context"):
            _ = quart.g.visitor
    # to see what the hooks put in g: a request context of your own, and the hooks run in it
    async with app.test_request_context("/?as=Ada"):
        await app.preprocess_request()
        assert quart.g.visitor == "Ada"


# url_for outside a request


def test_flask_url_for_outside_a_request() -> None:
    app = flask_responses()
    with app.app_context(), pytest.raises(RuntimeError, match="Unable to build URLs outside an active request"):
        flask.url_for("note", key=1)
    app.config["SERVER_NAME"] = "notes.example.com"
    with app.app_context():
        assert flask.url_for("note", key=1, _external=True) == "http://notes.example.com/note/1"


async def test_quart_url_for_outside_a_request() -> None:
    app = quart_responses()
    async with app.app_context():
        with pytest.raises(RuntimeError, match="Unable to create a url adapter, try setting the SERVER_NAME"):
            quart.url_for("note", key=1)
    app.config["SERVER_NAME"] = "notes.example.com"
    async with app.app_context():
        assert quart.url_for("note", key=1, _external=True) == "http://notes.example.com/note/1"


# a database


def make_database(path: Path) -> Path:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
        db.execute("INSERT INTO notes (text) VALUES ('Buy milk')")
    return path


def flask_database(path: Path) -> Flask:
    app = Flask(__name__)

    def get_db() -> sqlite3.Connection:
        if "db" not in flask.g:
            flask.g.db = sqlite3.connect(path)
        return flask.g.db  # type: ignore[no-any-return]

    @app.teardown_appcontext
    def close_db(error: BaseException | None) -> None:
        db = flask.g.pop("db", None)
        if db is not None:
            db.close()

    @app.route("/notes/<int:key>")
    def note(key: int) -> str:
        row = get_db().execute("SELECT text FROM notes WHERE id = ?", (key,)).fetchone()
        return str(row[0]) if row else flask.abort(404)

    return app


def quart_aiosqlite(path: Path) -> Quart:
    app = Quart(__name__)

    @app.route("/notes/<int:key>")
    async def note(key: int) -> str:
        async with aiosqlite.connect(path) as db:  # an async driver: the loop serves others while it waits
            cursor = await db.execute("SELECT text FROM notes WHERE id = ?", (key,))
            row = await cursor.fetchone()
        return str(row[0]) if row else quart.abort(404)

    return app


def quart_to_thread(path: Path) -> Quart:
    app = Quart(__name__)

    def read_note(key: int) -> str | None:  # runs in a thread: its own connection, made and closed there
        with sqlite3.connect(path) as db:
            row = db.execute("SELECT text FROM notes WHERE id = ?", (key,)).fetchone()
        return row[0] if row else None

    @app.route("/notes/<int:key>")
    async def note(key: int) -> str:
        text = await asyncio.to_thread(read_note, key)  # a driver with no async version: off the loop
        return text if text is not None else quart.abort(404)

    return app


async def test_a_database_three_ways(tmp_path: Path) -> None:
    path = make_database(tmp_path / "notes.sqlite")
    flask_client = flask_database(path).test_client()
    assert (flask_client.get("/notes/1").text, flask_client.get("/notes/2").status_code) == ("Buy milk", 404)
    for app in (quart_aiosqlite(path), quart_to_thread(path)):
        client = app.test_client()
        assert await (await client.get("/notes/1")).get_data(as_text=True) == "Buy milk"
        assert (await client.get("/notes/2")).status_code == 404


async def test_a_connection_stays_in_its_thread(tmp_path: Path) -> None:
    db = sqlite3.connect(make_database(tmp_path / "notes.sqlite"))  # made on the loop's thread
    with pytest.raises(sqlite3.ProgrammingError, match="SQLite objects created in a thread can only be used in that"):
        await asyncio.to_thread(db.execute, "SELECT text FROM notes")
    db.close()
    assert threading.current_thread() is threading.main_thread()
