"""The settings both apps share, and how they are loaded and checked."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any, NoReturn

from flask.config import Config  # Quart's Config subclasses it, so one loader serves both apps

# every key can be set from the environment as GREETER_<KEY>, e.g. GREETER_WAIT_MAX_SECONDS=30
DEFAULTS: Mapping[str, Any] = {
    "WAIT_MAX_SECONDS": 10.0,  # /wait/<seconds> refuses longer waits with 400
    "PROCESS_TICK_SECONDS": 1.0,  # how often /process/stream sends the figures
    "STREAM_MAX_VIEWERS": 20_000,  # live streams one process keeps open; past this, 503 with Retry-After
    "PROXY_HOPS": 0,  # reverse proxies in front whose X-Forwarded-* headers are believed; 0: none are
    "TRUSTED_HOSTS": None,  # Host names served, e.g. "example.org,.example.org"; other hosts get 400. None: any
}
ENV_PREFIX = "GREETER"
SERVED_HOSTS = "SERVED_HOSTS"  # where the checked TRUSTED_HOSTS list ends up: greeter.security reads it


class SettingsError(Exception):
    """A setting that cannot be used: one sentence naming it, exit status 2."""


def refuse(error: SettingsError) -> NoReturn:
    """Stop the process as for any other bad config: one sentence on stderr, exit status 2, no traceback."""
    print(f"greeter: {error}", file=sys.stderr)
    raise SystemExit(2)


def configure(config: Config, test_config: Mapping[str, Any] | None) -> None:
    """Load the defaults, then the GREETER_* environment, then the test config (which wins); then check them."""
    config.from_mapping(DEFAULTS)
    config.from_prefixed_env(ENV_PREFIX)
    if test_config is not None:
        config.from_mapping(test_config)
    config["PROXY_HOPS"] = _proxy_hops(config["PROXY_HOPS"])
    # kept under another key: Flask 3.1 would also run its own TRUSTED_HOSTS check (Quart has none), and
    # that one is case-sensitive, so the twin would answer Host: Example.org differently from the Quart app
    config[SERVED_HOSTS] = _trusted_hosts(config["TRUSTED_HOSTS"])
    config["TRUSTED_HOSTS"] = None


def _proxy_hops(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    raise SettingsError(f"GREETER_PROXY_HOPS must be a whole number of proxies, 0 or more, not {value!r}")


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
        f"GREETER_TRUSTED_HOSTS must name one host or more, such as 'example.org,.example.org', not {value!r}"
    )
