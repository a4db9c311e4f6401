"""Hypercorn's log as `greeter` serves: the same, without the line that would compete with greeter's banner."""

from __future__ import annotations

from typing import Any

from hypercorn.logging import Logger

# Hypercorn's worker logs this for each socket it serves (hypercorn/asyncio/run.py, worker_serve): with our own
# socket it shows the bare bind address (0.0.0.0, or an fd) and a second "CTRL + C to quit". The banner says both.
RUNNING_ON = "Running on "


class BannerSaysWhere(Logger):
    """Hypercorn's logger, minus its "Running on ..." line; set as Config.logger_class, so every worker uses it."""

    async def info(self, message: str, *args: Any, **kwargs: Any) -> None:
        if not message.startswith(RUNNING_ON):
            await super().info(message, *args, **kwargs)
