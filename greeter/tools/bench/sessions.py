"""Commands started as from a terminal, each in a session of its own, and stopped as a terminal stops them.

A command's process group is its whole tree (a supervisor, its workers and helpers): Ctrl+C goes to all of it,
and whatever of it is still there after STOP_TIMEOUT is killed, by its group, never by a name.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterable
from contextlib import suppress
from pathlib import Path

from greeter.tools.servers import HOST

STOP_TIMEOUT = 15.0


def spawn_session(
    argv: list[str], log_path: Path, *, env: dict[str, str], cwd: Path | None = None
) -> subprocess.Popen[bytes]:
    """Start `argv` in a session of its own, what it prints going to `log_path`."""
    with log_path.open("wb") as log:
        return subprocess.Popen(
            argv,
            cwd=cwd,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )


def stop_sessions(processes: Iterable[subprocess.Popen[bytes]], signal_number: int = signal.SIGINT) -> None:
    """Ctrl+C (or another signal) to every one's process group at once; then each waited for, its group's
    leftovers (a forkserver, a reloader's child) killed once the time is up."""
    processes = list(processes)
    for process in processes:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal_number)
    deadline = time.monotonic() + STOP_TIMEOUT
    for process in processes:
        with suppress(subprocess.TimeoutExpired):
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
        while time.monotonic() < deadline and _group_alive(process.pid):
            time.sleep(0.05)
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # nothing left there, or what would not stop
        process.wait()


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


def free_port() -> int:
    """A loopback port free right now, for a command that prints the port it was given rather than the real one."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])
