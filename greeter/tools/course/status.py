"""`greeter course status`: every student's socket at a glance, one line each, or as JSON for a script.

The exit status is for scripts: 0 when nothing needs the teacher (every socket running, stale or missing: a
student who is not serving is theirs to start), 1 when a socket is hung or suspicious, or could not be looked at.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

import click

from greeter.tools.course.folders import DEFAULT_FOLDER, student_names
from greeter.tools.course.survey import SocketStatus, State, survey

HUNG_AFTER_SECONDS = 2.0
NEEDS_THE_TEACHER = (State.HUNG, State.SUSPICIOUS, State.UNKNOWN)
COLUMNS = ("STUDENT", "STATE", "PID", "SINCE", "ANSWER", "NOTE")


def course_status(folder: Path | None, *, as_json: bool, timeout: float = HUNG_AFTER_SECONDS) -> int:
    """Print the table (or the JSON) for every student of the course; the exit status."""
    folder = Path(folder or DEFAULT_FOLDER).absolute()
    students, others = student_names(folder)
    statuses = survey(folder, students, timeout)
    counts = Counter(status.state for status in statuses)
    if as_json:
        click.echo(json.dumps(_as_json(folder, statuses, counts, timeout), indent=2))
    else:
        click.echo(status_table(folder, statuses, others))
    return 1 if any(counts[state] for state in NEEDS_THE_TEACHER) else 0


def status_table(folder: Path, statuses: list[SocketStatus], others: list[str]) -> str:
    """One line per student, columns as wide as their widest cell, then what the course comes to."""
    counts = Counter(status.state for status in statuses)
    rows = [COLUMNS, *(_row(status) for status in statuses)]
    widths = [max(len(row[column]) for row in rows) for column in range(len(COLUMNS) - 1)]
    lines = ["  ".join([*map(str.ljust, row[:-1], widths), row[-1]]) for row in rows]
    said = ", ".join(f"{counts[state]} {state}" for state in State if counts[state])
    students = "1 student" if len(statuses) == 1 else f"{len(statuses)} students"
    lines.append(f"{students} in {folder}" + (f": {said}" if said else ""))
    if others:
        lines.append(f"not students' folders (never relayed): {', '.join(others)}")
    return "\n".join(line.rstrip() for line in lines)


def _row(status: SocketStatus) -> tuple[str, ...]:
    answer = "-"
    if status.answer_ms is not None:
        answer = f"{status.http_status} in {status.answer_ms:.0f} ms"
    pid = "-" if status.pid is None else str(status.pid)
    return (status.student, status.state.value, pid, _since(status.since), answer, status.note)


def _since(started: float | None) -> str:
    """A start time as a teacher reads it: the time alone today, the day too before today."""
    if started is None:
        return "-"
    when = datetime.fromtimestamp(started)
    return when.strftime("%H:%M:%S" if when.date() == datetime.now().date() else "%b %d %H:%M")


def _as_json(folder: Path, statuses: list[SocketStatus], counts: Counter[State], timeout: float) -> dict[str, object]:
    now = time.time()
    students = []
    for status in statuses:
        entry = {**asdict(status), "state": status.state.value, "socket": str(status.socket)}
        entry["since"] = None if status.since is None else datetime.fromtimestamp(status.since).astimezone().isoformat()
        entry["uptime_seconds"] = None if status.since is None else round(now - status.since, 1)
        if status.answer_ms is not None:
            entry["answer_ms"] = round(status.answer_ms, 1)
        students.append(entry)
    return {
        "folder": str(folder),
        "hung_after_seconds": timeout,
        "counts": {state.value: counts[state] for state in State},
        "students": students,
    }
