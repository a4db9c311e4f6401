"""A comparison for people (a table, a title and a summary) and for machines (JSON)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from greeter.tools.compare.comparison import Comparison
from greeter.tools.compare.differences import INTENDED
from greeter.tools.compare.observe import COMPARED, NOT_COMPARED, Observed
from greeter.tools.compare.verdict import Outcome, Verdict

PATH_WIDTH = 48


def title(comparison: Comparison) -> str:
    requests = len(comparison.outcomes)
    return f"greeter compare: {comparison.twin_name} vs {comparison.quart_name}; {requests} requests, {comparison.mode}"


def summary(comparison: Comparison) -> str:
    counts = Counter(outcome.verdict for outcome in comparison.outcomes)
    return (
        f"{counts[Verdict.MATCH]} match, {counts[Verdict.INTENDED]} intended difference(s), "
        f"{counts[Verdict.MISMATCH]} MISMATCH"
    )


def table(comparison: Comparison, *, only_differences: bool) -> str:
    """The title, one row per case (method, path, each side's status, the verdict, a one-line diff), the summary."""
    rows = [("METHOD", "PATH", "FLASK", "QUART", "VERDICT", "DIFFERENCE")]
    for outcome in comparison.outcomes:
        if only_differences and outcome.verdict is Verdict.MATCH:
            continue
        rows.append(
            (
                outcome.case.method,
                outcome.case.shown(PATH_WIDTH),
                _status(outcome.twin),
                _status(outcome.quart),
                outcome.verdict.value,
                outcome.diff,
            )
        )
    widths = [max(len(row[column]) for row in rows) for column in range(5)]
    lines = [title(comparison), f"compared: {', '.join(COMPARED)}; not compared: {', '.join(NOT_COMPARED)}", ""]
    lines += [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)) + "  " + row[5] for row in rows
    ]
    lines += ["", summary(comparison)]
    return "\n".join(line.rstrip() for line in lines)


def _status(observed: Observed) -> str:
    return str(observed.status) if isinstance(observed.status, int) else "no answer"


def as_json(comparison: Comparison) -> dict[str, Any]:
    counts = Counter(outcome.verdict for outcome in comparison.outcomes)
    return {
        "title": title(comparison),
        "mode": comparison.mode,
        "flask": comparison.twin_name,
        "quart": comparison.quart_name,
        "summary": {
            "requests": len(comparison.outcomes),
            **{verdict.name.lower(): counts[verdict] for verdict in Verdict},
        },
        "compared": list(COMPARED),
        "not_compared": NOT_COMPARED,
        "intended_differences": [{"title": d.title, "reason": d.reason} for d in INTENDED],
        "cases": [_case_json(outcome) for outcome in comparison.outcomes],
    }


def _case_json(outcome: Outcome) -> dict[str, Any]:
    return {
        "method": outcome.case.method,
        "target": outcome.case.target,
        "why": outcome.case.why,
        "verdict": outcome.verdict.value,
        "differing": list(outcome.differing),
        "difference": outcome.diff or None,
        "flask": _observed_json(outcome.twin),
        "quart": _observed_json(outcome.quart),
    }


def _observed_json(observed: Observed) -> dict[str, Any]:
    return {
        "status": observed.status,
        "location": observed.location,
        "content_type": observed.content_type,
        "allow": None if observed.allow is None else sorted(observed.allow),
        "other_headers": dict(observed.other_headers),
        "body_bytes": len(observed.body),
    }
