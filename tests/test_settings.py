"""Settings: defaults, then GREETER_* from the environment, then the test config; the same for both apps."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from quart import Quart

from greeter import create_app
from greeter.flask_twin import create_flask_app
from greeter.settings import DEFAULTS


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
