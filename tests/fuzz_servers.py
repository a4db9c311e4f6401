"""greeter and its twin on real servers for the differential fuzzer, and one case sent to both at once.

greeter as its users serve it (the `greeter` command: Hypercorn with the shipped hypercorn.toml), the twin as
`flask run` serves it (Werkzeug's development server), each on a free loopback port, started with conftest's
helpers; `code` serves another checkout's greeter instead of this one (tests/fuzz_survey.py, for a run before a
fix). Each case goes to both on a new connection; what each logged meanwhile is kept, to find tracebacks.
"""

from __future__ import annotations

import asyncio
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from conftest import GREETER_READY, RUNNING_ON, Server, StartServer, command_path, scaled
from fuzz_families import Seen
from fuzz_models import h11_head, werkzeug_answers
from fuzz_requests import FuzzCase

from greeter.tools.compare.raw_http import RawExchange, exchange_raw

HOST = "127.0.0.1"
PATIENCE = scaled(10.0)  # for an answer the models say comes: long, so a loaded machine is slow, not different
WAITING = 0.5  # for one the models say does not come (the server waits for the rest of a head, or raised)
BETWEEN = scaled(1.0)  # for the next answer, once one came: a server that answered is not slow
QUIET = 0.05  # after every request's answer: bytes beyond them, or a close, come at once
CASE_SECONDS = scaled(15.0)  # one case's whole exchange, at most
LOG_SECONDS = scaled(0.1)  # an error is logged as the connection ends: after a cut answer, before logs are read


@dataclass(frozen=True)
class Pair:
    """greeter and the twin, running."""

    greeter: Server
    twin: Server

    def log_marks(self) -> tuple[int, ...]:
        """Where each server's output files end now."""
        return tuple(path.stat().st_size for path in self._logs())

    def logs_since(self, marks: tuple[int, ...]) -> tuple[str, str]:
        """What greeter and the twin each wrote since the marks."""
        said = []
        for path, mark in zip(self._logs(), marks, strict=True):
            with path.open("rb") as log:
                log.seek(mark)
                said.append(log.read().decode("utf-8", errors="replace"))
        return said[0] + said[1], said[2] + said[3]

    def _logs(self) -> tuple[Path, ...]:
        return self.greeter.stdout_path, self.greeter.stderr_path, self.twin.stdout_path, self.twin.stderr_path


def start_pair(start: StartServer, code: Path | None = None) -> Pair:
    """Both servers; with `code`, each runs from that checkout and imports its greeter (`python -m` puts the
    current folder first on the path, PYTHONPATH after it: both are set)."""
    where = {} if code is None else {"env": {"PYTHONPATH": str(code)}, "cwd": code}
    greeter = start([command_path("greeter"), "0", "--host", HOST], GREETER_READY, **where)
    twin_argv = [sys.executable, "-m", "flask", "--app", "greeter.flask_twin", "run", "--host", HOST, "--port", "0"]
    return Pair(greeter, start(twin_argv, RUNNING_ON, **where))


def run_case(pair: Pair, case: FuzzCase) -> Seen:
    """Send the case to both servers at once; what each answered and logged."""
    marks = pair.log_marks()
    greeter_waits = h11_head(case.data) is None
    twin_waits = not werkzeug_answers(case.data)
    greeter, twin = asyncio.run(_both(pair, case, greeter_waits, twin_waits))
    if any(not answer.complete or answer.status == 500 for answer in greeter.answers) or (
        greeter.closed and not greeter.answers
    ):
        time.sleep(LOG_SECONDS)
    greeter_log, twin_log = pair.logs_since(marks)
    return Seen(case.data, case.methods, greeter, twin, greeter_log, twin_log)


async def _both(pair: Pair, case: FuzzCase, greeter_waits: bool, twin_waits: bool) -> tuple[RawExchange, RawExchange]:
    async def one(server: Server, waits: bool) -> RawExchange:
        host, port = server.address
        return await exchange_raw(
            host,
            port,
            case.data,
            methods=case.methods,
            patience=WAITING if waits else PATIENCE,
            between=BETWEEN,
            quiet=QUIET,
            timeout=CASE_SECONDS,
        )

    greeter, twin = await asyncio.gather(one(pair.greeter, greeter_waits), one(pair.twin, twin_waits))
    return greeter, twin
