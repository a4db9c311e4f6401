"""The verdict on one case: the same answer, an intended difference, or a MISMATCH, with a one-line diff."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from greeter.tools.compare.case import Case
from greeter.tools.compare.differences import IntendedDifference
from greeter.tools.compare.observe import COMPARED, Observed

SHOWN_BYTES = 24  # of a body, either side of where the two first differ
LONGEST_HEADERS = 160  # of a row's headers, values and all: beyond, they are named, and shown whole side by side
LOGGED = "logged"  # the part that differs when one app warns of a coroutine never awaited
# a coroutine made and never awaited (`file.save(path)` without await): always a porting bug, even when a stale
# file or an unchanged session makes the answer the same, so the case is a MISMATCH whatever its answers
NEVER_AWAITED = re.compile(r"RuntimeWarning: coroutine '[^']*' was never awaited")


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
    # what each app logged or warned of while it answered (greeter/tools/compare/logs.py): a coroutine never
    # awaited that only one app warned of is a difference (`logged`) where the warning is the case's own (in-process);
    # any other line only one app logged is a note
    twin_said: tuple[str, ...] = ()
    quart_said: tuple[str, ...] = ()
    said_is_the_cases: bool = True  # False over HTTP: a server prints a warning when it frees the object, maybe later

    @property
    def verdict(self) -> Verdict:
        if not self.differing:
            return Verdict.MATCH
        return Verdict.INTENDED if self.intended is not None else Verdict.MISMATCH

    @property
    def note(self) -> str | None:
        """On a case that is no MISMATCH, what only one app logged: `quart only logged: ...`; else None."""
        if self.verdict is Verdict.MISMATCH:
            return None  # its side-by-side view shows what each logged
        sides = [
            ("flask", one_sided(self.twin_said, self.quart_said)),
            ("quart", one_sided(self.quart_said, self.twin_said)),
        ]
        said = [f"{side} only logged: {'; '.join(lines)}" for side, lines in sides if lines]
        return "; ".join(said) or None

    @property
    def never_awaited(self) -> list[tuple[str, str]]:
        """Each warning of a coroutine never awaited that only one app gave, with the side: `("quart", line)`."""
        return never_awaited(self.twin_said, self.quart_said)


def one_sided(said: Sequence[str], other: Sequence[str]) -> list[str]:
    """What one app logged that the other did not."""
    return [line for line in said if line not in other]


def never_awaited(twin_said: Sequence[str], quart_said: Sequence[str]) -> list[tuple[str, str]]:
    sides = (("flask", one_sided(twin_said, quart_said)), ("quart", one_sided(quart_said, twin_said)))
    return [(side, line) for side, lines in sides for line in lines if NEVER_AWAITED.search(line)]


def judge(
    case: Case,
    twin: Observed,
    quart: Observed,
    intended: Sequence[IntendedDifference] = (),
    twin_said: tuple[str, ...] = (),
    quart_said: tuple[str, ...] = (),
    *,
    said_is_the_cases: bool = True,
) -> Outcome:
    def outcome(
        differing: tuple[str, ...], covering: IntendedDifference | None, diff: str, aside: IntendedDifference | None
    ) -> Outcome:
        return Outcome(case, twin, quart, differing, covering, diff, aside, twin_said, quart_said, said_is_the_cases)

    unawaited = never_awaited(twin_said, quart_said) if said_is_the_cases else []
    differing = tuple(part for part in COMPARED if twin.value(part) != quart.value(part))
    differing += (LOGGED,) if unawaited else ()
    if not differing:
        return outcome(differing, None, "", None)
    # no intended difference covers `logged`: it is not a part of the answer a corpus could declare
    covering = next((d for d in intended if d.covers(case, frozenset(differing), twin, quart)), None)
    if covering is not None:
        return outcome(differing, covering, covering.title, None)
    # a difference beyond an intended one is shown without the intended part, so the diff points at the new one
    set_aside = next((d for d in intended if d.set_aside is not None and d.applies_to(case)), None)
    shown = []
    for part in differing:
        if part == LOGGED:
            shown += [f"{LOGGED}: {side} only {line}" for side, line in unawaited]
        elif part == "body" and set_aside is not None and set_aside.without(twin.body) != set_aside.without(quart.body):
            shown.append(describe(part, set_aside.without(twin.body), set_aside.without(quart.body)))
        else:
            shown.append(describe(part, twin.value(part), quart.value(part)))
    return outcome(differing, None, "; ".join(shown), set_aside)


def describe(part: str, twin_value: object, quart_value: object) -> str:
    """One part's difference in a few words: `flask → quart`."""
    if isinstance(twin_value, bytes) and isinstance(quart_value, bytes):
        return f"body {_body_difference(twin_value, quart_value)}"
    if part == "other answers":
        return f"other answers {_answers(twin_value)} → {_answers(quart_value)}"
    if isinstance(twin_value, frozenset) or isinstance(quart_value, frozenset):
        return f"{part} {_methods(twin_value)} → {_methods(quart_value)}"
    if isinstance(twin_value, tuple) and isinstance(quart_value, tuple):
        only_twin, only_quart = set(twin_value) - set(quart_value), set(quart_value) - set(twin_value)
        whole = f"{part}: flask only {_headers(only_twin)}, quart only {_headers(only_quart)}"
        return whole if len(whole) <= LONGEST_HEADERS else _header_names(part, only_twin, only_quart)
    return f"{part} {twin_value!r} → {quart_value!r}" if part != "status" else f"status {twin_value} → {quart_value}"


def _header_names(part: str, only_twin: set[tuple[str, str]], only_quart: set[tuple[str, str]]) -> str:
    """Headers that differ too much for one row, by name: each side's own, and those both send otherwise."""
    twin_names, quart_names = {name for name, _ in only_twin}, {name for name, _ in only_quart}
    said = [
        f"flask only {', '.join(sorted(twin_names - quart_names))}" if twin_names - quart_names else "",
        f"quart only {', '.join(sorted(quart_names - twin_names))}" if quart_names - twin_names else "",
        f"not the same: {', '.join(sorted(twin_names & quart_names))}" if twin_names & quart_names else "",
    ]
    return f"{part}: {'; '.join(filter(None, said))} (side by side below)"


def _headers(headers: set[tuple[str, str]]) -> str:
    return "{" + ", ".join(f"{name}: {value}" for name, value in sorted(headers)) + "}"


def _answers(value: object) -> str:
    return (", ".join(map(str, value)) or "none") if isinstance(value, tuple) else repr(value)


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
