"""The benchmark for people (a table, ratios and the issue's targets), for machines (JSON), and as a chart."""

from __future__ import annotations

import math
import os
import platform
from dataclasses import asdict
from importlib import metadata
from pathlib import Path
from typing import Any

from greeter.bench.contenders import Contender
from greeter.bench.rounds import SHORT_ROUTES, WAIT_PATH, Plan, Results

MB = 1_000_000


def conditions(plan: Plan, contenders: dict[str, Contender]) -> list[str]:
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    lines = [
        f"machine: {machine}; load from wrk on the same machine, over loopback",
        f"{plan.rounds} round(s), the contenders interleaved in each; medians over rounds (min-max in brackets)",
        *(f"{key}: {contender.spec.name}; {contender.conditions}" for key, contender in contenders.items()),
    ]
    return lines


def table(plan: Plan, results: Results, contenders: dict[str, Contender]) -> str:
    lines = ["greeter bench", *conditions(plan, contenders), ""]
    lines.append(
        f"{'scenario':<22} {'contender':<24} {'req/s median (min-max)':>26} "
        f"{'p50':>9} {'p99':>9} {'errors':>7} {'RSS MB':>7}"
    )
    for scenario in plan.scenarios:
        name = f"{scenario.path} c{scenario.connections}"
        for key in scenario.contenders:
            s = results.summary(scenario.path, key)
            rate = f"{s.median_rps:,.0f} ({s.min_rps:,.0f}-{s.max_rps:,.0f})"
            lines.append(
                f"{name:<22} {key:<24} {rate:>26} {_ms(s.p50_seconds):>9} {_ms(s.p99_seconds):>9} "
                f"{s.errors:>7} {s.rss_bytes / MB:>7.1f}"
            )
        lines.append("")
    lines.append("ratios: greeter's median req/s over each other contender's, same scenario, same run")
    for scenario in plan.scenarios:
        greeter = results.summary(scenario.path, "greeter").median_rps
        ratios = ", ".join(
            f"{greeter / results.summary(scenario.path, key).median_rps:.2f}x {key}" for key in scenario.contenders[1:]
        )
        lines.append(f"  {scenario.path:<13} {ratios}")
    if results.streams is not None:
        streams = results.streams
        lines += [
            "",
            f"live streams: {streams.connected:,} of {streams.viewers:,} viewers connected in "
            f"{streams.connect_seconds:.1f} s; {streams.dropped} dropped; over {streams.ticks} ticks the last viewer "
            f"got each tick {streams.median_spread_seconds:.3f} s (median), {streams.worst_spread_seconds:.3f} s "
            f"(worst) after the first; greeter RSS {results.stream_rss_before / MB:.1f} MB before, "
            f"{results.stream_rss_peak / MB:.1f} MB peak",
        ]
    lines += ["", "targets (issue 5; measured here, not asserted anywhere):"]
    lines += [f"  {'met    ' if met else 'NOT met'}  {text}" for text, met in targets(results)]
    lines.append(f"\n{results.seconds:.0f} s in all")
    return "\n".join(lines)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 10 else f"{seconds:.1f} s"


def _ratio(results: Results, path: str, other: str) -> float:
    return results.summary(path, "greeter").median_rps / results.summary(path, other).median_rps


def targets(results: Results) -> list[tuple[str, bool]]:
    """Each target of the issue, as measured in this run."""
    found = []
    for other, wanted in (("flask-werkzeug", 2.5), ("flask-gunicorn-sync", 1.2), ("bare-asgi", 0.7)):
        ratios = {path: _ratio(results, path, other) for path in SHORT_ROUTES}
        shown = ", ".join(f"{path} {ratio:.2f}x" for path, ratio in ratios.items())
        found.append((f"greeter >= {wanted}x {other} on the three routes: {shown}", min(ratios.values()) >= wanted))
    wait = results.summary(WAIT_PATH, "greeter")
    found.append(
        (
            f"/wait/1 at 1,000 connections: {wait.median_rps:.0f} req/s (>= 950), p99 {wait.p99_seconds:.2f} s "
            f"(<= 1.2), {wait.errors} errors (0)",
            wait.median_rps >= 950 and wait.p99_seconds <= 1.2 and wait.errors == 0,
        )
    )
    if results.streams is not None:
        streams = results.streams
        found.append(
            (
                f"{streams.viewers:,} live viewers: RSS {results.stream_rss_peak / MB:.0f} MB (<= 200), worst tick "
                f"{streams.worst_spread_seconds:.2f} s after the first (<= 1), {streams.dropped} dropped (0)",
                results.stream_rss_peak <= 200 * MB
                and streams.worst_spread_seconds <= 1.0
                and streams.dropped == 0
                and streams.ticks > 0,
            )
        )
    greet, root = results.summary("/greet/", "greeter").median_rps, results.summary("/", "greeter").median_rps
    found.append((f"/greet/ at {greet / root:.2f}x / (>= 0.9): the template is compiled once", greet / root >= 0.9))
    return found


def as_json(plan: Plan, results: Results, contenders: dict[str, Contender]) -> dict[str, Any]:
    return {
        "conditions": conditions(plan, contenders),
        "versions": {name: metadata.version(name) for name in ("quart", "hypercorn", "flask", "werkzeug", "gunicorn")},
        "plan": asdict(plan),
        "scenarios": [
            {
                "path": scenario.path,
                "connections": scenario.connections,
                "contenders": {key: asdict(results.summary(scenario.path, key)) for key in scenario.contenders},
                "rounds": {
                    key: [asdict(run) for run in results.runs[(scenario.path, key)]] for key in scenario.contenders
                },
            }
            for scenario in plan.scenarios
        ],
        "streams": None
        if results.streams is None
        else {
            **asdict(results.streams),
            "rss_before_bytes": results.stream_rss_before,
            "rss_peak_bytes": results.stream_rss_peak,
        },
        "targets": [{"target": text, "met": met} for text, met in targets(results)],
        "seconds": results.seconds,
    }


def chart(plan: Plan, results: Results, path: Path) -> None:
    """Requests per second per scenario and contender: the medians, with min-max whiskers."""
    import matplotlib

    matplotlib.use("Agg")  # no screen: straight to a PNG
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, len(plan.scenarios), figsize=(4 * len(plan.scenarios), 4.2))
    for axis, scenario in zip(axes, plan.scenarios, strict=True):
        summaries = [results.summary(scenario.path, key) for key in scenario.contenders]
        medians = [s.median_rps for s in summaries]
        whiskers = [[m - s.min_rps for m, s in zip(medians, summaries, strict=True)],
                    [s.max_rps - m for m, s in zip(medians, summaries, strict=True)]]  # fmt: skip
        colours = ["purple" if key == "greeter" else "grey" for key in scenario.contenders]
        axis.bar(range(len(medians)), medians, yerr=whiskers, color=colours, capsize=4)
        axis.set_xticks(range(len(medians)), scenario.contenders, rotation=30, ha="right", fontsize=8)
        axis.set_title(f"{scenario.path}, {scenario.connections} connections", fontsize=10)
        axis.set_ylabel("requests per second" if axis is axes[0] else "")
        top = max(s.max_rps for s in summaries)
        axis.set_ylim(0, top * 1.15 if math.isfinite(top) and top > 0 else 1)
    figure.suptitle(f"greeter bench: median req/s over {plan.rounds} round(s), min-max whiskers", fontsize=11)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
