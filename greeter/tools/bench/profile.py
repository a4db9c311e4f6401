"""Where a worker's time goes under load, by package: a sampling profile (py-spy) while wrk loads each route.

Each sample is the Python stack of a thread that was running; it is counted for the package of its innermost
frame (the code running at that instant: a C function's time goes to the Python frame that called it). Samples of
an idle worker (waiting in the event loop for the next request) are not taken. The shares say how much of a
request's cost any change to one package could save: greeter's own code is what greeter can change.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from greeter.shared.stop_request import StopRequest
from greeter.tools.bench.wrk import run_wrk
from greeter.tools.servers import RunningServer

RATE = 250  # samples a second
ATTACH_SECONDS = 1.0  # py-spy's own start, before the load begins
FRAME_FILE = re.compile(r"\((?P<file>[^()]*?):\d+\)$")
CONNECTIONS = 50
# innermost frames by the first part of their file's path, as py-spy shows it (relative to sys.path)
GROUPS = {
    "h11": "h11",
    "quart": "Quart",
    "flask": "Flask",
    "werkzeug": "Werkzeug",
    "hypercorn": "Hypercorn",
    "jinja2": "Jinja",
    "markupsafe": "Jinja",
    "asyncio": "asyncio/uvloop",
    "uvloop": "asyncio/uvloop",
    "click": "other libraries",
}


@dataclass(frozen=True)
class Profile:
    samples: int
    shares: dict[str, float]  # group: fraction of the samples, largest first
    own: str  # the group that is the subject's own code


def py_spy_path() -> str | None:
    beside = Path(sys.executable).parent / "py-spy"  # installed with greeter[bench], in its environment
    return str(beside) if beside.exists() else shutil.which("py-spy")


def profile_under_load(
    server: RunningServer,
    paths: tuple[str, ...],
    *,
    seconds: int,
    own: str,
    own_modules: tuple[str, ...],
    progress: Callable[[str], None],
) -> Profile | str:
    """The profile, or one sentence saying why there is none (py-spy missing, or not allowed to read the worker)."""
    py_spy = py_spy_path()
    if py_spy is None:
        return "no profile: py-spy is not installed (pip install 'greeter[bench]')"
    with tempfile.TemporaryDirectory(prefix="greeter-profile-") as folder:
        raw = Path(folder) / "samples.txt"
        duration = len(paths) * seconds + 2 * ATTACH_SECONDS
        argv = [
            py_spy,
            "record",
            "--pid",
            str(server.pid),
            "--subprocesses",
            "--rate",
            str(RATE),
            "--duration",
            str(int(duration + 0.999)),
            "--format",
            "raw",
            "--output",
            str(raw),
        ]
        with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as spy:
            try:
                time.sleep(ATTACH_SECONDS)
                for path in paths:
                    StopRequest.check()
                    run_wrk(server.origin + path, connections=CONNECTIONS, seconds=seconds, timeout=5)
                said, _ = spy.communicate(timeout=duration + 30)
            finally:
                if spy.poll() is None:
                    spy.kill()
        if spy.returncode != 0 or not raw.exists():
            last = (said or "").strip().splitlines()[-1:] or ["nothing"]
            return (
                f"no profile: py-spy could not sample the worker ({last[0]}); it needs ptrace (root, or CAP_SYS_PTRACE)"
            )
        found = shares_by_package(raw.read_text(), own, own_modules)
    progress(f"profile    {found.samples:,} samples of {server.spec.name}")
    return found


def shares_by_package(raw: str, own: str, own_modules: tuple[str, ...]) -> Profile:
    """py-spy's raw output (`frame;frame;... count` per line) grouped by the innermost frame's package."""
    counts: Counter[str] = Counter()
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        innermost = stack.rsplit(";", 1)[-1]
        match = FRAME_FILE.search(innermost)
        counts[group_of(match.group("file") if match else "", own, own_modules)] += int(count)
    total = sum(counts.values())
    return Profile(
        samples=total,
        shares={group: count / total for group, count in counts.most_common()} if total else {},
        own=own,
    )


def group_of(file: str, own: str, own_modules: tuple[str, ...]) -> str:
    first = file.split("/", 1)[0].removesuffix(".py")
    if first in own_modules:
        return own
    if first in GROUPS:
        return GROUPS[first]
    if first.startswith("<") or first in sys.stdlib_module_names:
        return "the standard library (other)"
    return "other libraries"
