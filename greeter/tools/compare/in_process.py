"""The corpus through the two frameworks' own test clients: no server, no sockets, fast enough for every test run.

Each request reaches the app as its server would pass it on: the path percent-decoded, the query string as sent.
"""

from __future__ import annotations

import asyncio

from flask.testing import FlaskClient
from quart.testing import QuartClient
from quart.testing.connections import TestHTTPConnection as HTTPConnection
from werkzeug.test import EnvironBuilder

from greeter.tools.compare.corpus import Case
from greeter.tools.compare.exchange import Exchange, first_event, no_answer


async def fetch_from_quart(client: QuartClient, case: Case, timeout: float) -> Exchange:
    """One case through Quart's test client; a stream is read up to its first event, then left."""
    try:
        async with asyncio.timeout(timeout):
            return await _quart_exchange(client, case)
    except TimeoutError:
        return no_answer(f"no complete answer within {timeout:g} s")


async def _quart_exchange(client: QuartClient, case: Case) -> Exchange:
    async with client.request(case.target, method=case.method) as connection:
        assert isinstance(connection, HTTPConnection)  # the protocol Quart's client declares names less
        await connection.send_complete()
        body = await connection.receive()
        assert connection.status_code is not None and connection.headers is not None  # sent before any body
        headers = tuple((name.lower(), value) for name, value in connection.headers.items())
        answer = Exchange(connection.status_code, headers, body)
        if answer.is_stream and case.method != "HEAD":  # the app sends a HEAD answer no events
            while (event := first_event(body)) is None:
                body += await connection.receive()
            await connection.disconnect()
            return Exchange(answer.status, headers, event)
    body += connection.response_data  # the rest, collected when the app finished
    # Hypercorn sends no body with a HEAD answer, whatever the app gives it; the test client keeps it
    return Exchange(answer.status, headers, b"" if case.method == "HEAD" else body)


def fetch_from_flask(client: FlaskClient, case: Case) -> Exchange:
    """One case through Flask's test client, with the path and query string exactly as sent."""
    builder = EnvironBuilder(method=case.method, query_string=case.query)
    # set after construction: the constructor would read a target starting with // as a host name
    builder.path = case.path
    builder.request_uri = case.target
    response = client.open(builder)
    headers = tuple((name.lower(), value) for name, value in response.headers.items())
    return Exchange(response.status_code, headers, response.get_data())
