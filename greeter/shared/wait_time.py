"""How long /wait/<seconds> may wait: the checks on its input, shared by both apps. No framework here."""

from __future__ import annotations

import math
import re

# plain decimal notation only: float() would also take 1e3, 1_000, ' 1 ' and digits of other scripts
_DECIMAL = re.compile(r"-?[0-9]{1,12}(\.[0-9]{1,9})?")
_NOT_FINITE = {"nan", "+nan", "-nan", "inf", "+inf", "-inf", "infinity", "+infinity", "-infinity"}


class WaitError(ValueError):
    """A wait the server will not do; the message is one line for the client."""


def parse_wait_seconds(text: str, maximum: float) -> float:
    """The seconds to wait, from 0 to the maximum, written like 1, 0.5 or 2.25."""
    if text.lower() in _NOT_FINITE:
        raise WaitError(f"{text} is not a finite number of seconds; give one like 1, 0.5 or 2.25.")
    if not _DECIMAL.fullmatch(text):
        shown = text if len(text) <= 40 else text[:40] + "..."
        raise WaitError(f"{shown!r} is not a number of seconds; give one like 1, 0.5 or 2.25.")
    seconds = float(text)
    if seconds < 0:
        raise WaitError(f"{text} is negative; a wait is from 0 to {maximum:g} seconds.")
    if seconds > maximum or math.isinf(seconds):
        raise WaitError(f"{text} seconds is over the maximum of {maximum:g}; a wait is from 0 to {maximum:g} seconds.")
    return seconds + 0.0  # -0 waits 0


def waited(seconds: float) -> str:
    """What /wait/ answers once it has waited: "Waited 1 second.", "Waited 0.5 seconds."."""
    return f"Waited {seconds:g} second{'' if seconds == 1 else 's'}.\n"
