"""The fuzz survey (tests/fuzz_survey.py) stopped as Ctrl+C stops it: its servers stop, and it writes the counts so
far, each shard's and the total."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from conftest import REPO_ROOT, STARTUP_TIMEOUT, scaled, spawned

SURVEY = REPO_ROOT / "tests" / "fuzz_survey.py"
STOP_TIMEOUT = scaled(60.0)  # a case in flight ends first (CASE_SECONDS at most), then both servers stop
ADDRESS = re.compile(r"(?:serving|Running on) http://127\.0\.0\.1:(\d+)")


def ports_of(shard: Path) -> list[int]:
    """The ports greeter and the twin of a shard listen on, as they logged them."""
    said = "".join(path.read_text(errors="replace") for path in sorted(shard.glob("server*.*")))
    return [int(port) for port in ADDRESS.findall(said)]


def twin_answered(shard: Path) -> bool:
    """Whether the shard's twin logged an answer: the survey is sending cases."""
    return any(" HTTP/" in path.read_text(errors="replace") for path in shard.glob("server1.*"))


def test_a_stopped_survey_stops_its_servers_and_writes_the_counts_so_far(tmp_path: Path) -> None:
    out = tmp_path / "survey"
    argv = [sys.executable, str(SURVEY), "--examples", "100000", "--shards", "2", "--out", str(out)]
    with spawned(argv, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as survey:
        deadline = time.monotonic() + 2 * STARTUP_TIMEOUT
        while not all(twin_answered(out / f"shard{n}") for n in range(2)):
            assert survey.poll() is None and time.monotonic() < deadline, survey.stdout and survey.stdout.read()
            time.sleep(0.2)
        ports = [port for n in range(2) for port in ports_of(out / f"shard{n}")]
        os.killpg(survey.pid, signal.SIGINT)  # as Ctrl+C: to the survey's whole group (its session), the shards too
        printed, _ = survey.communicate(timeout=STOP_TIMEOUT)
    assert len(ports) == 4, ports
    for port in ports:
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", port)) != 0, f"a server still listens on {port}\n{printed}"
    report = json.loads((out / "report.json").read_text())
    assert report["stopped"] and 0 < report["counts"]["(cases)"] < 200_000, printed
    assert f"{report['counts']['(cases)']} cases" in printed and "stopped" in printed, printed
