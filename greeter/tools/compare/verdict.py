"""The verdict on one case: the same answer, an intended difference, or a MISMATCH, with a one-line diff."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from greeter.tools.compare.case import Case
from greeter.tools.compare.differences import IntendedDifference
from greeter.tools.compare.observe import COMPARED, Observed

SHOWN_BYTES = 24  # of a body, either side of where the two first differ


class Verdict(StrEnum):
    MATCH = "match"
    INTENDED = "intended"
    MISMATCH = "MISMATCH"


@dataclass(frozen=True)
class Outcome:
    """One case, what each side answered (as compared), and the verdict with its one-line diff."""

    case: Case
    twin: Observed
    quart: Observed
    differing: tuple[str, ...]
    intended: IntendedDifference | None
    diff: str  # each part that differs, the Flask app's value first; the intended difference's title; or ""
    # for a MISMATCH beyond an intended difference: the bodies without the intended part, as the diff shows them
    set_aside: IntendedDifference | None = None
    # what each app logged or warned of while it answered (greeter/tools/compare/logs.py): shown, not compared
    twin_said: tuple[str, ...] = ()
    quart_said: tuple[str, ...] = ()

    @property
    def verdict(self) -> Verdict:
        if not self.differing:
            return Verdict.MATCH
        return Verdict.INTENDED if self.intended is not None else Verdict.MISMATCH


def judge(case: Case, twin: Observed, quart: Observed, intended: Sequence[IntendedDifference] = ()) -> Outcome:
    differing = tuple(part for part in COMPARED if twin.value(part) != quart.value(part))
    if not differing:
        return Outcome(case, twin, quart, differing, None, "")
    covering = next((d for d in intended if d.covers(case, frozenset(differing), twin, quart)), None)
    if covering is not None:
        return Outcome(case, twin, quart, differing, covering, covering.title)
    # a difference beyond an intended one is shown without the intended part, so the diff points at the new one
    set_aside = next((d for d in intended if d.set_aside is not None and d.applies_to(case)), None)
    shown = []
    for part in differing:
        if part == "body" and set_aside is not None and set_aside.without(twin.body) != set_aside.without(quart.body):
            shown.append(describe(part, set_aside.without(twin.body), set_aside.without(quart.body)))
        else:
            shown.append(describe(part, twin.value(part), quart.value(part)))
    return Outcome(case, twin, quart, differing, None, "; ".join(shown), set_aside)


def describe(part: str, twin_value: object, quart_value: object) -> str:
    """One part's difference in a few words: `flask → quart`."""
    if isinstance(twin_value, bytes) and isinstance(quart_value, bytes):
        return f"body {_body_difference(twin_value, quart_value)}"
    if isinstance(twin_value, frozenset) or isinstance(quart_value, frozenset):
        return f"{part} {_methods(twin_value)} → {_methods(quart_value)}"
    if isinstance(twin_value, tuple) and isinstance(quart_value, tuple):
        only_twin, only_quart = set(twin_value) - set(quart_value), set(quart_value) - set(twin_value)
        return f"{part}: flask only {_headers(only_twin)}, quart only {_headers(only_quart)}"
    return f"{part} {twin_value!r} → {quart_value!r}" if part != "status" else f"status {twin_value} → {quart_value}"


def _headers(headers: set[tuple[str, str]]) -> str:
    return "{" + ", ".join(f"{name}: {value}" for name, value in sorted(headers)) + "}"


def _methods(value: object) -> str:
    return ", ".join(sorted(value)) if isinstance(value, frozenset) else repr(value)


def first_difference(twin: bytes, quart: bytes) -> int:
    """The index of the first byte where two bodies differ (the shorter one's length if one starts the other)."""
    return next((i for i, (a, b) in enumerate(zip(twin, quart, strict=False)) if a != b), min(len(twin), len(quart)))


def _body_difference(twin: bytes, quart: bytes) -> str:
    at = first_difference(twin, quart)
    start = max(0, at - SHOWN_BYTES)
    return (
        f"({len(twin)} → {len(quart)} bytes) differs at byte {at}: "
        f"{twin[start : at + SHOWN_BYTES]!r} → {quart[start : at + SHOWN_BYTES]!r}"
    )
