"""GREETER_TRUSTED_HOSTS: a Host outside the list gets 400 in both apps, and never reaches a Location header."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from conftest import Fetch

from greeter.security import UNTRUSTED_HOST_MESSAGE

TRUSTED = {"TRUSTED_HOSTS": ["greeter.example", ".course.example"]}
PATHS = ["/", "/hello", "/hello/", "/hello/Ann", "/greet/", "/process/", "/no/such/page", "/wait/abc"]


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("host", ["evil.example", "greeter.example.evil", "course.example.evil:80", "", "a b"])
async def test_other_hosts_get_400_and_no_location(make_fetch: Callable[..., Fetch], path: str, host: str) -> None:
    answer = await make_fetch(TRUSTED)(path, headers={"Host": host})
    assert answer.status == 400
    assert answer.text == UNTRUSTED_HOST_MESSAGE
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
