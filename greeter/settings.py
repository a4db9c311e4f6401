"""The settings both apps share, and how they are loaded and checked."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

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


class SettingsError(Exception):
    """A setting that cannot be used: one sentence naming it, exit status 2."""


def configure(config: Config, test_config: Mapping[str, Any] | None) -> None:
    """Load the defaults, then the GREETER_* environment, then the test config (which wins); then check them."""
    config.from_mapping(DEFAULTS)
    config.from_prefixed_env(ENV_PREFIX)
    if test_config is not None:
        config.from_mapping(test_config)
    config["PROXY_HOPS"] = _proxy_hops(config["PROXY_HOPS"])
    config["TRUSTED_HOSTS"] = _trusted_hosts(config["TRUSTED_HOSTS"])


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
        cleaned = [name.strip() for name in names if name.strip()]
        if cleaned:
            return cleaned
    raise SettingsError(
        f"GREETER_TRUSTED_HOSTS must name one host or more, such as 'example.org,.example.org', not {value!r}"
    )
