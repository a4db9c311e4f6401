"""Hypercorn's settings from a TOML file, checked: Hypercorn itself takes a misspelt key without a word."""

from __future__ import annotations

import inspect
import ssl
import tomllib
from collections.abc import Mapping
from pathlib import Path

from hypercorn.config import Config

from greeter.shared.errors import GreeterError

# Quart runs on asyncio's API: Hypercorn's trio workers cannot serve it; uvloop is a faster asyncio loop
WORKER_CLASSES = ("asyncio", "uvloop")
_MISSING = object()


class ConfigError(GreeterError):
    """A config file that cannot be used: one sentence naming the file and what is wrong, exit status 2."""


def is_hypercorn_setting(name: str) -> bool:
    """Whether a TOML key sets something: a public value or a property with a setter, never a method."""
    if name.startswith("_"):
        return False
    attribute = inspect.getattr_static(Config, name, _MISSING)
    if isinstance(attribute, property):
        return attribute.fset is not None  # Config.from_mapping skips read-only ones without a word
    return attribute is not _MISSING and not callable(attribute) and not isinstance(attribute, classmethod)


def value_problem(name: str, value: object) -> str | None:
    """Why a value cannot be right for a setting whose default is a plain bool, number or string, if it cannot."""
    default = getattr(Config(), name)
    if isinstance(default, bool):
        expected: tuple[type, ...] = (bool,)
    elif isinstance(default, int | float):
        expected = (int, float)
    elif isinstance(default, str):
        expected = (str,)
    else:
        return None  # a list, or a setting that may be None: Hypercorn takes several types there
    if isinstance(value, expected) and (bool in expected or not isinstance(value, bool)):
        return None
    return f"{name} should be {' or '.join(kind.__name__ for kind in expected)}, not {type(value).__name__}"


def unknown_config_keys(settings: Mapping[str, object]) -> list[str]:
    """Keys that are not Hypercorn settings: Hypercorn itself would ignore them, or break, without a word."""
    return sorted(key for key in settings if not is_hypercorn_setting(key))


def load_hypercorn_config(path: Path) -> Config:
    """Read a hypercorn.toml, refusing a missing file, bad TOML and unknown keys with one sentence each."""
    try:
        with path.open("rb") as file:
            settings = tomllib.load(file)
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist") from None
    except OSError as error:
        raise ConfigError(f"cannot read config file {path}: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"config file {path} is not valid TOML: {error}") from None
    unknown = unknown_config_keys(settings)
    if unknown:
        names = ", ".join(unknown)
        raise ConfigError(f"config file {path} has keys that are not Hypercorn settings: {names}")
    problems = [problem for key, value in settings.items() if (problem := value_problem(key, value))]
    worker_class = settings.get("worker_class", "asyncio")
    if worker_class not in WORKER_CLASSES:
        problems.append(f"worker_class {worker_class!r} cannot run Quart; use {' or '.join(WORKER_CLASSES)}")
    if settings.get("quic_bind"):  # greeter's serving loop (greeter/server/serving_loop.py) serves TCP only
        problems.append("quic_bind asks for HTTP/3, which greeter does not serve; leave it out")
    if problems:
        raise ConfigError(f"config file {path} has a wrong value: {'; '.join(problems)}")
    return Config.from_mapping(settings)


def use_tls(config: Config, certfile: Path | None, keyfile: Path | None) -> None:
    """Serve HTTPS (and HTTP/2, by ALPN) with the command line's certificate and key, checked before serving."""
    if (certfile is None) != (keyfile is None):
        raise ConfigError("HTTPS needs both --certfile and --keyfile")
    if certfile is not None and keyfile is not None:
        config.certfile, config.keyfile = str(certfile), str(keyfile)
    if not config.ssl_enabled:
        return
    try:
        config.create_ssl_context()  # what each worker does at start: a bad file fails here, in one sentence
    except ssl.SSLError:  # an OSError too, so caught first
        reason = "they are not a PEM certificate and its private key"
    except OSError as error:
        reason = error.strerror or str(error)
    else:
        return
    raise ConfigError(f"cannot serve HTTPS with certificate {config.certfile} and key {config.keyfile}: {reason}")
