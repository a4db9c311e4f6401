"""First async tests of greeter, as a Flask developer writes them: copy this file anywhere and run pytest.

In an empty folder: `pip install /path/to/greeter pytest pytest-asyncio` (greeter from its checkout: the
`greeter` on PyPI is another project), copy this file, run `pytest`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from quart import Quart
from quart.typing import TestClientProtocol as Client  # renamed: pytest would collect a Test* class

from greeter import create_app

# pytest-asyncio runs only the async tests it is told to (its default "strict" mode): this tells it to run
# every test of this file, each on an event loop of its own
pytestmark = pytest.mark.asyncio(loop_scope="function")
STREAM_TIMEOUT = 5.0  # seconds: a stream that stops sending fails the test instead of hanging it


@pytest.fixture
def app() -> Quart:
    return create_app({"TESTING": True, "PROCESS_TICK_SECONDS": 0.05})


@pytest.fixture
def client(app: Quart) -> Client:
    return app.test_client()


@pytest_asyncio.fixture  # an async fixture: in strict mode @pytest.fixture would not run it
async def serving(app: Quart) -> AsyncIterator[Quart]:
    """The app with its serving lifecycle running, as under Hypercorn: app.test_app()."""
    async with app.test_app():
        yield app


async def test_hello_world(client: Client) -> None:
    response = await client.get("/")  # the request is a coroutine: await it
    assert response.status_code == 200
    assert response.content_type == "text/html; charset=utf-8"
    assert await response.get_data(as_text=True) == "Hello World!"  # so is the body


async def test_the_name_is_escaped(client: Client) -> None:
    response = await client.get("/hello/<script>")
    assert await response.get_data(as_text=True) == "Hello &lt;script&gt;, nice to meet you!"


async def test_headers(client: Client) -> None:
    response = await client.get("/hail/")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"


async def test_a_redirect(client: Client) -> None:
    response = await client.get("/hello?x=1")
    assert response.status_code == 308
    assert response.headers["Location"] == "http://localhost/hello/?x=1"  # the test client's host
    followed = await client.get("/hello", follow_redirects=True)
    assert await followed.get_data(as_text=True) == "Greetings and Felicitations"


async def test_a_template_page(client: Client) -> None:
    response = await client.get("/greet/")
    page = await response.get_data(as_text=True)
    assert page.startswith("<!doctype html>")
    assert '<meta charset="utf-8">' in page


async def test_the_serving_lifecycle(app: Quart) -> None:
    # the test client alone does not run before_serving and after_serving; app.test_app() does, as Hypercorn
    page = await (await app.test_client().get("/process/")).get_data(as_text=True)
    assert "not serving (a test client)" in page
    async with app.test_app() as test_app:
        page = await (await test_app.test_client().get("/process/")).get_data(as_text=True)
        assert "Hypercorn" in page


async def test_the_first_events_of_the_stream(serving: Quart) -> None:
    # `await client.get("/process/stream")` would wait for the end of a stream that never ends: read it as it
    # comes instead, while serving (before_serving starts the ticker that sends an event every tick)
    async with serving.test_client().request("/process/stream") as stream:
        first = await asyncio.wait_for(stream.receive(), STREAM_TIMEOUT)
        second = await asyncio.wait_for(stream.receive(), STREAM_TIMEOUT)
        await stream.disconnect()
    assert first.startswith(b"retry: ")
    data = next(line for line in second.decode().splitlines() if line.startswith("data: "))
    assert json.loads(data.removeprefix("data: "))["viewers"] == 1
