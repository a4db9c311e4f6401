"""Requests over real HTTP/1.1, sent exactly as the corpus writes them: no client normalises the path here."""

from __future__ import annotations

import asyncio

import h11

from greeter.tools.compare.case import Case
from greeter.tools.compare.cookies import Browser
from greeter.tools.compare.exchange import EVENT_STREAM, Exchange, first_event, no_answer, request_headers
from greeter.tools.compare.raw_case import fetch_raw

READ_SIZE = 65_536


async def fetch_over_http(host: str, port: int, case: Case, timeout: float, browser: Browser | None = None) -> Exchange:
    """Send one case on a new connection and return the answer; a stream is read up to its first event.

    With a browser, the request carries its cookies for the target, and it keeps those the answer sets. A raw
    case's bytes are sent as they are, and the answers read leniently (greeter/tools/compare/raw_case.py)."""
    if case.raw:
        return await fetch_raw(host, port, case.raw, timeout)
    try:
        async with asyncio.timeout(timeout):
            answer = await _exchange(host, port, case, browser)
    except TimeoutError:
        return no_answer(f"no complete answer within {timeout:g} s")
    except OSError as error:
        return no_answer(f"the connection failed: {error.strerror or error}")
    except h11.ProtocolError as error:
        return no_answer(f"the answer is not valid HTTP/1.1: {error}")
    if browser is not None:
        browser.keep(case.target, answer.headers)
    return answer


async def _exchange(host: str, port: int, case: Case, browser: Browser | None) -> Exchange:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        connection = h11.Connection(h11.CLIENT)
        cookie = None if browser is None else browser.cookie_header(case.target)
        headers = [] if case.header("Host") is not None else [("Host", f"{host}:{port}")]  # the case's own wins
        headers += [("Connection", "close"), *request_headers(case, cookie)]
        writer.write(connection.send(h11.Request(method=case.method, target=case.target, headers=headers)))
        if case.body:
            writer.write(connection.send(h11.Data(data=case.body)))
        writer.write(connection.send(h11.EndOfMessage()))
        await writer.drain()
        return await _read_answer(reader, connection)
    finally:
        writer.close()


async def _read_answer(reader: asyncio.StreamReader, connection: h11.Connection) -> Exchange:
    response: h11.Response | None = None
    body = bytearray()
    while True:
        event = connection.next_event()
        if event is h11.NEED_DATA:
            data = await reader.read(READ_SIZE)
            if not data and response is None:
                return no_answer("the server closed the connection without an answer")
            connection.receive_data(data)  # b"" tells h11 the server closed: the end of a body without a length
        elif isinstance(event, h11.Response):
            response = event
        elif isinstance(event, h11.Data):
            body += event.data
            if _content_type(response).startswith(EVENT_STREAM) and (event_data := first_event(bytes(body))):
                body[:] = event_data  # a stream never ends: its first event is its answer
                break
        elif isinstance(event, h11.EndOfMessage | h11.ConnectionClosed):
            break
        # an informational answer (1xx) comes before the real one: read on
    assert response is not None  # h11 gives the end of a message only after its start
    headers = tuple((name.decode("latin-1"), value.decode("latin-1")) for name, value in response.headers)
    return Exchange(response.status_code, headers, bytes(body))


def _content_type(response: h11.Response | None) -> str:
    if response is None:
        return ""
    return next((value.decode("latin-1") for name, value in response.headers if name == b"content-type"), "")
