"""The corpus through the two frameworks' own test clients: no server, no sockets, fast enough for every test run.

Each request reaches the app as its server would pass it on: the path percent-decoded, the query string as sent,
the same headers and body as over HTTP. Cookies are the sequence's (greeter/tools/compare/cookies.py), never the
test clients' own: make the clients with `use_cookies=False`.
"""

from __future__ import annotations

import asyncio
import io

from flask.testing import FlaskClient
from quart.testing import QuartClient
from quart.testing.connections import TestHTTPConnection as HTTPConnection
from werkzeug.datastructures import Headers
from werkzeug.test import EnvironBuilder

from greeter.tools.compare.case import Case
from greeter.tools.compare.cookies import Browser
from greeter.tools.compare.exchange import Exchange, first_event, no_answer, request_headers

ORIGIN = "http://localhost"  # where both test clients say they are


async def fetch_from_quart(client: QuartClient, case: Case, timeout: float, browser: Browser | None = None) -> Exchange:
    """One case through Quart's test client; a stream is read up to its first event, then left."""
    try:
        async with asyncio.timeout(timeout):
            answer = await _quart_exchange(client, case, browser)
    except TimeoutError:
        return no_answer(f"no complete answer within {timeout:g} s")
    if browser is not None:
        browser.keep(case.target, answer.headers)
    return answer


async def _quart_exchange(client: QuartClient, case: Case, browser: Browser | None) -> Exchange:
    headers = Headers(request_headers(case, None if browser is None else browser.cookie_header(case.target)))
    async with client.request(case.target, method=case.method, headers=headers) as connection:
        assert isinstance(connection, HTTPConnection)  # the protocol Quart's client declares names less
        if case.body:
            await connection.send(case.body)
        await connection.send_complete()
        body = await connection.receive()
        assert connection.status_code is not None and connection.headers is not None  # sent before any body
        answer_headers = tuple((name.lower(), value) for name, value in connection.headers.items())
        answer = Exchange(connection.status_code, answer_headers, body)
        if answer.is_stream and case.method != "HEAD":  # the app sends a HEAD answer no events
            while (event := first_event(body)) is None:
                body += await connection.receive()
            await connection.disconnect()
            return Exchange(answer.status, answer_headers, event)
    body += connection.response_data  # the rest, collected when the app finished
    # Hypercorn sends no body with a HEAD answer, whatever the app gives it; the test client keeps it
    return Exchange(answer.status, answer_headers, b"" if case.method == "HEAD" else body)


def fetch_from_flask(client: FlaskClient, case: Case, browser: Browser | None = None) -> Exchange:
    """One case through Flask's test client, with the path and query string exactly as sent."""
    headers = request_headers(case, None if browser is None else browser.cookie_header(case.target))
    builder = EnvironBuilder(
        method=case.method,
        query_string=case.query,
        headers=headers,
        input_stream=io.BytesIO(case.body) if case.body else None,
    )
    # set after construction: the constructor would read a target starting with // as a host name
    builder.path = case.path
    builder.request_uri = case.target
    response = client.open(builder)
    try:
        answer_headers = tuple((name.lower(), value) for name, value in response.headers.items())
        if browser is not None:
            browser.keep(case.target, answer_headers)
        return Exchange(response.status_code, answer_headers, response.get_data())
    finally:
        response.close()  # a file's answer (send_file, static) holds it open until closed, as a server closes it
