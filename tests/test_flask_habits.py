"""Flask habits in Quart: what carries over, what fails and how. Each test is a pair docs/flask-to-quart.md quotes."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncGenerator
from typing import Any

import flask
import httpx
import pytest
import quart
from conftest import KEEP_ALIVE_LIMITS, StartServer, command_path, free_port, scaled
from flask import Flask
from flask.testing import FlaskClient
from quart import Quart
from quart.typing import TestClientProtocol as Client  # renamed: pytest would collect a Test* class

from greeter import create_app
from greeter.flask_twin import create_flask_app

STEP_TIMEOUT = scaled(5.0)
TICK = 0.05
FLASK_RUN = "flask --app greeter.flask_twin run"
QUART_RUN = "quart --app greeter run"  # its counterpart


# the test client


def test_flask_client(flask_client: FlaskClient) -> None:
    response = flask_client.get("/")
    assert response.status_code == 200
    assert response.data == b"Hello World!"
    assert response.get_data(as_text=True) == "Hello World!"
    assert response.text == "Hello World!"


async def test_quart_client(client: Client) -> None:
    response = await client.get("/")
    assert response.status_code == 200
    assert await response.data == b"Hello World!"
    assert await response.get_data(as_text=True) == "Hello World!"


async def test_without_await_a_coroutine(client: Client) -> None:
    response = client.get("/")  # no await: a coroutine, not a response
    with pytest.raises(AttributeError, match="'coroutine' object has no attribute 'status_code'"):
        _ = response.status_code  # type: ignore[attr-defined]
    response.close()  # else Python warns: coroutine 'QuartClient.get' was never awaited


async def test_no_response_text(client: Client) -> None:
    response = await client.get("/")
    with pytest.raises(AttributeError, match="'Response' object has no attribute 'text'"):
        _ = response.text  # type: ignore[attr-defined]


async def test_data_is_a_coroutine(client: Client) -> None:
    response = await client.get("/")
    data = response.data
    assert asyncio.iscoroutine(data)
    assert await data == b"Hello World!"


def test_flask_client_block_keeps_the_request(flask_client: FlaskClient) -> None:
    with flask_client:
        flask_client.get("/hello/Scott?x=1")
        assert flask.request.args["x"] == "1"  # the last request's context, kept until the block ends


async def test_quart_client_block_is_async_with(client: Client) -> None:
    match = "'QuartClient' object does not support the context manager protocol"
    with pytest.raises(TypeError, match=match), client:  # type: ignore[attr-defined]
        pass
    async with client:
        await client.get("/hello/Scott?x=1")
        assert quart.request.args["x"] == "1"


def test_flask_redirect_location(flask_client: FlaskClient) -> None:
    response = flask_client.get("/hello")
    assert (response.status_code, response.headers["Location"]) == (308, "http://localhost/hello/")


async def test_quart_redirect_location(client: Client) -> None:
    response = await client.get("/hello")
    assert (response.status_code, response.headers["Location"]) == (308, "http://localhost/hello/")


# the serving lifecycle and the stream


async def test_get_on_a_stream_never_returns() -> None:
    app = create_app({"TESTING": True, "PROCESS_TICK_SECONDS": TICK})
    async with app.test_app() as test_app:
        with pytest.raises(TimeoutError):  # get() waits for the end of the body, and a stream has none
            await asyncio.wait_for(test_app.test_client().get("/process/stream"), timeout=1)


async def test_without_test_app_one_event_then_nothing() -> None:
    app = create_app({"TESTING": True, "PROCESS_TICK_SECONDS": TICK})
    async with app.test_client().request("/process/stream") as stream:
        first = await asyncio.wait_for(stream.receive(), STEP_TIMEOUT)  # sent by the view itself
        with pytest.raises(TimeoutError):  # no ticker: before_serving never ran
            await asyncio.wait_for(stream.receive(), timeout=20 * TICK)
        await stream.disconnect()
    assert first.startswith(b"retry: ")


async def test_while_serving() -> None:
    app = Quart(__name__)
    events: list[str] = []

    @app.while_serving
    async def lifespan() -> AsyncGenerator[None, None]:
        events.append("started")  # as before_serving
        yield
        events.append("stopped")  # as after_serving

    assert events == []
    await app.test_client().get("/")  # the test client alone runs no lifecycle
    assert events == []
    async with app.test_app():
        assert events == ["started"]
    assert events == ["started", "stopped"]


# the request body


def flask_echo() -> Flask:
    app = Flask(__name__)

    @app.post("/echo")
    def echo() -> dict[str, Any]:
        return {"data": flask.request.get_data(as_text=True), "form": flask.request.form.get("name")}

    @app.post("/echo-json")
    def echo_json() -> Any:
        return flask.request.get_json()

    return app


def quart_echo() -> Quart:
    app = Quart(__name__)

    @app.post("/echo")
    async def echo() -> dict[str, Any]:
        return {"data": await quart.request.get_data(as_text=True), "form": (await quart.request.form).get("name")}

    @app.post("/echo-json")
    async def echo_json() -> Any:
        return await quart.request.get_json()

    return app


async def test_the_request_body_in_both() -> None:
    flask_client = flask_echo().test_client()
    quart_client = quart_echo().test_client()
    flask_answer = flask_client.post("/echo", data={"name": "Scott"})
    quart_answer = await quart_client.post("/echo", form={"name": "Scott"})
    assert flask_answer.get_json() == await quart_answer.get_json() == {"data": "name=Scott", "form": "Scott"}
    flask_answer = flask_client.post("/echo", data=b"raw")
    quart_answer = await quart_client.post("/echo", data=b"raw")
    assert flask_answer.get_json() == await quart_answer.get_json() == {"data": "raw", "form": None}
    flask_answer = flask_client.post("/echo-json", json={"a": 1})
    quart_answer = await quart_client.post("/echo-json", json={"a": 1})
    assert flask_answer.get_json() == await quart_answer.get_json() == {"a": 1}


def test_flask_response_json() -> None:
    response = flask_echo().test_client().post("/echo-json", json={"a": 1})
    assert response.json == response.get_json() == {"a": 1}


async def test_quart_response_json_is_awaited() -> None:
    response = await quart_echo().test_client().post("/echo-json", json={"a": 1})
    assert await response.json == await response.get_json() == {"a": 1}


async def test_a_form_sent_as_data_arrives_empty() -> None:
    flask_answer = flask_echo().test_client().post("/echo", data={"name": "Scott"})
    quart_answer = await quart_echo().test_client().post("/echo", data={"name": "Scott"})
    assert flask_answer.get_json() == {"data": "name=Scott", "form": "Scott"}
    assert quart_answer.status_code == 200  # no error: the dict is dropped, the body is empty
    assert await quart_answer.get_json() == {"data": "", "form": None}


# what does not change


def test_flask_url_for() -> None:
    app = create_flask_app({"TESTING": True})
    with app.test_request_context("/"):
        assert flask.url_for("greetings.custom_greeting", name="Scott") == "/hello/Scott"


async def test_quart_url_for() -> None:
    app = create_app({"TESTING": True})
    async with app.test_request_context("/"):
        assert quart.url_for("greetings.custom_greeting", name="Scott") == "/hello/Scott"


def test_flask_app_context() -> None:
    app = create_flask_app({"TESTING": True})
    with app.app_context():
        assert flask.current_app.config["TESTING"]


async def test_quart_app_context() -> None:
    app = create_app({"TESTING": True})
    match = "'AppContext' object does not support the context manager protocol"
    with pytest.raises(TypeError, match=match), app.app_context():  # type: ignore[attr-defined]
        pass
    async with app.app_context():
        assert quart.current_app.config["TESTING"]


def test_the_same_config() -> None:
    flask_app = create_flask_app({"TESTING": True, "WAIT_MAX_SECONDS": 3})
    quart_app = create_app({"TESTING": True, "WAIT_MAX_SECONDS": 3})
    assert flask_app.config["WAIT_MAX_SECONDS"] == quart_app.config["WAIT_MAX_SECONDS"] == 3


# serving in development


@pytest.mark.parametrize("command", [FLASK_RUN, QUART_RUN])
async def test_flask_run_and_quart_run(start_server: StartServer, command: str) -> None:
    program, *arguments = command.split()
    port = free_port()
    server = start_server([command_path(program), *arguments, "--port", str(port)], r"Running on http://127\.0\.0\.1")
    async with httpx.AsyncClient(limits=KEEP_ALIVE_LIMITS, timeout=STEP_TIMEOUT) as http:
        response = await http.get(f"http://127.0.0.1:{port}/hello/Scott")
    assert response.text == "Hello Scott, nice to meet you!"
    # the development server's SIGTERM handling is Python's default: it dies of the signal
    assert server.stop() in (0, -signal.SIGTERM)
