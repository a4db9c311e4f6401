"""The benchmark for people (a table, ratios and the issue's targets), for machines (JSON), and as a chart."""

from __future__ import annotations

import math
import os
import platform
from dataclasses import asdict
from importlib import metadata
from pathlib import Path
from typing import Any

from greeter.tools.bench.contenders import (
    GREETER,
    IN_PROCESS_CONTENDERS,
    SHORT_ROUTES,
    STOCK_QUART,
    WAIT_PATH,
    Contender,
)
from greeter.tools.bench.in_process import InProcessResult
from greeter.tools.bench.rounds import Plan, Results

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
        f"{'scenario':<22} {'contender':<22} {'CPU µs/req':>10} {'req/s median (min-max)':>24} "
        f"{'p50':>9} {'p99':>9} {'errors':>7} {'RSS MB':>7}"
    )
    for scenario in plan.scenarios:
        name = f"{scenario.path} c{scenario.connections}"
        for key in scenario.contenders:
            s = results.summary(scenario.path, key)
            rate = f"{s.median_rps:,.0f} ({s.min_rps:,.0f}-{s.max_rps:,.0f})"
            lines.append(
                f"{name:<22} {key:<22} {s.cpu_us_per_request:>10,.0f} {rate:>24} {_ms(s.p50_seconds):>9} "
                f"{_ms(s.p99_seconds):>9} {s.errors:>7} {s.rss_bytes / MB:>7.1f}"
            )
        lines.append("")
    lines.append("ratios, same scenario, same run: greeter's CPU per request over each other contender's (lower is")
    lines.append("better) | greeter's req/s over theirs (higher is better)")
    for scenario in plan.scenarios:
        greeter = results.summary(scenario.path, GREETER)
        others = [results.summary(scenario.path, key) for key in scenario.contenders[1:]]
        cpu = ", ".join(
            f"{greeter.cpu_us_per_request / other.cpu_us_per_request:.2f}x {key}"
            for key, other in zip(scenario.contenders[1:], others, strict=True)
        )
        rate = ", ".join(
            f"{greeter.median_rps / other.median_rps:.2f}x {key}"
            for key, other in zip(scenario.contenders[1:], others, strict=True)
        )
        lines.append(f"  {scenario.path:<13} CPU {cpu}")
        lines.append(f"  {'':<13} req/s {rate}")
    lines += ["", in_process_table(results.in_process)]
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
    lines += ["", "targets (issue 13; measured here, not asserted anywhere):"]
    lines += [f"  {'met    ' if met else 'NOT met'}  {text}" for text, met in targets(results)]
    lines.append(f"\n{results.seconds:.0f} s in all")
    return "\n".join(lines)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 10 else f"{seconds:.1f} s"


def _ratio(results: Results, path: str, other: str) -> float:
    return results.summary(path, GREETER).median_rps / results.summary(path, other).median_rps


def in_process_table(found: list[InProcessResult]) -> str:
    """Each app's own CPU cost per request, no server: Quart apps as ASGI, the twin as WSGI."""

    def cost(path: str, key: str) -> float:
        return next(r.cpu_us_per_request for r in found if (r.path, r.contender) == (path, key))

    lines = [
        "in-process, no server: each app's own CPU µs per request (Quart apps called as ASGI, the twin as WSGI)",
        f"  {'route':<13} " + " ".join(f"{key:>12}" for key in IN_PROCESS_CONTENDERS) + "   greeter/stock-quart",
    ]
    for path in SHORT_ROUTES:
        costs = [cost(path, key) for key in IN_PROCESS_CONTENDERS]
        lines.append(
            f"  {path:<13} " + " ".join(f"{cost:>12,.1f}" for cost in costs) + f"   {costs[0] / costs[1]:>8.2f}x"
        )
    return "\n".join(lines)


def _cpu_ratio(results: Results, path: str, other: str) -> float:
    greeter = results.summary(path, GREETER).cpu_us_per_request
    return greeter / results.summary(path, other).cpu_us_per_request


def targets(results: Results) -> list[tuple[str, bool]]:
    """Each target of issue 13, as measured in this run."""
    found = []
    cpu = {path: _cpu_ratio(results, path, STOCK_QUART) for path in SHORT_ROUTES}
    shown = ", ".join(f"{path} {ratio:.2f}x" for path, ratio in cpu.items())
    found.append(
        (f"greeter's CPU per request <= 0.9x stock-quart's on the three routes: {shown}", max(cpu.values()) <= 0.9)
    )
    for other, wanted, note in (("flask-werkzeug", 2.5, ""), ("flask-gunicorn-sync", 1.0, " (the stretch)")):
        ratios = {path: _ratio(results, path, other) for path in SHORT_ROUTES}
        shown = ", ".join(f"{path} {ratio:.2f}x" for path, ratio in ratios.items())
        found.append(
            (
                f"greeter's req/s >= {wanted}x {other}'s on the three routes{note}: {shown}",
                min(ratios.values()) >= wanted,
            )
        )
    if results.streams is not None:
        streams = results.streams
        found.append(
            (
                f"{streams.viewers:,} live viewers on one worker: RSS {results.stream_rss_peak / MB:.0f} MB (<= 200), "
                f"{streams.connected:,} connected and {streams.dropped} dropped (all, 0), the last viewer's tick "
                f"{streams.worst_spread_seconds:.2f} s after the first at worst (<= 1)",
                results.stream_rss_peak <= 200 * MB
                and streams.connected == streams.viewers
                and streams.dropped == 0
                and streams.ticks > 0
                and streams.worst_spread_seconds <= 1.0,
            )
        )
    wait = results.summary(WAIT_PATH, GREETER)
    found.append(
        (
            f"/wait/1 at 1,000 connections: p99 {wait.p99_seconds:.2f} s (<= 1.5), {wait.errors} errors (0)",
            wait.p99_seconds <= 1.5 and wait.errors == 0,
        )
    )
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
        "in_process": [asdict(result) for result in results.in_process],
        "targets": [{"target": text, "met": met} for text, met in targets(results)],
        "seconds": results.seconds,
    }


def chart(plan: Plan, results: Results, path: Path) -> None:
    """Per scenario and contender: median req/s with min-max whiskers (top), CPU µs per request (bottom)."""
    import matplotlib

    matplotlib.use("Agg")  # no screen: straight to a PNG
    import matplotlib.pyplot as plt

    columns = len(plan.scenarios)
    figure, axes = plt.subplots(2, columns, figsize=(4.4 * columns, 7.6), squeeze=False)
    for column, scenario in enumerate(plan.scenarios):
        summaries = [results.summary(scenario.path, key) for key in scenario.contenders]
        colours = ["purple" if key == GREETER else "grey" for key in scenario.contenders]
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
