"""HTTPS and HTTP/2: `greeter --certfile --keyfile`, checked with an HTTP/2 client against the app's own answers."""

from __future__ import annotations

import json
import ssl

import httpx
import pytest
from conftest import (
    GREETER_READY,
    KEEP_ALIVE_LIMITS,
    Certificate,
    Fetch,
    Server,
    StartServer,
    command_path,
    fetcher,
    scaled,
)

from greeter import create_app

HTTP_TIMEOUT = scaled(10.0)
ROUTES = ["/", "/index", "/hello/", "/hello/Ann%20%3Cb%3E", "/hail/", "/greet/", "/wait/0.5", "/wait/-1", "/nowhere"]
SAME_HEADERS = (
    "content-type",
    "content-security-policy",
    "x-content-type-options",
    "x-frame-options",
    "referrer-policy",
)


@pytest.fixture
def https_server(start_server: StartServer, self_signed: Certificate) -> Server:
    argv = [
        command_path("greeter"),
        "0",
        "--certfile",
        str(self_signed.certfile),
        "--keyfile",
        str(self_signed.keyfile),
    ]
    return start_server(argv, GREETER_READY)


def http2_client(server: Server, certificate: Certificate) -> httpx.AsyncClient:
    trust = ssl.create_default_context(cafile=str(certificate.certfile))  # this certificate, and nothing else
    return httpx.AsyncClient(
        limits=KEEP_ALIVE_LIMITS, base_url=server.base_url, http2=True, verify=trust, timeout=HTTP_TIMEOUT
    )


async def test_the_banner_says_https(https_server: Server) -> None:
    assert https_server.base_url.startswith("https://127.0.0.1:")


@pytest.mark.parametrize("path", ROUTES)
async def test_every_route_over_http2_answers_as_the_app_does(
    https_server: Server, self_signed: Certificate, path: str
) -> None:
    fetch: Fetch = fetcher(create_app())
    expected = await fetch(path)
    async with http2_client(https_server, self_signed) as http:
        response = await http.get(path)
    assert response.http_version == "HTTP/2"
    assert response.status_code == expected.status
    assert response.text == expected.text
    for name in SAME_HEADERS:
        assert response.headers.get(name) == expected.headers.get(name), name


async def test_redirects_keep_the_https_scheme(https_server: Server, self_signed: Certificate) -> None:
    async with http2_client(https_server, self_signed) as http:
        response = await http.get("/hello?x=1")
    assert response.http_version == "HTTP/2"
    assert response.status_code == 308
    assert response.headers["location"] == f"{https_server.base_url}/hello/?x=1"


async def test_the_live_stream_over_http2(https_server: Server, self_signed: Certificate) -> None:
    async with http2_client(https_server, self_signed) as http, http.stream("GET", "/process/stream") as response:
        assert response.http_version == "HTTP/2"
        assert response.headers["content-type"].startswith("text/event-stream")
        async for line in response.aiter_lines():
            if line.startswith("data: "):
                assert json.loads(line.removeprefix("data: "))["pid"] == https_server.process.pid
                break


async def test_a_client_that_does_not_trust_the_certificate_is_refused(https_server: Server) -> None:
    async with httpx.AsyncClient(
        limits=KEEP_ALIVE_LIMITS, base_url=https_server.base_url, timeout=HTTP_TIMEOUT
    ) as http:
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            await http.get("/")
    # and the server goes on serving
    assert https_server.process.poll() is None
