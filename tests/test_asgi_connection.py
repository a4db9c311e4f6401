"""greeter/plumbing/asgi_connection.py, path by path, driven as a server drives it: ASGI messages in, ASGI messages out.

Each test builds a small Quart app on the lean connection class (and greeter's own app where it matters), feeds
it the messages a server would, and checks what it sends back: the request still goes through Quart whole.
"""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, cast

import pytest
from conftest import scaled
from quart import Quart, Response, request, stream_with_context
from quart.routing import QuartRule
from quart.wrappers import Request
from quart.wrappers.request import Body
from werkzeug.datastructures import Headers

from greeter import create_app
from greeter.plumbing.asgi_connection import (
    CONNECTION_CLOSE,
    EVERY_RESPONSE_HEADERS,
    LeanHTTPConnection,
    add_to_every_response,
    stopping,
)
from greeter.plumbing.lean_request import LazyBody, LazyEvent, LeanRequest

STEP_TIMEOUT = scaled(5.0)
SECURITY_HEADER = ("X-Frame-Options", "DENY")


@dataclass
class Client:
    """One request as a server hands it to the app: its body messages, then a disconnect when told."""

    body: list[bytes] = field(default_factory=lambda: [b""])
    sent: list[dict[str, Any]] = field(default_factory=list)
    leave: asyncio.Event = field(default_factory=asyncio.Event)
    body_gap: float = 0.0  # seconds between two body messages
    receives: int = 0

    async def receive(self) -> dict[str, Any]:
        self.receives += 1
        if self.body:
            if self.receives > 1:
                await asyncio.sleep(self.body_gap)
            chunk = self.body.pop(0)
            return {"type": "http.request", "body": chunk, "more_body": bool(self.body)}
        await self.leave.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: dict[str, Any]) -> None:
        self.sent.append(message)

    @property
    def status(self) -> int:
        return int(self.sent[0]["status"])

    @property
    def headers(self) -> list[tuple[bytes, bytes]]:
        return list(self.sent[0]["headers"])

    @property
    def body_bytes(self) -> bytes:
        return b"".join(message["body"] for message in self.sent[1:])


def scope(
    path: str, method: str = "GET", headers: list[tuple[bytes, bytes]] | None = None, http_version: str = "1.1"
) -> dict[str, Any]:
    return {
        "type": "http",
        "http_version": http_version,
        "asgi": {"spec_version": "2.1", "version": "3.0"},
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1:8000"), *(headers or [])],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
        "extensions": {},
    }


async def call(app: Quart, client: Client, path: str = "/", method: str = "GET", **options: Any) -> Client:
    await asyncio.wait_for(app(scope(path, method, **options), client.receive, client.send), STEP_TIMEOUT)  # type: ignore[arg-type]
    return client


@dataclass
class Seen:
    """What the views of the test app saw happen to them."""

    stream_closed: asyncio.Event = field(default_factory=asyncio.Event)
    sleep_cancelled: asyncio.Event = field(default_factory=asyncio.Event)
    torn_down: int = 0


@pytest.fixture
def seen() -> Seen:
    return Seen()


@pytest.fixture
def lean_app(seen: Seen) -> Quart:
    app = Quart(__name__)
    app.asgi_http_class = LeanHTTPConnection
    app.request_class = LeanRequest  # as greeter's: the body tests below run on its LazyBody
    app.config.update(MAX_CONTENT_LENGTH=100, BODY_TIMEOUT=0.3)
    add_to_every_response(app, [SECURITY_HEADER])

    @app.route("/")
    async def hello() -> str:
        return "Hello World!"

    @app.route("/echo", methods=["POST"])
    async def echo() -> bytes:
        return cast(bytes, await request.get_data())  # get_data: BODY_TIMEOUT applies

    @app.route("/stream")
    async def stream() -> Response:
        async def events() -> AsyncIterator[bytes]:
            try:
                for number in range(3):
                    yield f"event {number}\n".encode()
                await asyncio.Event().wait()  # then nothing more, until the client leaves
            finally:
                seen.stream_closed.set()

        response = Response(events(), mimetype="text/plain")
        response.timeout = None
        return response

    @app.route("/slow-stream")
    async def slow_stream() -> Response:
        async def events() -> AsyncIterator[bytes]:
            yield b"first\n"
            await asyncio.sleep(10)
            yield b"never\n"

        return Response(events(), mimetype="text/plain")  # RESPONSE_TIMEOUT applies, as in Quart

    @app.route("/sleep")
    async def sleep() -> str:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            seen.sleep_cancelled.set()
            raise
        return "slept"

    @app.route("/fail")
    async def fail() -> str:
        raise RuntimeError("a secret detail of the server")

    @app.route("/own-frame-options")
    async def own_frame_options() -> tuple[str, dict[str, str]]:
        return "mine", {"X-Frame-Options": "SAMEORIGIN"}

    @app.teardown_request
    async def count_teardown(error: BaseException | None) -> None:
        seen.torn_down += 1

    return app


async def test_no_body_one_start_and_one_body_message(lean_app: Quart, seen: Seen) -> None:
    client = await call(lean_app, Client())
    assert [message["type"] for message in client.sent] == ["http.response.start", "http.response.body"]
    assert client.sent[1] == {"type": "http.response.body", "body": b"Hello World!", "more_body": False}
    assert client.status == 200
    assert (b"content-length", b"12") in client.headers
    assert seen.torn_down == 1  # Quart's hooks ran
    assert client.receives == 0  # answered without waiting: the body message was never needed


async def test_headers_for_every_response_are_added_once(lean_app: Quart) -> None:
    for path in ("/", "/nowhere"):
        client = await call(lean_app, Client(), path)
        assert [name for name, _ in client.headers].count(b"x-frame-options") == 1, path
        assert (b"x-frame-options", b"DENY") in client.headers, path


async def test_headers_for_every_response_replace_a_views_own(lean_app: Quart) -> None:
    client = await call(lean_app, Client(), "/own-frame-options")
    assert [value for name, value in client.headers if name == b"x-frame-options"] == [b"DENY"]


async def test_a_body_in_one_message(lean_app: Quart) -> None:
    client = await call(lean_app, Client(body=[b"all of it"]), "/echo", "POST")
    assert (client.status, client.body_bytes) == (200, b"all of it")


async def test_a_body_in_several_messages(lean_app: Quart) -> None:
    client = await call(lean_app, Client(body=[b"one ", b"two ", b"three"], body_gap=0.01), "/echo", "POST")
    assert (client.status, client.body_bytes) == (200, b"one two three")


async def test_a_body_over_max_content_length_is_413(lean_app: Quart) -> None:
    client = await call(lean_app, Client(body=[b"x" * 60, b"y" * 60]), "/echo", "POST")
    assert client.status == 413


async def test_a_declared_length_over_the_limit_is_413(lean_app: Quart) -> None:
    client = await call(lean_app, Client(body=[b"x"]), "/echo", "POST", headers=[(b"content-length", b"1000")])
    assert client.status == 413


async def test_a_body_that_stops_arriving_times_out_with_408(lean_app: Quart) -> None:
    # the first part, then nothing: BODY_TIMEOUT (0.3 s) answers 408, as in Quart
    client = await call(lean_app, Client(body=[b"part", b"rest"], body_gap=5.0), "/echo", "POST")
    assert client.status == 408


async def test_a_streaming_response_is_sent_event_by_event(lean_app: Quart, seen: Seen) -> None:
    client = Client()
    task = asyncio.create_task(call(lean_app, client, "/stream"))
    for _ in range(100):
        if len(client.sent) >= 4:
            break
        await asyncio.sleep(0.01)
    assert [message.get("body") for message in client.sent[1:4]] == [b"event 0\n", b"event 1\n", b"event 2\n"]
    assert all(message["more_body"] for message in client.sent[1:4])
    client.leave.set()
    await asyncio.wait_for(task, STEP_TIMEOUT)


async def test_a_client_that_leaves_a_stream_ends_it_at_once(lean_app: Quart, seen: Seen) -> None:
    client = Client()
    task = asyncio.create_task(call(lean_app, client, "/stream"))
    await asyncio.sleep(0.05)
    assert not seen.stream_closed.is_set()
    client.leave.set()
    await asyncio.wait_for(seen.stream_closed.wait(), STEP_TIMEOUT)
    await asyncio.wait_for(task, STEP_TIMEOUT)  # ends quietly, as Quart's own class does
    assert not task.cancelled() and task.exception() is None
    assert client.sent[-1].get("more_body") is True  # cut off, not finished


async def test_a_client_that_leaves_a_waiting_view_cancels_it(lean_app: Quart, seen: Seen) -> None:
    client = Client()
    task = asyncio.create_task(call(lean_app, client, "/sleep"))
    await asyncio.sleep(0.05)
    client.leave.set()
    await asyncio.wait_for(seen.sleep_cancelled.wait(), STEP_TIMEOUT)
    await asyncio.wait_for(task, STEP_TIMEOUT)
    assert client.sent == []
    assert seen.torn_down == 1  # the request context was closed properly


async def test_a_cancel_from_outside_is_passed_on(lean_app: Quart) -> None:
    # a server stopping cancels the request's task: that must not be mistaken for the client leaving
    task = asyncio.create_task(call(lean_app, Client(), "/sleep"))
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_response_timeout_cuts_a_slow_response_off(lean_app: Quart) -> None:
    lean_app.config["RESPONSE_TIMEOUT"] = 0.2
    started = asyncio.get_running_loop().time()
    client = await call(lean_app, Client(), "/slow-stream")
    assert asyncio.get_running_loop().time() - started < 2
    assert client.body_bytes == b"first\n"
    assert client.sent[-1]["more_body"] is True  # never finished: the server closes the connection


async def test_a_failing_view_is_500_without_a_traceback(lean_app: Quart) -> None:
    client = await call(lean_app, Client(), "/fail")
    assert client.status == 500
    assert b"secret" not in client.body_bytes and b"Traceback" not in client.body_bytes
    assert (b"x-frame-options", b"DENY") in client.headers


async def test_head_gets_the_headers_of_get(lean_app: Quart) -> None:
    client = await call(lean_app, Client(), "/", "HEAD")
    assert client.status == 200
    assert (b"content-length", b"12") in client.headers  # the server leaves the body out


async def test_a_client_gone_before_its_body_arrived(lean_app: Quart, seen: Seen) -> None:
    client = Client(body=[])
    client.leave.set()
    await call(lean_app, client, "/echo", "POST")  # returns quietly: no one is left to answer
    assert client.sent == []
    assert seen.torn_down == 1


async def test_greeter_runs_on_the_lean_class_with_its_security_headers() -> None:
    app = create_app()
    assert app.asgi_http_class is LeanHTTPConnection
    client = await call(app, Client(), "/nowhere")
    names = [name for name, _ in client.headers]
    assert client.status == 404
    for header in (b"content-security-policy", b"x-content-type-options", b"x-frame-options", b"referrer-policy"):
        assert names.count(header) == 1, header


def test_the_names_of_every_responses_headers_are_one_set_for_the_app() -> None:
    app = Quart(__name__)
    add_to_every_response(app, [SECURITY_HEADER])
    add_to_every_response(app, [("Referrer-Policy", "no-referrer")])
    every = app.extensions[EVERY_RESPONSE_HEADERS]
    assert every.headers == ((b"x-frame-options", b"DENY"), (b"referrer-policy", b"no-referrer"))
    assert every.names == frozenset({b"x-frame-options", b"referrer-policy"})
    first, second = (LeanHTTPConnection(app, scope("/")) for _ in range(2))
    assert first.every_response is second.every_response is every  # shared, not made per request


def test_the_lazy_body_is_quarts_body_but_for_its_events() -> None:
    # LazyBody copies Body.__init__: a Quart release that adds or renames an attribute is noticed here
    assert vars(LazyBody(10, 100)).keys() == vars(Body(10, 100)).keys()
    assert LazyBody(None, None)._must_raise is None
    assert isinstance(LazyBody(200, 100)._must_raise, Exception)  # a declared length over the limit, as in Quart


async def test_a_lazy_event_is_an_event_to_whoever_waits() -> None:
    event = LazyEvent()
    assert not event.is_set()
    waiter = asyncio.create_task(event.wait())
    await asyncio.sleep(0)
    assert not waiter.done()
    event.set()
    assert await asyncio.wait_for(waiter, STEP_TIMEOUT) is True
    assert await asyncio.wait_for(event.wait(), STEP_TIMEOUT) is True  # already set: returns at once
    event.clear()
    assert not event.is_set()


async def test_a_request_without_a_body_makes_no_asyncio_event() -> None:
    app = create_app()
    assert app.request_class is LeanRequest
    bodies: list[Body] = []

    @app.before_request
    async def keep_the_body() -> None:
        bodies.append(request.body)

    client = await call(app, Client(), "/")
    assert client.status == 200  # answered without waiting: nobody waited on the body, nor needed its events
    assert bodies[0]._complete._event is None and bodies[0]._has_data._event is None  # type: ignore[attr-defined]


async def until_sent(client: Client, messages: int) -> None:
    for _ in range(int(STEP_TIMEOUT / 0.01)):
        if len(client.sent) >= messages:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{len(client.sent)} messages sent, not {messages}")


async def test_a_live_stream_lets_go_of_its_request_response_and_body(lean_app: Quart) -> None:
    kept: dict[str, weakref.ref[Any]] = {}

    @lean_app.route("/watched-stream", methods=["POST"])
    async def watched_stream() -> Response:
        async def events() -> AsyncIterator[bytes]:
            yield b"event\n"
            await asyncio.Event().wait()

        await request.get_data()  # the body, all there, before the view answers
        response = Response(events(), mimetype="text/plain")
        response.timeout = None
        kept["request"] = weakref.ref(request._get_current_object())  # type: ignore[attr-defined]
        kept["body"] = weakref.ref(request.body)
        kept["response"] = weakref.ref(response)
        return response

    client = Client(body=[b"a body"])
    task = asyncio.create_task(call(lean_app, client, "/watched-stream", "POST"))
    await until_sent(client, 2)
    assert client.body_bytes == b"event\n"
    gc.collect()
    # a stream that lasts an hour holds the body it sends, not its request's headers and objects, nor its Response
    assert {name: ref() for name, ref in kept.items()} == {"request": None, "body": None, "response": None}
    client.leave.set()
    await asyncio.wait_for(task, STEP_TIMEOUT)


async def test_a_stream_with_context_still_has_its_request(lean_app: Quart) -> None:
    @lean_app.route("/context-stream")
    async def context_stream() -> Response:
        @stream_with_context
        async def events() -> AsyncIterator[bytes]:
            yield f"path {request.path}\n".encode()  # the view's request, kept by the generator itself

        return Response(events(), mimetype="text/plain")

    client = await call(lean_app, Client(), "/context-stream")
    assert client.body_bytes == b"path /context-stream\n"


async def test_only_a_response_with_a_timeout_runs_under_a_deadline(
    lean_app: Quart, monkeypatch: pytest.MonkeyPatch
) -> None:
    deadlines: list[float | None] = []
    timeout = asyncio.timeout

    def counted(delay: float | None) -> asyncio.Timeout:
        deadlines.append(delay)
        return timeout(delay)

    monkeypatch.setattr(asyncio, "timeout", counted)
    await call(lean_app, Client(), "/")  # RESPONSE_TIMEOUT, Quart's default: 60 s
    assert deadlines == [60]
    client = Client()
    task = asyncio.create_task(call(lean_app, client, "/stream"))  # timeout None: a live stream
    await until_sent(client, 4)
    client.leave.set()
    await asyncio.wait_for(task, STEP_TIMEOUT)
    assert deadlines == [60]  # none for the stream


async def test_once_the_worker_stops_every_http1_answer_says_connection_close(lean_app: Quart) -> None:
    stop = stopping(lean_app)  # what greeter's serving loop makes, and sets as its worker begins to stop
    assert CONNECTION_CLOSE not in (await call(lean_app, Client())).headers  # serving: kept alive
    stop.set()
    told = await call(lean_app, Client())
    assert told.headers.count(CONNECTION_CLOSE) == 1
    assert (await call(lean_app, Client(), "/nowhere")).headers.count(CONNECTION_CLOSE) == 1  # an error page too
    # HTTP/2 has no Connection header (h2 refuses to send one): there the server's GOAWAY says it
    assert CONNECTION_CLOSE not in (await call(lean_app, Client(), http_version="2")).headers


async def test_without_greeters_loop_no_answer_says_connection_close(lean_app: Quart) -> None:
    # `hypercorn greeter:app` makes no stop event: the answers are Quart's, Connection and all
    assert CONNECTION_CLOSE not in (await call(lean_app, Client())).headers
    client = Client()
    task = asyncio.create_task(call(lean_app, client, "/stream"))
    for _ in range(100):
        if client.sent:
            break
        await asyncio.sleep(0.01)
    assert CONNECTION_CLOSE not in client.headers
    client.leave.set()
    await asyncio.wait_for(task, STEP_TIMEOUT)


@pytest.mark.parametrize(("http_version", "closes"), [("1.1", True), ("2", False)])
async def test_a_live_stream_says_its_connection_ends_with_it(lean_app: Quart, http_version: str, closes: bool) -> None:
    # a stream with no timeout of its own lasts as long as its viewer: when a stop or a reload ends it, its
    # connection ends with it at once, and the viewer's EventSource reconnects on a new one
    stopping(lean_app)
    client = Client()
    task = asyncio.create_task(call(lean_app, client, "/stream", http_version=http_version))
    for _ in range(100):
        if client.sent:
            break
        await asyncio.sleep(0.01)
    assert (CONNECTION_CLOSE in client.headers) is closes
    client.leave.set()
    await asyncio.wait_for(task, STEP_TIMEOUT)
    slow = Client()  # a stream with Quart's RESPONSE_TIMEOUT is a slow answer, not a live stream: kept alive
    lean_app.config["RESPONSE_TIMEOUT"] = 0.05
    assert CONNECTION_CLOSE not in (await call(lean_app, slow, "/slow-stream")).headers


async def test_a_requests_blueprints_are_quarts_before_and_after_routing() -> None:
    app = create_app()
    seen: list[tuple[list[str], list[str]]] = []

    @app.before_request
    async def compare() -> None:
        lean = cast(LeanRequest, request._get_current_object())  # type: ignore[attr-defined]
        seen.append((lean.blueprints, Request.blueprints.fget(lean)))  # type: ignore[attr-defined]  # Quart's own

    assert (await call(app, Client(), "/hello/Scott")).status == 200
    assert seen == [(["greetings"], ["greetings"])]


def test_a_requests_blueprints_follow_its_route() -> None:
    app = create_app()
    lean = LeanRequest("GET", "http", "/", b"", Headers(), "", "1.1", cast(Any, {}), send_push_promise=cast(Any, None))
    assert lean.blueprints == []  # not routed yet
    rules = {rule.endpoint.split(".")[0]: cast(QuartRule, rule) for rule in app.url_map.iter_rules()}
    lean.url_rule = rules["process"]
    assert lean.blueprints == ["process"]
    lean.url_rule = rules["greetings"]
    assert lean.blueprints == ["greetings"]


async def test_an_http_request_is_quarts_own_call_with_no_frame_of_the_outer_layers() -> None:
    # greeter's two outermost layers (websocket_as_http.py, request_target.py) give back the app's own call for an
    # http request: no frame of theirs is kept for as long as the request lasts (a live stream's hour)
    app = create_app()
    client = Client()
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
        "path": "/", "raw_path": b"/", "query_string": b"", "root_path": "", "headers": [(b"host", b"localhost")],
        "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80), "extensions": {},
    }  # fmt: skip
    call_made = app.asgi_app(cast(Any, scope), cast(Any, client.receive), cast(Any, client.send))
    assert getattr(call_made, "cr_code", None) is Quart.asgi_app.__code__
    await asyncio.wait_for(call_made, STEP_TIMEOUT)
    assert client.status == 200
