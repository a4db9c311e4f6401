"""Processes as /proc shows them (greeter/shared/proc.py): children, CPU time, memory, as the bench reads them."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import spawned

from greeter.shared.proc import command_line, memory_rollup, rss_bytes, tree_cpu_seconds
from greeter.tools.bench.rounds import worker_rss_bytes


def test_a_thread_that_ends_while_its_children_are_read_is_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a threaded server's request thread ends between the listing of /proc/PID/task and the read of its file
    tasks = tmp_path / "42" / "task"
    (tasks / "42").mkdir(parents=True)
    (tasks / "42" / "children").write_text("")
    (tasks / "43").mkdir()
    (tasks / "43" / "children").write_text("7")
    (tmp_path / "42" / "status").write_text("VmRSS:\t  1000 kB\n")
    read_text = Path.read_text

    def thread_43_ends_first(path: Path, *args: Any, **kwargs: Any) -> str:
        if path.parent.name == "43":
            raise FileNotFoundError(path)
        return read_text(path, *args, **kwargs)

    monkeypatch.setattr(Path, "read_text", thread_43_ends_first)
    assert worker_rss_bytes(42, proc=tmp_path) == 1_024_000


# a supervisor of one worker: it starts the worker, says the worker's pid, and waits; the worker says it has started
SUPERVISOR = """
import subprocess, sys, time
worker = subprocess.Popen([sys.executable, "-c", "import time; print('started', flush=True); time.sleep(30)"])
print(worker.pid, flush=True)
time.sleep(30)
"""


def test_the_rss_of_a_process_and_of_its_worker() -> None:
    # a tree of its own: the test run's own process may have other children, left by other tests
    with spawned([sys.executable, "-c", SUPERVISOR], stdout=subprocess.PIPE, text=True) as supervisor:
        assert supervisor.stdout is not None
        worker = int(supervisor.stdout.readline())
        assert supervisor.stdout.readline() == "started\n"  # done growing
        # a process with no child reports its own; one with a child the child's: the worker, not a supervisor
        assert 5_000_000 < worker_rss_bytes(worker) == rss_bytes(worker) < 2_000_000_000
        assert worker_rss_bytes(supervisor.pid) == worker_rss_bytes(worker)


def test_the_cpu_time_of_a_process_tree_counts_its_children() -> None:
    spinner = "import time; print('started', flush=True); end = time.process_time() + 0.5\nwhile time.process_time() < end: pass\nprint('spun', flush=True); time.sleep(30)"  # noqa: E501
    with subprocess.Popen([sys.executable, "-c", spinner], stdout=subprocess.PIPE) as child:
        try:
            assert child.stdout is not None and child.stdout.readline() == b"started\n"
            before = tree_cpu_seconds(os.getpid())
            assert child.stdout.readline() == b"spun\n"
            spent = tree_cpu_seconds(os.getpid()) - before
            assert 0.4 <= spent < 5, spent  # the child's half second is in its parent's tree
            assert tree_cpu_seconds(child.pid) >= 0.5
        finally:
            child.kill()


def test_the_memory_rollup_of_a_process_in_bytes() -> None:
    figures = memory_rollup(os.getpid())
    # PSS counts this process's share of each shared page: never more than what is resident, its anonymous and
    # file-backed parts summing to it (to the kB smaps_rollup rounds to, each part rounded down)
    assert 0 < figures["Pss"] <= figures["Rss"]
    assert figures["Pss"] - 2048 <= figures["Pss_Anon"] + figures["Pss_File"] + figures.get("Pss_Shmem", 0)
    assert figures["Pss"] % 1024 == 0


def test_the_memory_rollup_of_a_process_gone_is_empty(tmp_path: Path) -> None:
    assert memory_rollup(42, proc=tmp_path) == {}
    assert command_line(42, proc=tmp_path) == ()


def test_a_command_line_as_the_process_was_started() -> None:
    with spawned([sys.executable, "-c", "import time; time.sleep(30)", "one arg", ""]) as child:
        for _ in range(100):  # the exec may not have happened yet
            if command_line(child.pid)[1:2] == ("-c",):
                break
            time.sleep(0.02)
        # an empty argument leaves no trace in /proc's NUL-separated list: it is not shown
        assert command_line(child.pid) == (sys.executable, "-c", "import time; time.sleep(30)", "one arg")
