"""The benchmark for people (every scenario's table, and the issue's targets) and for machines (JSON)."""

from __future__ import annotations

import os
import platform
from dataclasses import asdict
from importlib import metadata
from typing import Any

from greeter.tools.bench import tables
from greeter.tools.bench.contenders import Lineup
from greeter.tools.bench.course import CourseResult
from greeter.tools.bench.footprint import summarise
from greeter.tools.bench.plan import Plan
from greeter.tools.bench.rounds import Results
from greeter.tools.bench.scenarios import BenchResults
from greeter.tools.bench.targets import Target, targets

MB = 1_000_000
VERSIONS = ("quart", "hypercorn", "flask", "werkzeug", "gunicorn", "h11", "uvloop")


def conditions(plan: Plan, lineup: Lineup, results: BenchResults) -> list[str]:
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    versions = ", ".join(f"{name} {metadata.version(name)}" for name in VERSIONS)
    return [
        f"machine: {machine}; every client on the same machine, over loopback; {versions}",
        f"load average (1 min): {results.load[0]:.1f} at the start, {results.load[1]:.1f} at the end",
        *(f"{contender.key}: {contender.spec.name}; {contender.conditions}" for contender in lineup.served),
    ]


def routes_table(plan: Plan, routes: Results, lineup: Lineup) -> str:
    lines = [
        f"the routes: wrk at {plan.routes[0].connections if plan.routes else 0} connections, {plan.seconds} s a run,"
        f" {plan.rounds} round(s), the contenders interleaved in each; medians over rounds (min-max in brackets)",
        f"{'scenario':<22} {'contender':<28} {'CPU µs/req':>10} {'req/s median (min-max)':>24} "
        f"{'p50':>9} {'p99':>9} {'errors':>7} {'RSS MB':>7}",
    ]
    for scenario in plan.routes:
        name = f"{scenario.path} c{scenario.connections}"
        for key in scenario.contenders:
            s = routes.summary(scenario.path, key)
            rate = f"{s.median_rps:,.0f} ({s.min_rps:,.0f}-{s.max_rps:,.0f})"
            lines.append(
                f"{name:<22} {key:<28} {s.cpu_us_per_request:>10,.0f} {rate:>24} {tables.ms(s.p50_seconds):>9} "
                f"{tables.ms(s.p99_seconds):>9} {s.errors:>7} {s.rss_bytes / MB:>7.1f}"
            )
        lines.append("")
    lines.append(f"ratios, same scenario, same run: {lineup.subject}'s CPU per request over each other contender's")
    lines.append(f"(lower is better) | {lineup.subject}'s req/s over theirs (higher is better)")
    for scenario in plan.routes:
        mine = routes.summary(scenario.path, scenario.contenders[0])
        others = {key: routes.summary(scenario.path, key) for key in scenario.contenders[1:]}
        cpu = ", ".join(f"{mine.cpu_us_per_request / o.cpu_us_per_request:.2f}x {k}" for k, o in others.items())
        rate = ", ".join(f"{mine.median_rps / o.median_rps:.2f}x {k}" for k, o in others.items())
        lines.append(f"  {scenario.path:<13} CPU {cpu}")
        lines.append(f"  {'':<13} req/s {rate}")
    return "\n".join(lines)


def full_report(plan: Plan, lineup: Lineup, results: BenchResults) -> str:
    rows = summarise(results.footprint, lineup.commands)
    sections = ["greeter bench", "\n".join(conditions(plan, lineup, results))]
    if rows:
        sections.append(tables.footprint_table(rows, plan.footprint_rounds))
    if results.course is not None:
        sections.append(tables.course_table(results.course))
    if results.stream_memory:
        sections.append(tables.stream_table(results.stream_memory, results.owners, lineup.streams))
    if results.routes.runs:
        sections.append(routes_table(plan, results.routes, lineup))
    if lineup.cpu_floor and (results.routes.runs or results.in_process or results.instructions):
        sections.append(
            tables.cpu_table(
                lineup, results.routes, results.in_process, results.instructions, results.served_instructions
            )
        )
    if results.profile is not None:
        sections.append(tables.profile_table(results.profile, tuple(lineup.routes)))
    if results.crowd:
        sections.append(tables.crowd_table(results.crowd, lineup.crowd_path))
    if results.in_process:
        sections.append(tables.in_process_table(results.in_process, lineup.in_process, tuple(lineup.routes)))
    if results.instructions is not None:
        sections.append(tables.instruction_table(results.instructions, lineup.in_process, tuple(lineup.routes)))
    found = targets(lineup, results, rows)
    if found:
        sections.append(
            "\n".join(
                ["targets (issue 21; measured here, not asserted anywhere):"]
                + [f"  {'met    ' if target.met else 'NOT met'}  {target.text}" for target in found]
            )
        )
    sections.append(f"{results.seconds:.0f} s in all")
    return "\n\n".join(sections)


def as_json(plan: Plan, lineup: Lineup, results: BenchResults) -> dict[str, Any]:
    rows = summarise(results.footprint, lineup.commands)
    found: list[Target] = targets(lineup, results, rows)
    return {
        "conditions": conditions(plan, lineup, results),
        "versions": {name: metadata.version(name) for name in VERSIONS},
        "load_average": list(results.load),
        "plan": {key: value for key, value in asdict(plan).items() if key != "routes"},
        "footprint": {"commands": [asdict(row) for row in rows], "runs": [asdict(run) for run in results.footprint]},
        "course": asdict(results.course) if isinstance(results.course, CourseResult) else results.course,
        "stream_memory": {
            "runs": [{**asdict(run), "per_stream_bytes": run.per_stream} for run in results.stream_memory],
            "owners": {
                kind: owner if isinstance(owner, str) else asdict(owner) for kind, owner in results.owners.items()
            },
        },
        "scenarios": [
            {
                "path": scenario.path,
                "connections": scenario.connections,
                "contenders": {key: asdict(results.routes.summary(scenario.path, key)) for key in scenario.contenders},
                "rounds": {
                    key: [asdict(run) for run in results.routes.runs[(scenario.path, key)]]
                    for key in scenario.contenders
                },
            }
            for scenario in plan.routes
            if results.routes.runs
        ],
        "profile": results.profile if isinstance(results.profile, str | None) else asdict(results.profile),
        "crowd": [asdict(result) for result in results.crowd],
        "in_process": [asdict(result) for result in results.in_process],
        "instructions": results.instructions
        if isinstance(results.instructions, str | None)
        else [asdict(count) for count in results.instructions],
        "served_instructions": results.served_instructions
        if isinstance(results.served_instructions, str | None)
        else [asdict(count) for count in results.served_instructions],
        "targets": [{"target": target.text, "met": target.met} for target in found],
        "seconds": results.seconds,
    }
