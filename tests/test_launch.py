"""The servers `greeter compare` and `greeter bench` start go when the command goes, however it is stopped."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from conftest import DOCS, command_path, scaled, spawned

STOP_TIMEOUT = scaled(30.0)


def children_of(pid: int) -> set[int]:
    """The pids of a process's children right now (Linux: each thread lists the children it started)."""
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found |= {int(child) for child in (task / "children").read_text().split()}
        except (FileNotFoundError, ProcessLookupError):  # a thread that ended while we looked
            continue
    return found


def is_running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"  # a zombie has exited: only its parent's wait is missing


@pytest.mark.parametrize("signal_number", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_compare_stops_the_servers_it_started(signal_number: int) -> None:
    argv = [command_path("greeter"), "compare"]
    with spawned(
        argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True
    ) as process:
        # signalled as soon as its first server is up: a systemd stop, a `kill` or a closed terminal
        deadline = time.monotonic() + STOP_TIMEOUT
        started: set[int] = set()
        while not started and process.poll() is None and time.monotonic() < deadline:
            started = children_of(process.pid)
            time.sleep(0.01)
        assert started, "greeter compare started no server"
        process.send_signal(signal_number)
        _, stderr = process.communicate(timeout=STOP_TIMEOUT)
    assert "Traceback" not in stderr, stderr
    assert (process.returncode, stderr.lstrip("\n")) == (1, "greeter: stopped.\n")
    deadline = time.monotonic() + STOP_TIMEOUT
    while any(is_running(pid) for pid in started) and time.monotonic() < deadline:
        time.sleep(0.05)
    left = [pid for pid in started if is_running(pid)]
    for pid in left:  # not to leave them for the rest of the suite
        os.kill(pid, signal.SIGKILL)
    assert not left, f"servers left running after greeter compare was stopped: {left}"


def descendants_of(pid: int) -> set[int]:
    found = children_of(pid)
    for child in set(found):
        found |= descendants_of(child)
    return found


def test_compare_of_your_own_apps_stops_hypercorns_worker_too() -> None:
    # plain `hypercorn` runs its app in a worker process of its own: a grandchild of greeter compare
    argv = [command_path("greeter"), "compare", "--flask", "flask_app", "--quart", "quart_app"]
    pipes = {"stdout": subprocess.DEVNULL, "stderr": subprocess.PIPE, "stdin": subprocess.DEVNULL, "text": True}
    with spawned(argv, cwd=DOCS / "example", **pipes) as process:
        deadline = time.monotonic() + STOP_TIMEOUT
        started: set[int] = set()
        while len(started) < 3 and process.poll() is None and time.monotonic() < deadline:  # two servers, a worker
            started = descendants_of(process.pid)
            time.sleep(0.01)
        assert len(started) >= 3, f"greeter compare started {started}"
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=STOP_TIMEOUT)
    assert (process.returncode, stderr.lstrip("\n")) == (1, "greeter: stopped.\n")
    deadline = time.monotonic() + STOP_TIMEOUT
    while any(is_running(pid) for pid in started) and time.monotonic() < deadline:
        time.sleep(0.05)
    left = [pid for pid in started if is_running(pid)]
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert not left, f"processes left running after greeter compare was stopped: {left}"
