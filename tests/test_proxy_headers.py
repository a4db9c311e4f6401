"""GREETER_PROXY_HOPS: X-Forwarded-* headers are believed from that many proxies, and without it not at all."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from conftest import Fetch, fetcher

from greeter import create_app
from greeter.plumbing.proxy import trusted_value

FORWARDED = {
    "X-Forwarded-For": "198.51.100.66, 203.0.113.7",  # a value the client forged, then what the proxy saw
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "public.example",
    "X-Forwarded-Prefix": "/~student/greeter",
}
REQUEST_ROW = re.compile(r'data-figure="client">([^<]*)</span> to <span data-figure="url_root">([^<]*)<')


async def seen_by_the_app(fetch: Fetch) -> tuple[str, str]:
    """The client address and root URL the /process/ page says the app saw."""
    answer = await fetch("/process/", headers=FORWARDED)
    match = REQUEST_ROW.search(answer.text)
    assert match, answer.text
    return match[1], match[2]


async def test_without_hops_forged_headers_change_nothing(make_fetch: Callable[..., Fetch]) -> None:
    fetch = make_fetch()
    redirect = await fetch("/hello?q=1", headers=FORWARDED)
    assert redirect.headers["Location"] == "http://localhost/hello/?q=1"
    client, root = await seen_by_the_app(fetch)
    assert root == "http://localhost/"
    assert client not in FORWARDED["X-Forwarded-For"]


async def test_one_hop_believes_the_nearest_proxy(make_fetch: Callable[..., Fetch]) -> None:
    fetch = make_fetch({"PROXY_HOPS": 1})
    redirect = await fetch("/hello?q=1", headers=FORWARDED)
    assert redirect.status == 308
    assert redirect.headers["Location"] == "https://public.example/~student/greeter/hello/?q=1"
    assert await seen_by_the_app(fetch) == ("203.0.113.7", "https://public.example/~student/greeter/")
    # the prefix is the proxy's: routing still sees the app's own paths
    assert (await fetch("/hello/Ann", headers=FORWARDED)).text == "Hello Ann, nice to meet you!"


async def test_two_hops_reach_further_back_only_where_two_proxies_spoke(make_fetch: Callable[..., Fetch]) -> None:
    fetch = make_fetch({"PROXY_HOPS": 2})
    # only X-Forwarded-For has two values: the other headers name one proxy, not two, so they are not believed
    assert await seen_by_the_app(fetch) == ("198.51.100.66", "http://localhost/")


async def test_the_live_stream_link_keeps_the_prefix() -> None:
    # the Quart app's page only: the twin has no stream to link
    answer = await fetcher(create_app({"TESTING": True, "PROXY_HOPS": 1}))("/process/", headers=FORWARDED)
    assert 'data-stream="/~student/greeter/process/stream"' in answer.text


@pytest.mark.parametrize(
    ("values", "hops", "expected"),
    [
        ([b"a"], 1, "a"),
        ([b"a, b"], 1, "b"),
        ([b"a, b"], 2, "a"),
        ([b"a", b"b"], 1, "b"),  # the same header twice counts as one list
        ([b"a"], 2, None),  # fewer values than hops: the header came from the client, not our proxies
        ([b"a"], 0, None),
        ([], 1, None),
    ],
)
def test_trusted_value(values: list[bytes], hops: int, expected: str | None) -> None:
    headers = [(b"x-forwarded-prefix", value) for value in values] + [(b"host", b"example")]
    assert trusted_value(headers, b"x-forwarded-prefix", hops) == expected
