"""Raw requests (greeter/tools/compare/raw_http.py, raw_case.py): bytes sent as written, answers read leniently,
and what a comparison makes of them; each server here a few lines of asyncio that answer as told."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager

import pytest

from greeter.tools.compare.case import RAW, Case
from greeter.tools.compare.http_client import fetch_over_http
from greeter.tools.compare.raw_case import HTTP_09, as_exchange
from greeter.tools.compare.raw_http import RawExchange, exchange_raw, read_answers, request_methods

OK = b"HTTP/1.1 200 \r\nContent-Length: 2\r\n\r\nok"
PATIENCE = 30.0  # what a reading that ends some other way must not wait for (half of it, a generous bound)
CHUNKED = b"HTTP/1.1 200 \r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nX: y\r\n\r\n"


def test_the_methods_of_the_requests_in_the_bytes() -> None:
    assert request_methods(b"GET / HTTP/1.1\r\n\r\nhead /x HTTP/1.1\r\nHost: a\r\n\r\n") == ["GET", "head"]
    assert request_methods(b"\r\nPOST / HTTP/1.0\n\nx") == ["POST"]
    assert request_methods(b"\x00\xff") == ["GET"]  # no request to speak of: read as a GET's answer


@pytest.mark.parametrize(
    ("sent", "methods", "final", "statuses", "bodies", "interim", "leftover"),
    [
        (OK, ["GET"], False, [200], [b"ok"], [], b""),
        (OK[:-1], ["GET"], False, [200], [b"o"], [], b""),  # incomplete, as its length says
        (b"HTTP/1.1 100 \r\n\r\n" + OK + OK, ["GET", "GET"], False, [200, 200], [b"ok", b"ok"], [100], b""),
        (CHUNKED, ["GET"], False, [200], [b"ok"], [], b""),  # with a trailer line
        (OK, ["HEAD"], False, [200], [b""], [], b"ok"),  # a HEAD answer has no body: those bytes are none
        (OK, ["head"], False, [200], [b"ok"], [], b""),  # methods are case-sensitive: `head` is not HEAD
        (b"HTTP/1.1 200 \r\n\r\nuntil the end", ["GET"], True, [200], [b"until the end"], [], b""),
        (b"a bare body", ["GET"], True, [None], [b"a bare body"], [], b""),  # HTTP/0.9, once the server closed
        (b"\x00\x00\x12\x04", ["GET"], False, [], [], [], b"\x00\x00\x12\x04"),  # HTTP/2 frames: no answer
    ],
)
def test_answers_are_read_leniently(
    sent: bytes,
    methods: list[str],
    final: bool,
    statuses: list[int | None],
    bodies: list[bytes],
    interim: list[int],
    leftover: bytes,
) -> None:
    answers, got_interim, got_leftover = read_answers(sent, methods, final=final)
    assert [answer.status for answer in answers] == statuses
    assert [answer.body for answer in answers] == bodies
    assert (got_interim, got_leftover) == (interim, leftover)


@asynccontextmanager
async def server(answer: Callable[[bytes], bytes | None], *, close: bool) -> AsyncIterator[int]:
    """A server on loopback that reads what comes, answers `answer(it)` (None: nothing), then closes or not."""
    handlers: list[asyncio.Task[None]] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        handlers.append(asyncio.current_task())  # type: ignore[arg-type]
        try:
            said = answer(await reader.read(65536))
            if said is not None:
                writer.write(said)
                await writer.drain()
            if not close:
                await asyncio.sleep(PATIENCE)  # cancelled when the test is done
        finally:
            writer.close()

    listening = await asyncio.start_server(handle, "127.0.0.1", 0)
    async with listening:
        try:
            yield listening.sockets[0].getsockname()[1]
        finally:
            for task in handlers:
                task.cancel()


async def raw_exchange(
    port: int, data: bytes, *, patience: float = PATIENCE, between: float | None = None
) -> tuple[RawExchange, float]:
    started = time.monotonic()
    exchange = await exchange_raw(
        "127.0.0.1", port, data, patience=patience, between=between, quiet=0.2, timeout=PATIENCE
    )
    return exchange, time.monotonic() - started


async def test_reading_ends_when_the_server_closes() -> None:
    async with server(lambda _: OK, close=True) as port:
        exchange, took = await raw_exchange(port, b"GET / HTTP/1.1\r\n\r\n")
    assert exchange.closed and [answer.body for answer in exchange.answers] == [b"ok"] and took < PATIENCE / 2


async def test_reading_ends_soon_after_every_request_is_answered() -> None:
    async with server(lambda _: OK, close=False) as port:
        exchange, took = await raw_exchange(port, b"GET / HTTP/1.1\r\n\r\n")
    assert not exchange.closed and exchange.answers[0].complete and took < PATIENCE / 2  # quiet, not patience


async def test_a_server_that_waits_is_waited_for_with_patience() -> None:
    async with server(lambda _: None, close=False) as port:
        exchange, took = await raw_exchange(port, b"GET /\r\n", patience=0.3)
    assert (exchange.answers, exchange.closed) == ((), False) and 0.3 <= took < PATIENCE / 2


async def test_once_one_request_is_answered_the_next_is_waited_for_less() -> None:
    async with server(lambda _: OK, close=False) as port:
        exchange, took = await raw_exchange(port, b"GET / HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\n\r\n", between=0.3)
    assert len(exchange.answers) == 1 and took < PATIENCE / 2


def test_what_a_comparison_makes_of_each_kind_of_answer() -> None:
    def exchange(sent: bytes, *, closed: bool = True, methods: tuple[str, ...] = ("GET",)) -> RawExchange:
        answers, interim, leftover = read_answers(sent, methods, final=closed)
        return RawExchange(tuple(answers), tuple(interim), leftover, closed, sent)

    pipelined = as_exchange(exchange(b"HTTP/1.1 100 \r\n\r\n" + OK + OK, methods=("GET", "GET")), 5.0)
    assert (pipelined.status, pipelined.body, pipelined.others) == (200, b"ok", ("100 before", "200 after"))
    bare = as_exchange(exchange(b"a bare body"), 5.0)
    assert (bare.error, bare.body) == (HTTP_09, b"a bare body")
    assert as_exchange(exchange(b""), 5.0).error == "closed the connection without an answer"
    assert as_exchange(exchange(b"", closed=False), 5.0).error == "no answer within 5 s, the connection still open"
    http2 = as_exchange(exchange(b"\x00\x00\x12\x04", closed=False), 5.0)
    assert (http2.error, http2.others) == ("no HTTP/1 answer", ("bytes that are no HTTP/1 answer",))


async def test_a_raw_case_is_sent_as_its_bytes() -> None:
    heard: list[bytes] = []

    def answer(data: bytes) -> bytes:
        heard.append(data)
        return b"HTTP/1.1 100 \r\n\r\n" + OK

    async with server(answer, close=True) as port:
        data = b"G(T /\xe9 HTTP/1.10\r\nX A: 1\r\n\r\n"
        exchange = await fetch_over_http("127.0.0.1", port, Case(RAW, "", raw=data), timeout=PATIENCE)
    assert heard == [data]
    assert (exchange.status, exchange.body, exchange.others) == (200, b"ok", ("100 before",))


@contextmanager
def never_accepting() -> Iterator[int]:
    """A port whose backlog is full: a new connection to it is neither accepted nor refused (the SYN is dropped)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        held = [socket.socket() for _ in range(3)]
        try:
            for pending in held:
                pending.setblocking(False)
                pending.connect_ex(("127.0.0.1", port))
            time.sleep(0.1)  # the handshakes that fit the backlog are done
            yield port
        finally:
            for pending in held:
                pending.close()


async def test_a_connection_never_accepted_ends_at_the_timeout() -> None:
    with never_accepting() as port:
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            await exchange_raw("127.0.0.1", port, b"GET / HTTP/1.1\r\n\r\n", patience=1.0, quiet=0.1, timeout=1.0)
        assert time.monotonic() - started < PATIENCE / 2
        exchange = await fetch_over_http("127.0.0.1", port, Case(RAW, "", raw=b"GET /\r\n"), timeout=1.0)
    assert exchange.error == "no connection within 1 s"


async def test_bytes_a_server_never_reads_are_given_up_on_at_the_timeout() -> None:
    async with server(lambda _: None, close=False) as port:  # it reads 64 KiB, then nothing: the rest fills the buffers
        started = time.monotonic()
        exchange = await exchange_raw("127.0.0.1", port, b"x" * 32_000_000, patience=1.0, quiet=0.1, timeout=1.0)
        took = time.monotonic() - started
    assert (exchange.answers, exchange.closed) == ((), False) and took < PATIENCE / 2
