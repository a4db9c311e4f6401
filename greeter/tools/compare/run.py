"""`greeter compare`: the corpus sent to the Flask twin and to the Quart app, and the table or JSON printed."""

from __future__ import annotations

import asyncio
import json

from greeter.tools.compare import report
from greeter.tools.compare.comparison import Comparison, compare_in_process, compare_over_http
from greeter.tools.compare.corpus import load_corpus
from greeter.tools.compare.differences import differences_markdown
from greeter.tools.compare.verdict import Verdict
from greeter.tools.servers import all_running, greeter_on_hypercorn, twin_on_werkzeug


def run_compare(*, as_json: bool, only_differences: bool, in_process: bool, list_differences: bool) -> int:
    """Print the comparison (or the intended differences); the exit status: 1 on any MISMATCH, else 0."""
    if list_differences:
        print(differences_markdown(), end="")
        return 0
    comparison = asyncio.run(_compare(in_process=in_process))
    if as_json:
        print(json.dumps(report.as_json(comparison), indent=2, ensure_ascii=False))
    else:
        print(report.table(comparison, only_differences=only_differences))
    return 1 if any(outcome.verdict is Verdict.MISMATCH for outcome in comparison.outcomes) else 0


async def _compare(*, in_process: bool) -> Comparison:
    cases = load_corpus()
    if in_process:
        from greeter import create_app
        from greeter.flask_twin import create_flask_app

        return await compare_in_process(cases, create_flask_app(), create_app())
    with all_running(twin_on_werkzeug(), greeter_on_hypercorn()) as (twin, quart):
        return await compare_over_http(cases, twin, quart)
