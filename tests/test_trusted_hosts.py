"""GREETER_TRUSTED_HOSTS: a Host outside the list gets 400 in both apps, and never reaches a Location header."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest
from conftest import Fetch

from greeter.shared.security import MALFORMED_HOST, NO_HOST

TRUSTED = {"TRUSTED_HOSTS": ["greeter.example", ".course.example"]}
PATHS = ["/", "/hello", "/hello/", "/hello/Ann", "/greet/", "/process/", "/no/such/page", "/wait/abc"]


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("host", ["evil.example", "greeter.example.evil", "course.example.evil:80"])
async def test_other_hosts_get_400_and_no_location(make_fetch: Callable[..., Fetch], path: str, host: str) -> None:
    answer = await make_fetch(TRUSTED)(path, headers={"Host": host})
    assert answer.status == 400
    assert answer.text == f"Bad Request: this server does not answer for the host name '{host}'.\n"
    assert answer.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert "Location" not in answer.headers


@pytest.mark.parametrize("host", ["greeter.example", "greeter.example:8443", "www.course.example", "GREETER.EXAMPLE"])
async def test_listed_hosts_are_served(make_fetch: Callable[..., Fetch], host: str) -> None:
    fetch = make_fetch(TRUSTED)
    assert (await fetch("/", headers={"Host": host})).text == "Hello World!"
    redirect = await fetch("/hello?x=1", headers={"Host": host})
    assert redirect.status == 308
    assert redirect.headers["Location"] == f"http://{host.lower()}/hello/?x=1"


async def test_without_the_setting_every_host_is_served(make_fetch: Callable[..., Fetch]) -> None:
    answer = await make_fetch()("/hello", headers={"Host": "anything.example"})
    assert answer.status == 308


async def test_the_check_sees_the_forwarded_host_when_proxies_are_trusted(make_fetch: Callable[..., Fetch]) -> None:
    fetch = make_fetch({**TRUSTED, "PROXY_HOPS": 1})
    behind_proxy = {"Host": "127.0.0.1:8000", "X-Forwarded-Host": "greeter.example"}
    assert (await fetch("/", headers=behind_proxy)).status == 200
    forged = {"Host": "greeter.example", "X-Forwarded-Host": "evil.example"}
    assert (await fetch("/", headers=forged)).status == 400


@pytest.mark.parametrize("config", [{}, TRUSTED])
@pytest.mark.parametrize(
    ("host", "message"),
    [
        ("", NO_HOST),
        ("a b", MALFORMED_HOST),
        ("greeter.example:99999", MALFORMED_HOST),
        ("greeter.example:http", MALFORMED_HOST),
        ("<script>", MALFORMED_HOST),
        ("greeter.example/evil", MALFORMED_HOST),
    ],
)
async def test_a_missing_or_malformed_host_is_refused_with_or_without_the_list(
    make_fetch: Callable[..., Fetch], config: dict[str, list[str]], host: str, message: str
) -> None:
    answer = await make_fetch(config)("/hello", headers={"Host": host})
    assert (answer.status, answer.text) == (400, message)
    assert "Location" not in answer.headers


@pytest.mark.parametrize(
    "host", ["localhost:5000", "127.0.0.1", "[::1]:8080", "greeter.example", "xn--bcher-kva.example"]
)
async def test_well_formed_hosts_are_served_without_the_list(make_fetch: Callable[..., Fetch], host: str) -> None:
    assert (await make_fetch()("/", headers={"Host": host})).text == "Hello World!"


FORWARDED = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "greeter.example"}


@pytest.mark.parametrize("forwarded", ["X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host"])
async def test_behind_an_unbelieved_proxy_the_400_says_proxy_hops_may_be_missing(
    make_fetch: Callable[..., Fetch], caplog: pytest.LogCaptureFixture, forwarded: str
) -> None:
    # the proxy forwards to 127.0.0.1:2001; greeter, started without --proxy-hops, sees that as the host
    with caplog.at_level(logging.WARNING):
        answer = await make_fetch(TRUSTED)(
            "/hello", headers={"Host": "127.0.0.1:2001", forwarded: FORWARDED[forwarded]}
        )
    assert answer.status == 400
    assert answer.text == (
        "Bad Request: this server does not answer for the host name '127.0.0.1:2001'.\n"
        "The request came through a proxy whose X-Forwarded-* headers greeter does not believe:"
        " if one is in front, start greeter with --proxy-hops 1 (or GREETER_PROXY_HOPS=1).\n"
    )
    assert "Location" not in answer.headers
    refusals = [record.getMessage() for record in caplog.records if "400" in record.getMessage()]
    assert refusals == [
        "400 for GET /hello: this server does not answer for the host name '127.0.0.1:2001'. The request came"
        " through a proxy whose X-Forwarded-* headers greeter does not believe: if one is in front, start greeter"
        " with --proxy-hops 1 (or GREETER_PROXY_HOPS=1)."
    ]


async def test_an_untrusted_host_is_logged_in_one_line(
    make_fetch: Callable[..., Fetch], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        answer = await make_fetch(TRUSTED)("/", headers={"Host": "evil.example"})
    assert answer.status == 400
    refusals = [record.getMessage() for record in caplog.records if "400" in record.getMessage()]
    assert refusals == ["400 for GET /: this server does not answer for the host name 'evil.example'."]


async def test_a_believed_proxy_gets_no_hint(make_fetch: Callable[..., Fetch]) -> None:
    forged = {"Host": "greeter.example", "X-Forwarded-Host": "evil.example"}
    answer = await make_fetch({**TRUSTED, "PROXY_HOPS": 1})("/", headers=forged)
    assert answer.text == "Bad Request: this server does not answer for the host name 'evil.example'.\n"
