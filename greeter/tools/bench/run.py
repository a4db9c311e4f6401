"""`greeter bench`: the lineup and the plan, every scenario run, and the table, JSON and charts written."""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import math
import sys
from pathlib import Path
from typing import Any

from greeter.server.hypercorn_config import load_hypercorn_config
from greeter.server.limits import allow_many_connections
from greeter.shared.errors import GreeterError
from greeter.shared.paths import HYPERCORN_TOML
from greeter.tools.bench import charts, report, tables
from greeter.tools.bench.contenders import Lineup, greeters_lineup, user_lineup, with_baseline
from greeter.tools.bench.course import CourseResult
from greeter.tools.bench.plan import NEEDS_WRK, SCENARIOS, make_plan
from greeter.tools.bench.scenarios import in_process, run_scenarios
from greeter.tools.bench.wrk import wrk_path
from greeter.tools.user_apps import load_flask_app, load_quart_app


class BenchError(GreeterError):
    """Something greeter bench needs is missing or was given wrong: one sentence, exit status 2."""


@dataclasses.dataclass(frozen=True)
class Options:
    quick: bool = False
    rounds: int | None = None
    seconds: int | None = None
    viewers: int | None = None
    students: int | None = None
    only: tuple[str, ...] = ()
    as_json: bool = False
    in_process: bool = False
    out: Path = Path("bench-results")
    config_path: Path | None = None
    flask: str | None = None
    quart: str | None = None
    paths: tuple[str, ...] = ()
    baseline: Path | None = None


def run_bench(options: Options) -> None:
    """Measure every scenario of the plan (or with in_process only each app's own cost); print and write them."""
    lineup = _lineup(options)
    plan = make_plan(
        lineup, quick=options.quick, only=("in-process",) if options.in_process else options.only,
        rounds=options.rounds, seconds=options.seconds, viewers=options.viewers, students=options.students,
    )  # fmt: skip
    if options.in_process:  # each app's own cost alone, in seconds: no server, no file written
        found = in_process(plan, lineup)
        in_json = {"in_process": [dataclasses.asdict(result) for result in found]}
        shown = tables.in_process_table(found, lineup.in_process, tuple(lineup.routes))
        print(json.dumps(in_json, indent=2) if options.as_json else shown)
        return
    if any(plan.runs(name) for name in NEEDS_WRK):
        wrk_path()  # wrk missing: one sentence saying how to install it
    _require_modules(("gunicorn", "matplotlib"), "in greeter's checkout, pip install -e '.[bench]'")
    allow_many_connections()  # thousands of clients and streams; every server started from here inherits it
    results = run_scenarios(plan, lineup, progress=lambda line: print(line, file=sys.stderr, flush=True))
    options.out.mkdir(parents=True, exist_ok=True)
    figures = without_nan(report.as_json(plan, lineup, results))
    shown = report.full_report(plan, lineup, results)
    (options.out / "bench.json").write_text(json.dumps(figures, indent=2) + "\n")
    (options.out / "bench.txt").write_text(shown + "\n")  # what the tables said, for a page to quote
    written = [options.out / "bench.json", options.out / "bench.txt"]
    if results.routes.runs:
        charts.routes_chart(plan, results.routes, lineup.subject, options.out / "bench.png")
        written.append(options.out / "bench.png")
    if isinstance(results.course, CourseResult):
        charts.course_chart(results.course, options.out / "course.png")
        written.append(options.out / "course.png")
    print(json.dumps(figures, indent=2) if options.as_json else shown)
    print(f"greeter bench: wrote {', '.join(str(path) for path in written)}", file=sys.stderr)


def _lineup(options: Options) -> Lineup:
    for name in options.only:
        if name not in SCENARIOS:
            raise BenchError(f"--only {name}: there is no such scenario; there are {', '.join(SCENARIOS)}.")
    if (options.flask is None) != (options.quart is None):
        given, missing = ("--flask", "--quart") if options.flask is not None else ("--quart", "--flask")
        raise BenchError(f"{given} needs {missing} too: the bench measures a Flask app against its Quart port.")
    if options.flask is not None and options.quart is not None:
        for option, value in (("--config", options.config_path), ("--baseline", options.baseline)):
            if value is not None:
                raise BenchError(f"{option} is for greeter's own contenders, not for your apps.")
        for path in options.paths:
            if not path.startswith("/"):
                raise BenchError(f"--path {path} must start with a slash, as /x does.")
        return user_lineup(load_flask_app(options.flask), load_quart_app(options.quart), options.paths or ("/",))
    if options.paths:
        raise BenchError("--path is for your own apps: give --flask MODULE:APP and --quart MODULE:APP with it.")
    config = HYPERCORN_TOML if options.config_path is None else options.config_path
    load_hypercorn_config(config)  # a wrong file is one sentence here, not a server that fails to start
    lineup = greeters_lineup(config)
    if options.baseline is None:
        return lineup
    if not (options.baseline / "greeter" / "__init__.py").is_file():
        raise BenchError(f"--baseline {options.baseline} is not a checkout of greeter (it has no greeter/__init__.py).")
    return with_baseline(lineup, options.baseline.resolve(), config)


def without_nan(value: Any) -> Any:
    """JSON has no NaN: a figure with nothing to measure (no request answered) is null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: without_nan(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [without_nan(item) for item in value]
    return value


def _require_modules(names: tuple[str, ...], install: str) -> None:
    missing = [name for name in names if importlib.util.find_spec(name) is None]
    if missing:
        raise BenchError(f"greeter bench needs {' and '.join(missing)}: {install}")
