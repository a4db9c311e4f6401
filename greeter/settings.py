"""The settings both apps share, and how they are loaded."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask.config import Config  # Quart's Config subclasses it, so one loader serves both apps

# every key can be set from the environment as GREETER_<KEY>, e.g. GREETER_WAIT_MAX_SECONDS=30
DEFAULTS: Mapping[str, Any] = {
    "WAIT_MAX_SECONDS": 10.0,  # /wait/<seconds> refuses longer waits with 400
    "PROCESS_TICK_SECONDS": 1.0,  # how often /process/stream sends the figures
    "STREAM_MAX_VIEWERS": 20_000,  # live streams one process keeps open; past this, 503 with Retry-After
}
ENV_PREFIX = "GREETER"


def configure(config: Config, test_config: Mapping[str, Any] | None) -> None:
    """Load the defaults, then the GREETER_* environment, then the test config (which wins)."""
    config.from_mapping(DEFAULTS)
    config.from_prefixed_env(ENV_PREFIX)
    if test_config is not None:
        config.from_mapping(test_config)
