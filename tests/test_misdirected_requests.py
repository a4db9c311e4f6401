"""GREETER_PREFIX_USER: a request whose forwarded prefix names another account gets 421, in both apps.

On the course server the web server names the URL's account in X-Forwarded-Prefix (/~ann/greeter); a request
for eve's URL that reached bob's greeter came through a link in eve's folder to bob's socket, and is refused.
`greeter --socket` sets the setting to the account that runs it (test_course_scene.py runs the trick for real).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest
from conftest import Fetch

from greeter import create_app
from greeter.flask_twin import create_flask_app
from greeter.shared.forwarding import misdirected_problem
from greeter.shared.settings import SettingsError

BOBS = {"PROXY_HOPS": 1, "PREFIX_USER": "bob"}
PATHS = ["/", "/hello", "/hello/", "/hello/Ann", "/greet/", "/process/", "/no/such/page", "/wait/abc"]


def through(prefix: str) -> dict[str, str]:
    return {"X-Forwarded-Prefix": prefix, "X-Forwarded-Proto": "https", "X-Forwarded-Host": "course.example"}


@pytest.mark.parametrize("path", PATHS)
async def test_another_accounts_prefix_gets_421_and_no_page(make_fetch: Callable[..., Fetch], path: str) -> None:
    answer = await make_fetch(BOBS)(path, headers=through("/~eve/greeter"))
    assert answer.status == 421
    assert answer.text == (
        "Misdirected Request: the web server brought a request for /~eve/greeter/ to bob's greeter,"
        " which answers only for bob.\n"
    )
    assert answer.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert "Location" not in answer.headers  # refused before routing's redirect
    assert answer.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("prefix", ["/~bob/greeter", "/~bob", "/~bob/", "/course/bob", ""])
async def test_its_own_prefix_and_prefixes_naming_no_account_are_served(
    make_fetch: Callable[..., Fetch], prefix: str
) -> None:
    answer = await make_fetch(BOBS)("/hello/", headers=through(prefix) if prefix else {})
    assert (answer.status, answer.text) == (200, "Greetings and Felicitations")


async def test_without_the_setting_any_prefix_is_served(make_fetch: Callable[..., Fetch]) -> None:
    answer = await make_fetch({"PROXY_HOPS": 1})("/", headers=through("/~eve/greeter"))
    assert answer.text == "Hello World!"


async def test_an_unbelieved_prefix_is_no_prefix(make_fetch: Callable[..., Fetch]) -> None:
    # without a believed proxy, the header is anyone's word: neither served under it nor refused for it
    answer = await make_fetch({"PREFIX_USER": "bob"})("/", headers=through("/~eve/greeter"))
    assert answer.text == "Hello World!"


async def test_the_refusal_is_one_line_in_the_owners_log(
    make_fetch: Callable[..., Fetch], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        await make_fetch(BOBS)("/hello/", headers=through("/~eve/greeter"))
    refusals = [record.getMessage() for record in caplog.records if "421" in record.getMessage()]
    assert refusals == [
        "421 for GET /hello/: the web server brought a request for /~eve/greeter/ to bob's greeter,"
        " which answers only for bob."
    ]


def test_a_prefix_that_cannot_be_said_back_is_not() -> None:
    problem = misdirected_problem("/~eve<script>/greeter", "bob")
    assert problem is not None and "<" not in problem and "another account's URL" in problem


@pytest.mark.parametrize("factory", [create_app, create_flask_app])
@pytest.mark.parametrize("value", ["a b", "ann/bob", "<b>", "[1]", "true"])
def test_an_unusable_account_name_is_one_sentence(
    factory: Callable[..., object], monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("GREETER_PREFIX_USER", value)
    with pytest.raises(SettingsError, match="GREETER_PREFIX_USER must be an account name, such as 'ann', not "):
        factory()


@pytest.mark.parametrize("factory", [create_app, create_flask_app])
@pytest.mark.parametrize(("value", "setting"), [("", None), ("ann", "ann"), ("41101", "41101")])
def test_the_setting_from_the_environment(
    factory: Callable[..., object], monkeypatch: pytest.MonkeyPatch, value: str, setting: str | None
) -> None:
    monkeypatch.setenv("GREETER_PREFIX_USER", value)
    assert factory().config["PREFIX_USER"] == setting  # type: ignore[attr-defined]
