"""The bench as pictures: the routes (req/s and CPU per request, per contender) and the course (each student's
memory and p99, against the goal)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from greeter.tools.bench.course import GOAL_BYTES, GOAL_P99_SECONDS, GOAL_STUDENTS, CourseResult
from greeter.tools.bench.plan import Plan
from greeter.tools.bench.rounds import Results

MiB = 2**20


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")  # no screen: straight to a PNG
    import matplotlib.pyplot as plt

    return plt


def routes_chart(plan: Plan, routes: Results, subject: str, path: Path) -> None:
    """Per route and contender: median req/s with min-max whiskers (top), CPU µs per request (bottom)."""
    plt = _pyplot()
    columns = len(plan.routes)
    figure, axes = plt.subplots(2, columns, figsize=(4.4 * columns, 7.6), squeeze=False)
    for column, scenario in enumerate(plan.routes):
        summaries = [routes.summary(scenario.path, key) for key in scenario.contenders]
        colours = ["purple" if key == subject else "grey" for key in scenario.contenders]
        places = range(len(summaries))
        rates, cpu = axes[0][column], axes[1][column]
        medians = [s.median_rps for s in summaries]
        whiskers = [[m - s.min_rps for m, s in zip(medians, summaries, strict=True)],
                    [s.max_rps - m for m, s in zip(medians, summaries, strict=True)]]  # fmt: skip
        rates.bar(places, medians, yerr=whiskers, color=colours, capsize=4)
        rates.set_title(f"{scenario.path}, {scenario.connections} connections", fontsize=10)
        rates.set_ylabel("requests per second" if column == 0 else "")
        top = max(s.max_rps for s in summaries)
        rates.set_ylim(0, top * 1.15 if math.isfinite(top) and top > 0 else 1)
        cpu.bar(places, [s.cpu_us_per_request for s in summaries], color=colours)
        cpu.set_ylabel("server CPU µs per request" if column == 0 else "")
        for axis in (rates, cpu):
            axis.set_xticks(places, scenario.contenders, rotation=30, ha="right", fontsize=8)
    figure.suptitle(
        f"greeter bench: medians over {plan.rounds} round(s); req/s (higher is better), CPU per request (lower)",
        fontsize=11,
    )
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def course_chart(course: CourseResult, path: Path) -> None:
    """Each student's PSS (top) and p99 (bottom), the goal's share per student and its p99 as lines."""
    plt = _pyplot()
    students = list(course.results)
    figure, (memory, latency) = plt.subplots(2, 1, figsize=(max(7.0, 0.12 * len(students) + 3), 6.4), sharex=True)
    places = range(len(students))
    memory.bar(places, [student.pss / MiB for student in students], color="purple")
    memory.axhline(GOAL_BYTES / GOAL_STUDENTS / MiB, color="black", linestyle="--", linewidth=1)
    memory.set_ylabel("PSS MiB per student")
    memory.set_title(
        f"{course.students} students behind Apache: {course.total_pss / MiB:,.0f} MiB in all, {course.errors} errors;"
        f" dashed: the goal ({GOAL_BYTES / 2**30:g} GiB for {GOAL_STUDENTS}, {GOAL_P99_SECONDS * 1000:g} ms)",
        fontsize=10,
    )
    latency.bar(places, [student.p99_seconds * 1000 for student in students], color="grey")
    latency.axhline(GOAL_P99_SECONDS * 1000, color="black", linestyle="--", linewidth=1)
    latency.set_ylabel("p99 ms")
    latency.set_xlabel(f"student (a page every {course.interval:g} s for {course.seconds:g} s, a live stream open)")
    if len(students) <= 40:
        latency.set_xticks(places, [student.name for student in students], rotation=90, fontsize=7)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
