"""Each target of issue 21, as one run measured it: measured here and reported, never asserted in a test."""

from __future__ import annotations

from dataclasses import dataclass

from greeter.tools.bench.contenders import GREETER, Lineup
from greeter.tools.bench.course import GOAL_BYTES, GOAL_P99_SECONDS, GOAL_STUDENTS, CourseResult
from greeter.tools.bench.footprint import FootprintRow
from greeter.tools.bench.scenarios import BenchResults
from greeter.tools.bench.stream_memory import per_stream

MiB = 2**20
EDIT_TO_SERVED_SECONDS = 0.2
QUART_RUN_RATIO = 1.1
STREAM_RATIO = 1.15


@dataclass(frozen=True)
class Target:
    text: str
    met: bool


def targets(lineup: Lineup, results: BenchResults, footprint: list[FootprintRow]) -> list[Target]:
    """greeter's targets, for those scenarios that ran; none for a user's pair of apps."""
    if lineup.subject != GREETER:
        return []
    found = _footprint_targets({row.command: row for row in footprint})
    if isinstance(results.course, CourseResult):
        found.append(_course_target(results.course))
    if results.stream_memory:
        mine, floor = (per_stream(results.stream_memory, key) for key in lineup.streams[:2])
        found.append(
            Target(
                f"memory per live stream <= {STREAM_RATIO}x the bare-ASGI floor: {mine / 1024:.2f} KiB against"
                f" {floor / 1024:.2f} KiB, {mine / floor:.2f}x",
                mine / floor <= STREAM_RATIO,
            )
        )
    cpu = _cpu_target(lineup, results)
    if cpu is not None:
        found.append(cpu)
    if results.crowd:
        found += _crowd_targets(results)
    return found


def _cpu_target(lineup: Lineup, results: BenchResults) -> Target | None:
    """Judged by the instructions on the server when they were counted (no noise), else by the CPU time under wrk."""
    ratios: dict[str, dict[str, float]] = {}
    if results.routes.runs:
        ratios["server"] = {
            path: results.routes.summary(path, GREETER).cpu_us_per_request
            / results.routes.summary(path, floor).cpu_us_per_request
            for path, floor in lineup.cpu_floor.items()
        }
    if isinstance(results.served_instructions, list):
        counted = {(c.contender, c.path): c.instructions_per_request for c in results.served_instructions}
        ratios["server, in instructions"] = {
            path: counted[GREETER, path] / counted[floor, path]
            for path, floor in lineup.cpu_floor.items()
            if (GREETER, path) in counted and (floor, path) in counted
        }
    ratios = {way: found for way, found in ratios.items() if found}
    if not ratios:
        return None
    shown = "; ".join(
        f"{way}: " + ", ".join(f"{path} {ratio:.2f}x {lineup.cpu_floor[path]}" for path, ratio in found.items())
        for way, found in ratios.items()
    )
    judged = ratios.get("server, in instructions") or ratios["server"]
    return Target(f"CPU per request <= 1.0x stock Quart's ({shown})", max(judged.values()) <= 1.0)


def _footprint_targets(rows: dict[str, FootprintRow]) -> list[Target]:
    found = []
    reload, debug = rows.get("greeter --reload"), rows.get("flask run --debug")
    if reload is not None and debug is not None:
        found.append(
            Target(
                f"`greeter --reload` PSS <= `flask run --debug`'s: {reload.pss / MiB:.1f} MiB against"
                f" {debug.pss / MiB:.1f} MiB",
                reload.pss <= debug.pss,
            )
        )
        found.append(
            Target(
                f"`greeter --reload` starts to its first answer no slower than `flask run --debug`:"
                f" {reload.start_seconds:.2f} s against {debug.start_seconds:.2f} s",
                reload.start_seconds <= debug.start_seconds,
            )
        )
    if reload is not None and reload.edit_seconds is not None and reload.edit_worst_seconds is not None:
        found.append(
            Target(
                f"`greeter --reload` edit to served <= {EDIT_TO_SERVED_SECONDS} s: {reload.edit_seconds:.2f} s"
                f" (median; worst {reload.edit_worst_seconds:.2f} s), {reload.edits_missed} not served",
                reload.edit_seconds <= EDIT_TO_SERVED_SECONDS and reload.edits_missed == 0,
            )
        )
    plain, quart = rows.get("greeter"), rows.get("quart run")
    if plain is not None and quart is not None:
        found.append(
            Target(
                f"plain `greeter` PSS <= {QUART_RUN_RATIO}x `quart run`'s: {plain.pss / MiB:.1f} MiB against"
                f" {quart.pss / MiB:.1f} MiB, {plain.pss / quart.pss:.2f}x",
                plain.pss <= QUART_RUN_RATIO * quart.pss,
            )
        )
    return found


def _course_target(course: CourseResult) -> Target:
    projected = course.total_pss / course.students * GOAL_STUDENTS
    measured = (
        f"{course.students} students: {course.total_pss / MiB:,.0f} MiB"
        if course.students == GOAL_STUDENTS
        else f"{course.students} students, {course.total_pss / MiB:,.0f} MiB, so {projected / MiB:,.0f} MiB for"
        f" {GOAL_STUDENTS} at that rate (--students {GOAL_STUDENTS} measures it)"
    )
    return Target(
        f"the course: {GOAL_STUDENTS} students in <= {GOAL_BYTES / 2**30:g} GiB with p99 <= {GOAL_P99_SECONDS * 1000:g}"
        f" ms and 0 errors: {measured}; the slowest student's p99 {course.slowest.p99_seconds * 1000:.1f} ms,"
        f" {course.errors} errors",
        projected <= GOAL_BYTES and course.slowest.p99_seconds <= GOAL_P99_SECONDS and course.errors == 0,
    )


def _crowd_targets(results: BenchResults) -> list[Target]:
    found = []
    for load in ("clients", "streams"):
        runs = [result for result in results.crowd if result.load == load]
        mine = next((result for result in runs if result.contender == GREETER), None)
        if mine is None:
            continue
        others = [result for result in runs if result.contender != GREETER]
        beaten = ", ".join(f"{other.contender} {other.completed:,}/{other.failed:,}" for other in others)
        found.append(
            Target(
                f"{mine.clients:,} {'clients at once' if load == 'clients' else 'live streams'}: greeter completes"
                f" the most with 0 failed ({mine.completed:,}/{mine.failed:,}; {beaten})",
                mine.failed == 0 and all(mine.completed >= other.completed for other in others),
            )
        )
    return found
