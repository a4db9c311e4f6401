"""The verdict on one case: the same answer, an intended difference, or a MISMATCH, with a one-line diff."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from greeter.tools.compare.corpus import Case
from greeter.tools.compare.differences import INTENDED, IntendedDifference
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
    diff: str  # each part that differs, the twin's value first; the intended difference's title; or ""

    @property
    def verdict(self) -> Verdict:
        if not self.differing:
            return Verdict.MATCH
        return Verdict.INTENDED if self.intended is not None else Verdict.MISMATCH


def judge(case: Case, twin: Observed, quart: Observed) -> Outcome:
    differing = tuple(part for part in COMPARED if twin.value(part) != quart.value(part))
    if not differing:
        return Outcome(case, twin, quart, differing, None, "")
    intended = next((d for d in INTENDED if d.covers(case, frozenset(differing), twin, quart)), None)
    if intended is not None:
        return Outcome(case, twin, quart, differing, intended, intended.title)
    # a difference beyond an intended one is shown without the intended part, so the diff points at the new one
    set_aside = next((d.set_aside for d in INTENDED if d.applies_to(case)), None)
    shown = []
    for part in differing:
        if part == "body" and set_aside is not None and set_aside(twin.body) != set_aside(quart.body):
            shown.append(describe(part, set_aside(twin.body), set_aside(quart.body)))
        else:
            shown.append(describe(part, twin.value(part), quart.value(part)))
    return Outcome(case, twin, quart, differing, None, "; ".join(shown))


def describe(part: str, twin_value: object, quart_value: object) -> str:
    """One part's difference in a few words: `twin → quart`."""
    if isinstance(twin_value, bytes) and isinstance(quart_value, bytes):
        return f"body {_body_difference(twin_value, quart_value)}"
    if isinstance(twin_value, frozenset) or isinstance(quart_value, frozenset):
        return f"{part} {_methods(twin_value)} → {_methods(quart_value)}"
    if isinstance(twin_value, tuple) and isinstance(quart_value, tuple):
        only_twin, only_quart = set(twin_value) - set(quart_value), set(quart_value) - set(twin_value)
        return f"{part}: twin only {_headers(only_twin)}, quart only {_headers(only_quart)}"
    return f"{part} {twin_value!r} → {quart_value!r}" if part != "status" else f"status {twin_value} → {quart_value}"


def _headers(headers: set[tuple[str, str]]) -> str:
    return "{" + ", ".join(f"{name}: {value}" for name, value in sorted(headers)) + "}"


def _methods(value: object) -> str:
    return ", ".join(sorted(value)) if isinstance(value, frozenset) else repr(value)


def _body_difference(twin: bytes, quart: bytes) -> str:
    at = next((i for i, (a, b) in enumerate(zip(twin, quart, strict=False)) if a != b), min(len(twin), len(quart)))
    start = max(0, at - SHOWN_BYTES)
    return (
        f"({len(twin)} → {len(quart)} bytes) differs at byte {at}: "
        f"{twin[start : at + SHOWN_BYTES]!r} → {quart[start : at + SHOWN_BYTES]!r}"
    )
