"""Instructions per request, counted by valgrind (callgrind): the in-process harness, under a count no other process
on the machine changes. CPU time per request moves by 15-30% with the machine's load; this does not.

One valgrind run does every app and path: this module again (--inside), which for each in turn makes a few warm-up
requests, calls os.getsid, makes N requests and calls os.getsid again. Callgrind is told to dump its counts at every
getsid (`--dump-before=getsid`, a libc function nothing else here calls), so each measured stretch is one dump: its
count divided by N is the instructions per request, the harness's own small share included alike for every app.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from greeter.tools.servers import PYTHON

TIMEOUT = 1_800  # valgrind runs a program some 50 times slower
SUMMARY = re.compile(r"^summary:\s+(\d+)", re.MULTILINE)


@dataclass(frozen=True)
class InstructionCount:
    path: str
    contender: str
    instructions_per_request: float
    requests: int


def valgrind_path() -> str | None:
    return shutil.which("valgrind")


def count_instructions(
    keys: tuple[str, ...], paths: tuple[str, ...], *, warm_up: int, requests: int, user_specs: tuple[str, str] | None
) -> list[InstructionCount] | str:
    """Each app's instructions per request on each path, or one sentence saying why there are none."""
    valgrind = valgrind_path()
    if valgrind is None:
        return "no instruction counts: valgrind is not installed (apt-get install valgrind)"
    plan = {"keys": keys, "paths": paths, "warm_up": warm_up, "requests": requests, "user_specs": user_specs}
    with tempfile.TemporaryDirectory(prefix="greeter-callgrind-") as folder:
        argv = [
            valgrind,
            "--tool=callgrind",
            f"--callgrind-out-file={folder}/counts",
            "--dump-before=getsid",
            PYTHON,
            "-m",
            "greeter.tools.bench.instructions",
            json.dumps(plan),
        ]
        env = {**os.environ, "PYTHONHASHSEED": "0"}  # the same dictionaries' layout in every run
        done = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT, env=env, check=False)
        if done.returncode != 0:
            said = (done.stderr.strip().splitlines() or ["nothing"])[-1]
            return f"no instruction counts: valgrind's run failed ({said})"
        counts = dump_counts(Path(folder))
    measured = counts[1::2]  # dumps alternate: the warm-up (and start) before each stretch, then the stretch
    stretches = [(path, key) for key in keys for path in paths]
    if len(measured) < len(stretches):
        return f"no instruction counts: callgrind dumped {len(counts)} times, not {2 * len(stretches)}"
    return [
        InstructionCount(path, key, count / requests, requests)
        for (path, key), count in zip(stretches, measured, strict=False)
    ]


def dump_counts(folder: Path) -> list[int]:
    """The instructions of each dump (counts.1, counts.2, ...), in order; the part after the last is left out."""
    dumps = sorted(
        (int(path.name.rsplit(".", 1)[1]), path) for path in folder.iterdir() if re.fullmatch(r"counts\.\d+", path.name)
    )
    return [int(match.group(1)) for _, path in dumps if (match := SUMMARY.search(path.read_text()))]


async def _stretches(
    keys: Iterable[str], paths: Iterable[str], warm_up: int, requests: int, user: tuple[str, str] | None
) -> None:
    from greeter.tools.bench.in_process import app_measures

    user_apps = None
    if user is not None:
        from greeter.tools.user_apps import load_flask_app, load_quart_app

        user_apps = (load_flask_app(user[0]).app, load_quart_app(user[1]).app)
    measures = app_measures(keys, user_apps)
    for key in keys:
        for path in paths:
            await measures[key](path, warm_up)
            os.getsid(0)  # a dump: the stretch starts
            await measures[key](path, requests)
            os.getsid(0)  # a dump: the stretch ends


def main(plan_text: str) -> None:
    from greeter.server.worker import event_loop_factory

    plan = json.loads(plan_text)
    user = tuple(plan["user_specs"]) if plan["user_specs"] else None
    with asyncio.Runner(loop_factory=event_loop_factory("uvloop")) as runner:
        runner.run(_stretches(plan["keys"], plan["paths"], plan["warm_up"], plan["requests"], user))


if __name__ == "__main__":
    main(sys.argv[1])
