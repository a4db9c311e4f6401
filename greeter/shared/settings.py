"""The settings both apps share, and how they are loaded and checked (with no framework, too: `check_settings`)."""

from __future__ import annotations

import json
import math
import os
import re
import sys
from collections.abc import Mapping, MutableMapping
from contextlib import suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn

if TYPE_CHECKING:
    from flask.config import Config  # Quart's Config subclasses it, so one loader serves both apps

from greeter.shared.errors import GreeterError

# every key can be set from the environment as GREETER_<KEY>, e.g. GREETER_WAIT_MAX_SECONDS=30
DEFAULTS: Mapping[str, Any] = {
    "WAIT_MAX_SECONDS": 10.0,  # /wait/<seconds> refuses longer waits with 400
    "PROCESS_TICK_SECONDS": 1.0,  # how often /process/stream sends the figures
    "STREAM_MAX_VIEWERS": 20_000,  # live streams one process keeps open; past this, 503 with Retry-After
    "PROXY_HOPS": 0,  # reverse proxies in front whose X-Forwarded-* headers are believed; 0: none are
    "TRUSTED_HOSTS": None,  # Host names served, e.g. "example.org,.example.org"; other hosts get 400. None: any
    # the account whose URLs (/~ann/...) this greeter answers: a prefix naming another gets 421. None or "": any.
    # `greeter --socket` sets it to the account that runs it (greeter/server/serve.py)
    "PREFIX_USER": None,
    "BLOCKED_LOOP_SECONDS": 0.5,  # an event loop held longer by a view is named in one log line; 0: no line
}
ENV_PREFIX = "GREETER"
SERVED_HOSTS = "SERVED_HOSTS"  # where the checked TRUSTED_HOSTS list ends up: greeter.shared.security reads it
# what an account name may hold, as far as a URL prefix goes: no slash, no white space, no markup
ACCOUNT_NAME_CHARACTERS = re.compile(r"[A-Za-z0-9_.$-]{1,64}")


class SettingsError(GreeterError):
    """A setting that cannot be used: one sentence naming it, exit status 2."""


@dataclass(frozen=True)
class NumberRange:
    """The values a numeric setting may take, and how a person would say what it is."""

    what: str  # "a number of seconds", "a whole number of viewers"
    low: float
    high: float
    whole: bool = False

    def check(self, key: str, value: object) -> float | int:
        """The value, if it is a number of the right kind within the range; else one sentence naming the setting."""
        # bool is an int to Python, and JSON's NaN and Infinity parse as floats: none of them is a setting
        if isinstance(value, bool) or not isinstance(value, int | float) or (self.whole and not isinstance(value, int)):
            number = None
        else:
            number = value if self.whole else float(value)
        if number is not None and math.isfinite(number) and self.low <= number <= self.high:
            return number
        shown = value if len(repr(value)) <= 40 else f"{repr(value)[:40]}..."
        raise SettingsError(
            f"GREETER_{key} must be {self.what} from {_plain(self.low)} to {_plain(self.high)}, not {shown!r}."
        )


def _plain(number: float) -> str:
    """3,600 and 0.05, as a person writes them."""
    return f"{int(number):,}" if float(number).is_integer() else f"{number:g}"


NUMBER_RANGES: Mapping[str, NumberRange] = {
    # an hour: past that, a client or proxy in between gives up anyway
    "WAIT_MAX_SECONDS": NumberRange("a number of seconds", 0, 3_600),
    # below a twentieth of a second the stream is a flood, at full CPU, that no eye can follow
    "PROCESS_TICK_SECONDS": NumberRange("a number of seconds", 0.05, 3_600),
    # 0 turns the stream off; a million open streams is far past what one process can hold
    "STREAM_MAX_VIEWERS": NumberRange("a whole number of viewers", 0, 1_000_000, whole=True),
    # more proxies than that in front of one app is a mistake, not a deployment
    "PROXY_HOPS": NumberRange("a whole number of proxies", 0, 10, whole=True),
    # 0 turns the line off; a loop held for a minute has long been noticed by everyone waiting on it
    "BLOCKED_LOOP_SECONDS": NumberRange("a number of seconds", 0, 60),
}


def refuse(error: SettingsError) -> NoReturn:
    """Stop the process as for any other bad config: one sentence on stderr, exit status 2, no traceback."""
    print(f"greeter: {error}", file=sys.stderr)
    raise SystemExit(2)


def configure(config: Config | PlainConfig, test_config: Mapping[str, Any] | None) -> None:
    """Load the defaults, then the GREETER_* environment, then the test config (which wins); then check them."""
    config.from_mapping(DEFAULTS)
    config.from_prefixed_env(ENV_PREFIX)
    if test_config is not None:
        config.from_mapping(test_config)
    for key, allowed in NUMBER_RANGES.items():
        config[key] = allowed.check(key, config[key])
    if config["DEBUG"] is not None and not isinstance(config["DEBUG"], bool):  # None: the framework's default
        raise SettingsError(f"GREETER_DEBUG must be true or false, not {config['DEBUG']!r}.")
    # kept under another key: Flask 3.1 would also run its own TRUSTED_HOSTS check (Quart has none), and
    # that one is case-sensitive, so the twin would answer Host: Example.org differently from the Quart app
    config[SERVED_HOSTS] = _trusted_hosts(config["TRUSTED_HOSTS"])
    config["TRUSTED_HOSTS"] = None
    config["PREFIX_USER"] = _prefix_user(config["PREFIX_USER"])


class PlainConfig(dict[str, Any]):
    """The two loaders `configure` uses, as Flask 3.1's Config has them (flask/config.py, from_mapping and
    from_prefixed_env), on a plain dict: so the settings can be checked by a process that imports no framework,
    the `greeter --reload` supervisor. tests/test_settings.py checks it loads what Flask's loads."""

    def from_mapping(self, mapping: Mapping[str, Any]) -> bool:
        self.update((key, value) for key, value in mapping.items() if key.isupper())
        return True

    def from_prefixed_env(self, prefix: str = "FLASK") -> bool:
        prefix = f"{prefix}_"
        for name in sorted(os.environ):
            if not name.startswith(prefix):
                continue
            value: Any = os.environ[name]
            with suppress(Exception):  # not JSON: kept as the string, as Flask keeps it
                value = json.loads(value)
            current: MutableMapping[str, Any] = self
            *parts, tail = name.removeprefix(prefix).split("__")  # FLASK_A__B sets config["A"]["B"]
            for part in parts:
                current = current.setdefault(part, {})
            current[tail] = value
        return True


def check_settings() -> None:
    """Every GREETER_* setting checked exactly as create_app checks it, importing no framework: SettingsError if one
    cannot be used. Anything else that keeps the app from starting is for the worker that builds it to find."""
    configure(PlainConfig(DEBUG=None), None)  # DEBUG: the frameworks' default until GREETER_DEBUG says otherwise


def debug_setting() -> bool:
    """Whether GREETER_DEBUG turns debug mode on, as create_app reads it, importing no framework."""
    config = PlainConfig(DEBUG=None)
    configure(config, None)
    return config["DEBUG"] is True


def _trusted_hosts(value: object) -> list[str] | None:
    """None (any host), or the list of names: from the environment a comma-separated string or a JSON list."""
    if value is None:
        return None
    names = value.split(",") if isinstance(value, str) else value
    if isinstance(names, list) and all(isinstance(name, str) for name in names):
        cleaned = [name.strip().lower() for name in names if name.strip()]
        if cleaned:
            return cleaned
    raise SettingsError(
        f"GREETER_TRUSTED_HOSTS must name one host or more, such as 'example.org,.example.org', not {value!r}."
    )


def _prefix_user(value: object) -> str | None:
    """None (any prefix is answered), or the account name a prefix of the form /~name must carry."""
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool):  # a name of digits, parsed as JSON from the environment
        value = str(value)
    if isinstance(value, str) and ACCOUNT_NAME_CHARACTERS.fullmatch(value):
        return value
    raise SettingsError(f"GREETER_PREFIX_USER must be an account name, such as 'ann', not {value!r}.")
