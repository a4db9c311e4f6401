"""The shipped hypercorn.toml: every key is a real Hypercorn setting, and a bad file is refused clearly."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from hypercorn.config import Config

from greeter.server.hypercorn_config import (
    ConfigError,
    is_hypercorn_setting,
    load_hypercorn_config,
    unknown_config_keys,
)
from greeter.shared.paths import HYPERCORN_TOML


def test_every_key_is_a_hypercorn_setting() -> None:
    settings = tomllib.loads(HYPERCORN_TOML.read_text())
    assert settings, "hypercorn.toml is empty"
    for key, value in settings.items():
        # Hypercorn would ignore a misspelt key without a word: check against Config itself
        assert hasattr(Config(), key), f"hypercorn.toml: {key} is not a hypercorn.config.Config attribute"
        assert is_hypercorn_setting(key), f"hypercorn.toml: {key} cannot be set"
        config = Config()
        setattr(config, key, value)
        assert getattr(config, key) == value


def test_the_shipped_file_is_the_one_in_the_checkout() -> None:
    assert Path(__file__).resolve().parent.parent / "hypercorn.toml" == HYPERCORN_TOML


def test_loads_with_its_values() -> None:
    config = load_hypercorn_config(HYPERCORN_TOML)
    settings = tomllib.loads(HYPERCORN_TOML.read_text())
    for key, value in settings.items():
        assert getattr(config, key) == value


def test_unknown_keys_are_named() -> None:
    settings = {"workers": 2, "bind": [], "graceful_timout": 1, "_bind": [], "ssl_enabled": True, "create_sockets": 1}
    assert unknown_config_keys(settings) == ["_bind", "create_sockets", "graceful_timout", "ssl_enabled"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("worker = 2\n", "has keys that are not Hypercorn settings: worker"),
        ("workers = \n", "is not valid TOML"),
        ("ssl_enabled = true\n", "has keys that are not Hypercorn settings: ssl_enabled"),
        ('workers = "two"\n', "has a wrong value: workers should be int or float, not str"),
        ("graceful_timeout = true\n", "has a wrong value: graceful_timeout should be int or float, not bool"),
        ("use_reloader = 1\n", "has a wrong value: use_reloader should be bool, not int"),
        # greeter's serving loop serves TCP only (greeter/server/serving_loop.py): refused, not silently ignored
        ('quic_bind = ["127.0.0.1:4433"]\n', "quic_bind asks for HTTP/3, which greeter does not serve"),
    ],
)
def test_bad_file_is_one_sentence(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message) as raised:
        load_hypercorn_config(path)
    assert "\n" not in str(raised.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_hypercorn_config(tmp_path / "nope.toml")
