"""`greeter bench`: every contender started, the plan run, and the table, JSON and chart written."""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import sys
from pathlib import Path

from greeter.server.hypercorn_config import load_hypercorn_config
from greeter.shared.errors import GreeterError
from greeter.tools.bench import contenders as every
from greeter.tools.bench import report
from greeter.tools.bench.contenders import SHORT_ROUTES
from greeter.tools.bench.rounds import make_plan, run_plan
from greeter.tools.bench.wrk import wrk_path
from greeter.tools.servers import all_running


class BenchError(GreeterError):
    """Something greeter bench needs is missing: one sentence saying how to get it, exit status 2."""


def run_bench(
    *,
    quick: bool,
    rounds: int | None,
    seconds: int | None,
    viewers: int | None,
    as_json: bool,
    in_process: bool,
    out: Path,
    config_path: Path,
) -> None:
    """Measure every contender, or with in_process only each app's own cost; print and write the results."""
    plan = make_plan(quick=quick, rounds=rounds, seconds=seconds, viewers=viewers)
    if in_process:
        from greeter.tools.bench.in_process import run_in_process

        found = run_in_process(SHORT_ROUTES, rounds=plan.in_process_rounds, requests=plan.in_process_requests)
        in_json = {"in_process": [dataclasses.asdict(result) for result in found]}
        print(json.dumps(in_json, indent=2) if as_json else report.in_process_table(found))
        return
    wrk_path()  # wrk missing: one sentence saying how to install it
    _require_modules(("gunicorn", "matplotlib"), "pip install 'greeter[bench]'")
    load_hypercorn_config(config_path)  # a wrong file is one sentence here, not a server that fails to start
    contenders = {contender.key: contender for contender in every.served(config_path)}
    with all_running(*(contender.spec for contender in contenders.values())) as servers:
        running = dict(zip(contenders, servers, strict=True))
        results = run_plan(plan, running, progress=lambda line: print(line, file=sys.stderr, flush=True))
    out.mkdir(parents=True, exist_ok=True)
    figures = report.as_json(plan, results, contenders)
    (out / "bench.json").write_text(json.dumps(figures, indent=2) + "\n")
    report.chart(plan, results, out / "bench.png")
    print(json.dumps(figures, indent=2) if as_json else report.table(plan, results, contenders))
    print(f"greeter bench: wrote {out / 'bench.json'} and {out / 'bench.png'}", file=sys.stderr)


def _require_modules(names: tuple[str, ...], install: str) -> None:
    missing = [name for name in names if importlib.util.find_spec(name) is None]
    if missing:
        raise BenchError(f"greeter bench needs {' and '.join(missing)}: {install}")
