"""Load from wrk, and what it printed read back as figures."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from dataclasses import dataclass

from greeter.shared.errors import GreeterError, Refused
from greeter.shared.stop_request import StopRequest

WRK_THREADS = 2  # one per core of the machine the figures were taken on
INSTALL_HINT = "install it: apt-get install wrk (Debian and Ubuntu), brew install wrk (macOS)"
STOP_POLL_SECONDS = 0.1  # how soon a stop asked for during a run ends it
_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}


class WrkMissing(GreeterError):
    """wrk is not installed: one sentence saying how to install it."""


class WrkFailed(Refused):
    """wrk ran but could not make the load: one sentence with what it said."""


@dataclass(frozen=True)
class LoadResult:
    """One wrk run against one contender."""

    requests_per_second: float
    p50_seconds: float
    p99_seconds: float
    requests: int
    errors: int  # socket errors (connect, read, write, timeout) and answers that were not 2xx or 3xx


def wrk_path() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise WrkMissing(f"greeter bench needs wrk to make the load; {INSTALL_HINT}")
    return path


def run_wrk(url: str, *, connections: int, seconds: int, timeout: int) -> LoadResult:
    """Run wrk for a while against one URL and read its figures (wrk takes whole seconds only)."""
    argv = [wrk_path(), f"-t{min(WRK_THREADS, connections)}", f"-c{connections}", f"-d{seconds}s",
            f"--timeout={timeout}s", "--latency", url]  # fmt: skip
    with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as wrk:
        deadline = time.monotonic() + seconds + timeout + 30
        try:
            while wrk.poll() is None:
                StopRequest.check()  # a Ctrl+C during a run: wrk goes too, not left loading a stopped server
                if time.monotonic() > deadline:
                    raise WrkFailed(f"wrk against {url} did not end within {seconds + timeout + 30} s")
                time.sleep(STOP_POLL_SECONDS)
        finally:
            if wrk.poll() is None:
                wrk.kill()
        stdout, stderr = wrk.communicate()
    if wrk.returncode != 0:
        said = (stderr or stdout).strip().splitlines() or ["nothing"]
        raise WrkFailed(f"wrk failed against {url} (exit status {wrk.returncode}): {said[-1]}")
    return parse_wrk(stdout)


def parse_wrk(output: str) -> LoadResult:
    """The figures of wrk's report (with --latency)."""
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    not_ok = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return LoadResult(
        requests_per_second=float(_find(r"Requests/sec:\s+([\d.]+)", output)),
        p50_seconds=_duration(_find(r"^\s+50%\s+(\S+)", output)),
        p99_seconds=_duration(_find(r"^\s+99%\s+(\S+)", output)),
        requests=int(_find(r"(\d+) requests in", output)),
        errors=(sum(int(count) for count in socket_errors.groups()) if socket_errors else 0)
        + (int(not_ok.group(1)) if not_ok else 0),
    )


def _find(pattern: str, output: str) -> str:
    match = re.search(pattern, output, flags=re.MULTILINE)
    if match is None:
        raise ValueError(f"wrk's output has no {pattern!r}:\n{output}")
    return match.group(1)


def _duration(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if match is None:
        raise ValueError(f"wrk printed a latency this does not read: {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]
