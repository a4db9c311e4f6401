"""What a believed proxy may say, in both apps: X-Forwarded-Proto http or https, X-Forwarded-Prefix an absolute,
canonical path (greeter/shared/forwarding.py). A prefix is read as a browser resolves it, so another account's URL
written otherwise (`//~eve`, `/%7Eeve`, `/~ann/../~eve`) is still a 421, and the rest that is not plain a 400,
before any redirect."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

import pytest
from conftest import DOCS, Fetch

from greeter.shared.forwarding import NOT_A_CANONICAL_PREFIX, NOT_HTTP, resolved_prefix

ANNS = {"PROXY_HOPS": 1, "PREFIX_USER": "ann"}
EVES_OTHERWISE = ["//~eve", "/%7Eeve", "/%7eeve", "/./~eve", "/%2e/~eve", "/~ann/../~eve", "/~ann/%2e%2e/~eve"]


def misdirected(prefix: str) -> str:
    return (
        f"Misdirected Request: the web server brought a request for {prefix}/ to ann's greeter,"
        " which answers only for ann.\n"
    )


@pytest.mark.parametrize("prefix", [*EVES_OTHERWISE, "/\\~eve", "/~ann//../../~eve/greeter"])
@pytest.mark.parametrize("path", ["/hello", "/hello/"])
async def test_another_accounts_prefix_written_otherwise_is_421(
    make_fetch: Callable[..., Fetch], prefix: str, path: str
) -> None:
    answer = await make_fetch(ANNS)(path, headers={"X-Forwarded-Prefix": prefix})
    assert answer.status == 421
    assert "Location" not in answer.headers
    assert answer.text.startswith("Misdirected Request: the web server brought a request for ")


async def test_a_plain_prefix_is_said_back_and_an_encoded_one_is_not(make_fetch: Callable[..., Fetch]) -> None:
    fetch = make_fetch(ANNS)
    assert (await fetch("/", headers={"X-Forwarded-Prefix": "//~eve"})).text == misdirected("//~eve")
    assert (await fetch("/", headers={"X-Forwarded-Prefix": "/%7Eeve"})).text == misdirected("another account's URL")


@pytest.mark.parametrize(
    "prefix", ["abc", "~eve", "abc/def", "/~ann/./greeter", "/~ann//greeter", "/~ann/x/../greeter", "/%7Eann", "/a b"]
)
@pytest.mark.parametrize("config", [ANNS, {"PROXY_HOPS": 1}])
async def test_a_prefix_that_is_not_absolute_and_canonical_is_400(
    make_fetch: Callable[..., Fetch], prefix: str, config: dict[str, object]
) -> None:
    answer = await make_fetch(config)("/hello", headers={"X-Forwarded-Prefix": prefix})
    assert (answer.status, answer.text) == (400, NOT_A_CANONICAL_PREFIX)
    assert "Location" not in answer.headers
    assert answer.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("prefix", ["/~ann/greeter", "/~ann/greeter/", "/course/ann", "/"])
async def test_a_canonical_prefix_is_served(make_fetch: Callable[..., Fetch], prefix: str) -> None:
    answer = await make_fetch(ANNS)("/hello", headers={"X-Forwarded-Prefix": prefix})
    assert answer.status == 308
    assert answer.headers["Location"] == f"http://localhost{prefix.rstrip('/')}/hello/"


@pytest.mark.parametrize("proto", ["javascript", "gopher", "https, gopher", "ftp", "http:"])
async def test_a_scheme_other_than_http_or_https_is_400(make_fetch: Callable[..., Fetch], proto: str) -> None:
    answer = await make_fetch({"PROXY_HOPS": 1})("/hello", headers={"X-Forwarded-Proto": proto})
    assert (answer.status, answer.text) == (400, NOT_HTTP)
    assert "Location" not in answer.headers


@pytest.mark.parametrize(("proto", "scheme"), [("https", "https"), ("http", "http"), ("gopher, https", "https")])
async def test_http_and_https_are_believed(make_fetch: Callable[..., Fetch], proto: str, scheme: str) -> None:
    answer = await make_fetch({"PROXY_HOPS": 1})("/hello", headers={"X-Forwarded-Proto": proto})
    assert answer.headers["Location"] == f"{scheme}://localhost/hello/"


async def test_without_a_believed_proxy_the_headers_change_nothing(make_fetch: Callable[..., Fetch]) -> None:
    forged = {"X-Forwarded-Proto": "javascript", "X-Forwarded-Prefix": "abc"}
    answer = await make_fetch({"PREFIX_USER": "ann"})("/hello", headers=forged)
    assert answer.headers["Location"] == "http://localhost/hello/"


@pytest.mark.parametrize(
    ("headers", "line"),
    [
        ({"X-Forwarded-Prefix": "abc"}, "400 for GET /hello: " + " ".join(NOT_A_CANONICAL_PREFIX.split()[2:])),
        ({"X-Forwarded-Proto": "javascript"}, "400 for GET /hello: " + " ".join(NOT_HTTP.split()[2:])),
    ],
)
async def test_each_refusal_is_one_line_in_the_log(
    make_fetch: Callable[..., Fetch], caplog: pytest.LogCaptureFixture, headers: dict[str, str], line: str
) -> None:
    with caplog.at_level(logging.WARNING):
        await make_fetch({"PROXY_HOPS": 1})("/hello", headers=headers)
    assert [record.getMessage() for record in caplog.records if record.getMessage().startswith("400")] == [line]


@pytest.mark.parametrize(
    ("prefix", "resolved"),
    [
        ("/~ann/greeter", "/~ann/greeter"),
        ("//~eve", "/~eve"),
        ("/%7Eeve/%67", "/~eve/g"),
        ("/%2F~eve", "/%2F~eve"),  # an encoded slash is not a slash: not plain, so refused, but never decoded
        ("/a/./b/../../c", "/c"),
        ("/../../~eve", "/~eve"),
        ("/a\\b", "/a/b"),
    ],
)
def test_a_prefix_is_resolved_as_a_browser_would(prefix: str, resolved: str) -> None:
    assert resolved_prefix(prefix) == resolved


def test_the_security_section_quotes_the_refusals() -> None:
    quoted = re.findall(r"^  Bad Request: the proxy's .*$", (DOCS / "production.md").read_text(), re.MULTILINE)
    assert [line.strip() + "\n" for line in quoted] == [NOT_HTTP, NOT_A_CANONICAL_PREFIX]


# Werkzeug's ProxyFix ignores an empty value and an empty item of the list; Hypercorn's middleware took "" as one
@pytest.mark.parametrize(
    ("proto", "hops", "scheme"),
    [
        ("", 1, "http"),
        (" ", 1, "http"),
        ("https, ", 1, "https"),
        ("gopher,,https", 1, "https"),
        ("https, , gopher", 2, "https"),
    ],
)
async def test_an_empty_scheme_is_no_hop(make_fetch: Callable[..., Fetch], proto: str, hops: int, scheme: str) -> None:
    answer = await make_fetch({"PROXY_HOPS": hops})("/hello", headers={"X-Forwarded-Proto": proto})
    assert (answer.status, answer.headers["Location"]) == (308, f"{scheme}://localhost/hello/")


@pytest.mark.parametrize(
    ("header", "value", "location"),
    [
        ("X-Forwarded-Host", "", "http://localhost/hello/"),
        ("X-Forwarded-Host", "example.org, ", "http://example.org/hello/"),
        ("X-Forwarded-Prefix", "/~ann/greeter, ", "http://localhost/~ann/greeter/hello/"),
    ],
)
async def test_an_empty_host_or_prefix_is_no_hop(
    make_fetch: Callable[..., Fetch], header: str, value: str, location: str
) -> None:
    answer = await make_fetch(ANNS)("/hello", headers={header: value})
    assert (answer.status, answer.headers["Location"]) == (308, location)
