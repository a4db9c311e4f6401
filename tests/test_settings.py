"""Settings: defaults, then GREETER_* from the environment, then the test config; the same for both apps."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from quart import Quart

from greeter import create_app
from greeter.flask_twin import create_flask_app
from greeter.settings import DEFAULTS, SERVED_HOSTS, SettingsError


@pytest.mark.parametrize("factory", [create_app, create_flask_app])
def test_defaults(factory: Callable[..., Quart | Flask], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GREETER_DEBUG", raising=False)
    app = factory()
    for key, value in DEFAULTS.items():
        assert app.config[key] == value
    assert app.debug is False


@pytest.mark.parametrize("factory", [create_app, create_flask_app])
def test_environment_then_test_config(factory: Callable[..., Quart | Flask], monkeypatch: pytest.MonkeyPatch) -> None:
    # how `greeter --debug` reaches the app, in this process and in every worker
    monkeypatch.setenv("GREETER_DEBUG", "true")
    monkeypatch.setenv("GREETER_WAIT_MAX_SECONDS", "2.5")
    app = factory()
    assert app.debug is True
    assert app.config["WAIT_MAX_SECONDS"] == 2.5
    assert factory({"WAIT_MAX_SECONDS": 1}).config["WAIT_MAX_SECONDS"] == 1


@pytest.mark.parametrize("factory", [create_app, create_flask_app])
def test_trusted_hosts_from_the_environment(
    factory: Callable[..., Quart | Flask], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GREETER_TRUSTED_HOSTS", " Greeter.example , .course.example,")
    app = factory()
    assert app.config[SERVED_HOSTS] == ["greeter.example", ".course.example"]
    assert app.config["TRUSTED_HOSTS"] is None  # Flask's own check stays off: the twin checks as the Quart app does


@pytest.mark.parametrize("factory", [create_app, create_flask_app])
@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        ("GREETER_PROXY_HOPS", "one", "GREETER_PROXY_HOPS must be a whole number"),
        ("GREETER_PROXY_HOPS", "-1", "GREETER_PROXY_HOPS must be a whole number"),
        ("GREETER_PROXY_HOPS", "1.5", "GREETER_PROXY_HOPS must be a whole number"),
        ("GREETER_PROXY_HOPS", "true", "GREETER_PROXY_HOPS must be a whole number"),
        ("GREETER_TRUSTED_HOSTS", ",", "GREETER_TRUSTED_HOSTS must name one host or more"),
        ("GREETER_TRUSTED_HOSTS", "[1, 2]", "GREETER_TRUSTED_HOSTS must name one host or more"),
    ],
)
def test_unusable_values_are_one_sentence(
    factory: Callable[..., Quart | Flask], monkeypatch: pytest.MonkeyPatch, name: str, value: str, words: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=words):
        factory()
