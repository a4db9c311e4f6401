"""Instructions per request on the server, serving included: the CPU figure no other process on the machine moves.

CPU time per request on a served route moves by 15-30% from one run to the next on a shared machine, more than the
differences it is meant to show; instructions.py counts the app alone, in-process. Here each contender is served as
the routes scenario serves it (the same command line, Hypercorn settings and worker), but under valgrind
(cachegrind, no cache simulation: it only counts), every process of its tree counted until it exits. It runs twice
per path: once answering WARM_UP requests, once answering those and REQUESTS more, one after another on one
kept-alive connection. Everything but those REQUESTS is the same in both runs (start, imports, warm-up, stop), so
the difference over REQUESTS is what one request costs the server: Hypercorn, h11, the connection layer and the app.

What is not the same in both: the longer run lasts longer, and under valgrind some 50 times longer than it would
(20-40 s), so what a server does per second rather than per request (greeter's watchdog heartbeat, ten a second) is
counted about 50 times too often; for greeter that is some 0.5% of its count.
"""

from __future__ import annotations

import http.client
import re
import shutil
import signal
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

from greeter.shared.stop_request import StopRequest
from greeter.tools.bench.instructions import InstructionCount
from greeter.tools.servers import ServerSpec, server_environment, wait_until_ready

WARM_UP = 20
START_TIMEOUT = 180.0  # a server under valgrind imports its framework some 50 times slower
REQUEST_TIMEOUT = 30.0
STOP_TIMEOUT = 120.0
SUMMARY = re.compile(r"^summary:\s+(\d+)", re.MULTILINE)


class CountFailed(Exception):
    """A counted run that could not be made: the sentence says why."""


def count_served(spec: ServerSpec, path: str, requests: int) -> int:
    """The instructions of one server tree, start to exit, having answered WARM_UP + requests GETs of path."""
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        raise CountFailed("valgrind is not installed (apt-get install valgrind)")
    with tempfile.TemporaryDirectory(prefix="greeter-served-") as folder:
        argv = [
            valgrind,
            "--tool=cachegrind",
            "--cache-sim=no",
            "--trace-children=yes",  # stock Hypercorn serves from a worker process it starts
            f"--cachegrind-out-file={folder}/counts.%p",
            *spec.argv,
        ]
        log_path = Path(folder) / "server.log"
        env = {**server_environment(), "PYTHONHASHSEED": "0"}  # the same dictionaries' layout in both runs
        with log_path.open("wb") as log:
            server = subprocess.Popen(
                argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, cwd=spec.cwd
            )
        stopped = False
        try:
            shown = replace(spec, name=f"{spec.name} under valgrind")
            origin = wait_until_ready(shown, server, log_path, START_TIMEOUT)
            _answer(origin, path, WARM_UP + requests)
        finally:
            stopped = _stop(server)
        if not stopped:
            raise CountFailed(f"{spec.name} under valgrind did not stop within {STOP_TIMEOUT:g} s")
        counts = [SUMMARY.search(dump.read_text()) for dump in Path(folder).glob("counts.*")]
        if not counts or None in counts:
            raise CountFailed(f"{spec.name} under valgrind left no count")
        return sum(int(found.group(1)) for found in counts if found is not None)


def per_request(spec: ServerSpec, key: str, path: str, requests: int) -> InstructionCount:
    """One request's instructions on the server: the longer run's count less the shorter's, over requests."""
    # both at once, one a core: a count does not move with the load, and each run is mostly valgrind's start
    with ThreadPoolExecutor(max_workers=2) as pool:
        few, more = pool.map(lambda answered: count_served(spec, path, answered), (0, requests))
    return InstructionCount(path, key, (more - few) / requests, requests)


def _answer(origin: str, path: str, requests: int) -> None:
    host, _, port = origin.removeprefix("http://").rpartition(":")
    connection = http.client.HTTPConnection(host.strip("[]"), int(port), timeout=REQUEST_TIMEOUT)
    try:
        for _ in range(requests):
            StopRequest.check()
            connection.request("GET", path)
            answer = connection.getresponse()
            answer.read()
            if answer.status >= 400:
                raise CountFailed(f"GET {path} got {answer.status}, not an answer to count")
    finally:
        connection.close()


def _stop(server: subprocess.Popen[bytes]) -> bool:
    """Whether it stopped by itself, gracefully (killed, valgrind writes no count)."""
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)  # each process exits and valgrind writes its count
    try:
        server.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
        return False
    return True
