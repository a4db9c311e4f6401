"""A comparison for people (a table, each MISMATCH side by side, the reasons, a summary) and for machines (JSON)."""

from __future__ import annotations

import difflib
import re
import textwrap
from collections import Counter
from typing import Any

from greeter.tools.compare.comparison import Comparison
from greeter.tools.compare.differences import mask_scope
from greeter.tools.compare.observe import COMPARED, IN_PROCESS_ONLY, NOT_COMPARED, RAW_ONLY, Observed
from greeter.tools.compare.raw_case import HTTP_09
from greeter.tools.compare.verdict import LOGGED, Outcome, Verdict

PATH_WIDTH = 48
WIDTH = 120  # of the text, as the rest of greeter's output
PART_WIDTH = 16  # the first column of a side-by-side view
SIDE_WIDTH = (WIDTH - PART_WIDTH - 2) // 2  # each side's column
BODY_LINES = 8  # of each body, from the line before the first that differs
SHOWN_END = 40  # bytes of each body's end, when the two differ only there
FOLD_AFTER = re.compile(r"(?<=; )|(?<=,)(?=[\"{\[])|(?<=\w )")  # a header's attributes, a JSON item, words
VARY_HOOK = [
    "    @app.after_request",
    "    async def vary_on_the_session(response):",
    '        response.vary.add("Cookie")',
    "        return response",
]
UNTIED_WARNING = (
    "A coroutine never awaited was logged: a porting bug whatever the answers, so the exit status is 1. A server "
    "prints the warning when it frees the coroutine, which can be after the request that made it: the note stands "
    "beside the case answered meanwhile, and --in-process names the request itself."
)


def title(comparison: Comparison) -> str:
    requests = len(comparison.outcomes)
    return (
        f"greeter compare: {comparison.twin_name} vs {comparison.quart_name}; {requests} requests"
        f"{_from(comparison)}, {comparison.mode}"
    )


def _from(comparison: Comparison) -> str:
    source = comparison.corpus.source
    return "" if not source else f" from {source}"


def summary(comparison: Comparison) -> str:
    counts = Counter(outcome.verdict for outcome in comparison.outcomes)
    noted = sum(1 for outcome in comparison.outcomes if outcome.note)
    notes = f"; {noted} note{'s' if noted > 1 else ''}: logged by one app only" if noted else ""
    return (
        f"{counts[Verdict.MATCH]} match, {counts[Verdict.INTENDED]} intended difference(s), "
        f"{counts[Verdict.MISMATCH]} MISMATCH{notes}"
    )


def text(comparison: Comparison, *, only_differences: bool) -> str:
    """The table; then each MISMATCH side by side, the intended differences seen with their reasons, what the
    corpus left out; the summary last."""
    lines = [*table(comparison, only_differences=only_differences)]
    mismatches = [outcome for outcome in comparison.outcomes if outcome.verdict is Verdict.MISMATCH]
    for outcome in mismatches:
        lines += ["", *side_by_side(outcome)]
    seen = {outcome.intended.title: outcome.intended for outcome in comparison.outcomes if outcome.intended}
    if seen:
        lines += ["", "Intended differences (from the corpus, with their reasons):"]
        for difference in seen.values():
            lines += _wrapped(f"{difference.title}: {difference.reason}", "- ", "  ")
    if comparison.corpus.notes:
        lines += ["", "Left out of the corpus:"]
        for note in comparison.corpus.notes:
            lines += _wrapped(note, "- ", "  ")
    lines += vary_cookie(mismatches)
    if any(outcome.never_awaited and outcome.note for outcome in comparison.outcomes):
        lines += ["", *_wrapped(UNTIED_WARNING, "", "")]
    lines += ["", summary(comparison)]
    return "\n".join(line.rstrip() for line in lines)


def not_compared_in(mode: str) -> dict[str, str]:
    """What is left out of a comparison in this mode: over HTTP, what only the test clients would have shown."""
    return {what: why for what, why in NOT_COMPARED.items() if mode == "in-process" or what not in IN_PROCESS_ONLY}


def vary_cookie(mismatches: list[Outcome]) -> list[str]:
    """Once, when MISMATCHes differ by Flask's `Vary: Cookie`: how many, why, and the hook that says it in the port."""
    varying = [
        outcome for outcome in mismatches if _varies_on_cookie(outcome.twin) and not _varies_on_cookie(outcome.quart)
    ]
    if not varying:
        return []
    only = sum(
        1
        for outcome in varying
        if outcome.differing == ("other headers",) and _but_vary(outcome.twin) == _but_vary(outcome.quart)
    )
    among = f" (and {len(varying) - only} more by it among other differences)" if len(varying) > only else ""
    why = (
        f"Vary: Cookie: {only} of the {len(mismatches)} MISMATCH differ only by it{among}. Flask adds it to the answer"
        " of every request that read the session, Quart only when the session changed; a cache in front could give"
        " one visitor's page to another. Say it in the port, in an after_request hook (after_app_request in a"
        " blueprint):"
    )
    return ["", *_wrapped(why, "", ""), "", *VARY_HOOK]


def _varies_on_cookie(observed: Observed) -> bool:
    return any(
        name == "vary" and "cookie" in (token.strip().lower() for token in value.split(","))
        for name, value in observed.other_headers
    )


def _but_vary(observed: Observed) -> list[tuple[str, str]]:
    return [header for header in observed.other_headers if header[0] != "vary"]


def table(comparison: Comparison, *, only_differences: bool) -> list[str]:
    """The title, what is compared, and one row per case: method, path, each side's status, the verdict, a diff."""
    rows = [("METHOD", "PATH", "FLASK", "QUART", "VERDICT", "DIFFERENCE")]
    for outcome in comparison.outcomes:
        if only_differences and outcome.verdict is Verdict.MATCH and not outcome.note:
            continue
        case = outcome.case
        rows.append(
            (
                case.method,
                f"{case.shown(PATH_WIDTH)} {case.context}".rstrip(),
                _status(outcome.twin),
                _status(outcome.quart),
                outcome.verdict.value,
                outcome.diff if not outcome.note else "; ".join(filter(None, [outcome.diff, f"note: {outcome.note}"])),
            )
        )
    widths = [max(len(row[column]) for row in rows) for column in range(5)]
    masks = comparison.corpus.masks
    masked = f"; masked: {', '.join(mask_scope(mask) for mask in masks)}" if masks else ""
    compared = ", ".join(compared_parts(comparison))
    not_compared = ", ".join(not_compared_in(comparison.mode))
    lines = [title(comparison), f"compared: {compared}; not compared: {not_compared}{masked}", ""]
    lines += [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)) + "  " + row[5] for row in rows
    ]
    return lines


def compared_parts(comparison: Comparison) -> list[str]:
    """What is compared of each answer; what only raw requests can differ in, if the corpus has some."""
    raw = any(outcome.case.raw for outcome in comparison.outcomes)
    return [part for part in COMPARED if raw or part not in RAW_ONLY]


def side_by_side(outcome: Outcome) -> list[str]:
    """One MISMATCH: the request, each part that differs, and what each app logged (an exception, a warning)
    while it answered; the Flask app on the left."""
    case = outcome.case
    lines = [f"MISMATCH {case.method} {case.shown(80)} {case.context}".rstrip()]
    lines.append(_row("", "FLASK", "QUART"))
    rows = [(part, *_values(outcome, part)) for part in outcome.differing if part != LOGGED]  # shown below
    if outcome.twin_said or outcome.quart_said:  # what each app logged or warned of meanwhile
        rows.append(("logged", _folded(list(outcome.twin_said)), _folded(list(outcome.quart_said))))
    for part, flask_lines, quart_lines in rows:
        for number in range(max(len(flask_lines), len(quart_lines))):
            lines.append(
                _row(
                    part if number == 0 else "",
                    flask_lines[number] if number < len(flask_lines) else "",
                    quart_lines[number] if number < len(quart_lines) else "",
                )
            )
    if LOGGED in outcome.differing:
        lines.append("  a coroutine never awaited: the call needs its await, whatever the answers say")
    return lines


def _values(outcome: Outcome, part: str) -> tuple[list[str], list[str]]:
    flask, quart = outcome.twin.value(part), outcome.quart.value(part)
    if part == "body":
        assert isinstance(flask, bytes) and isinstance(quart, bytes)
        if outcome.set_aside is not None:
            flask, quart = outcome.set_aside.without(flask), outcome.set_aside.without(quart)
        return _body_lines(flask, quart)
    if part == "other headers":
        assert isinstance(flask, tuple) and isinstance(quart, tuple)
        only_flask = [f"{name}: {value}" for name, value in flask if (name, value) not in quart]
        only_quart = [f"{name}: {value}" for name, value in quart if (name, value) not in flask]
        return _folded(only_flask or ["(none other)"]), _folded(only_quart or ["(none other)"])
    if part == "other answers":
        assert isinstance(flask, tuple) and isinstance(quart, tuple)
        return _folded([", ".join(flask) or "none"]), _folded([", ".join(quart) or "none"])
    return _folded([_one(flask)]), _folded([_one(quart)])


def _folded(lines: list[str]) -> list[str]:
    """Each line folded to the column, so that a long header is shown whole: between its parts (after a `; ` or
    a `,` that starts a new item), never at a space inside a value (a session's `" t"`, `Hello, Ada!`)."""
    return [piece for line in lines for piece in _fold(line)]


def _fold(line: str) -> list[str]:
    pieces, current = [], ""
    for part in FOLD_AFTER.split(line):
        if current and len((current + part).rstrip()) > SIDE_WIDTH:
            pieces.append(current.rstrip())
            current = ""
        current += part
        while len(current.rstrip()) > SIDE_WIDTH:  # a part longer than the column: cut where it must be
            pieces.append(current[:SIDE_WIDTH])
            current = current[SIDE_WIDTH:]
    return [*pieces, current.rstrip()] if current or not pieces else pieces


def _body_lines(flask: bytes, quart: bytes) -> tuple[list[str], list[str]]:
    """The two bodies' lines where they first differ, aligned as a diff aligns them, with the line before and
    after: `- ` before a line only the Flask app's has (or has otherwise), `+ ` before the Quart app's."""
    if not flask or not quart:
        return (["(empty)"] if not flask else _first_lines(flask)), (["(empty)"] if not quart else _first_lines(quart))
    left = flask.decode("utf-8", errors="replace").splitlines()
    right = quart.decode("utf-8", errors="replace").splitlines()
    opcodes = difflib.SequenceMatcher(None, left, right, autojunk=False).get_opcodes()
    changed = next((opcode for opcode in opcodes if opcode[0] != "equal"), None)
    if changed is None:  # the same lines: they differ in how they end (a last newline, \r\n)
        return [repr(flask[-SHOWN_END:])], [repr(quart[-SHOWN_END:])]
    _, left_start, left_end, right_start, right_end = changed
    before = min(1, left_start, right_start)
    size = max(left_end - left_start, right_end - right_start)
    rows_left = [f"  {line}" for line in left[left_start - before : left_start]]
    rows_right = [f"  {line}" for line in right[right_start - before : right_start]]
    changed_left, changed_right = left[left_start:left_end], right[right_start:right_end]
    changed_left, changed_right = _where_lines_part(changed_left, changed_right)
    rows_left += [f"- {line}" for line in changed_left] + [""] * (size - len(changed_left))
    rows_right += [f"+ {line}" for line in changed_right] + [""] * (size - len(changed_right))
    rows_left += [f"  {line}" for line in left[left_end : left_end + 1]]
    rows_right += [f"  {line}" for line in right[right_end : right_end + 1]]
    return _ending(rows_left, left, flask), _ending(rows_right, right, quart)


def _where_lines_part(left: list[str], right: list[str]) -> tuple[list[str], list[str]]:
    """Two lines facing each other that differ beyond what their columns show, both shown from a little before
    the first character that differs, so the difference is in sight."""
    left, right = list(left), list(right)
    for number, (one, other) in enumerate(zip(left, right, strict=False)):
        at = next((i for i, (a, b) in enumerate(zip(one, other, strict=False)) if a != b), min(len(one), len(other)))
        if at > SIDE_WIDTH - 12:
            start = at - 12
            left[number], right[number] = f"…{one[start:]}", f"…{other[start:]}"
    return left, right


def _ending(rows: list[str], lines: list[str], body: bytes) -> list[str]:
    """The rows shown, each cut to its column, and how much there is when not all of it is shown."""
    shown = [_cut(row) for row in rows[:BODY_LINES]]
    if len([row for row in rows[:BODY_LINES] if row]) < len(lines):
        shown.append(f"… ({len(lines)} lines, {len(body)} bytes in all)")
    return shown


def _first_lines(body: bytes) -> list[str]:
    lines = body.decode("utf-8", errors="replace").splitlines()
    return _ending(lines, lines, body)


def _one(value: object) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, frozenset):
        return ", ".join(sorted(value))
    return str(value)


def _cut(line: str) -> str:
    line = line.replace("\t", " ")
    return line if len(line) <= SIDE_WIDTH else line[: SIDE_WIDTH - 1] + "…"


def _row(part: str, flask: str, quart: str) -> str:
    return f"  {part.ljust(PART_WIDTH - 2)}{flask.ljust(SIDE_WIDTH)}  {quart}"


def _wrapped(line: str, first: str, rest: str) -> list[str]:
    return textwrap.wrap(line, WIDTH, initial_indent=first, subsequent_indent=rest) or [first]


def _status(observed: Observed) -> str:
    if isinstance(observed.status, int):
        return str(observed.status)
    return "0.9" if observed.status == HTTP_09 else "no answer"


def as_json(comparison: Comparison, *, only_differences: bool = False) -> dict[str, Any]:
    """The whole result: the sides, the corpus (its source, intended differences, masks, notes), every case (with
    only_differences, every case but the matches with nothing to note; the summary still counts them all)."""
    counts = Counter(outcome.verdict for outcome in comparison.outcomes)
    corpus = comparison.corpus
    return {
        "title": title(comparison),
        "mode": comparison.mode,
        "flask": comparison.twin_name,
        "quart": comparison.quart_name,
        "summary": {
            "requests": len(comparison.outcomes),
            **{verdict.name.lower(): counts[verdict] for verdict in Verdict},
            "noted": sum(1 for outcome in comparison.outcomes if outcome.note),
        },
        "compared": compared_parts(comparison),
        "not_compared": not_compared_in(comparison.mode),
        "corpus": corpus.source,
        "intended_differences": [{"title": d.title, "reason": d.reason} for d in corpus.intended],
        "masks": [{"what": mask_scope(mask), "why": mask.why} for mask in corpus.masks],
        "left_out": list(corpus.notes),
        "only_differences": only_differences,
        "cases": [
            _case_json(outcome)
            for outcome in comparison.outcomes
            if not (only_differences and outcome.verdict is Verdict.MATCH and not outcome.note)
        ],
    }


def _case_json(outcome: Outcome) -> dict[str, Any]:
    case = outcome.case
    return {
        "method": case.method,
        "target": case.target,
        "raw": case.raw.decode("latin-1") if case.raw else None,
        "why": case.why,
        "headers": dict(case.headers),
        "sends": case.sends or None,
        "body": case.body.decode("utf-8", errors="replace") if case.body else None,
        "sequence": case.sequence or None,
        "step": case.step or None,
        "verdict": outcome.verdict.value,
        "differing": list(outcome.differing),
        "difference": outcome.diff or None,
        "intended": None if outcome.intended is None else outcome.intended.title,
        "note": outcome.note,
        "flask": _observed_json(outcome.twin) | {"said": list(outcome.twin_said)},
        "quart": _observed_json(outcome.quart) | {"said": list(outcome.quart_said)},
    }


def _observed_json(observed: Observed) -> dict[str, Any]:
    headers: dict[str, str] = {}
    for name, value in observed.other_headers:  # a name set twice (Set-Cookie) keeps each value
        headers[name] = f"{headers[name]}\n{value}" if name in headers else value
    return {
        "status": observed.status,
        "location": observed.location,
        "content_type": observed.content_type,
        "allow": None if observed.allow is None else sorted(observed.allow),
        "other_headers": headers,
        "body_bytes": len(observed.body),
        "body": observed.body.decode("utf-8", errors="replace"),
        "other_answers": list(observed.other_answers),
    }
