"""Real servers for `greeter compare` and `greeter bench`: started as their users start them, on free loopback ports."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from flask import Flask
from quart import Quart

from greeter.shared.errors import Refused
from greeter.shared.paths import HYPERCORN_TOML
from greeter.shared.stop_request import StopRequest
from greeter.tools.user_apps import UserApp

HOST = "127.0.0.1"
PYTHON = sys.executable  # the servers run in the environment greeter runs in
START_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0
POLL_SECONDS = 0.05
# settings that would make one side differ from the other, or fix a port: not passed on to the servers
NOT_INHERITED = ("GREETER_PORT", "FLASK_DEBUG", "FLASK_RUN_PORT", "FLASK_RUN_HOST")


class ServerStartError(Refused):
    """A server did not start; the message is one sentence."""


@dataclass(frozen=True)
class ServerSpec:
    """How to start one side, and how it says it listens."""

    name: str
    argv: tuple[str, ...]
    ready: str  # a regular expression with a group `origin`
    cwd: Path | None = None  # where it starts; None: where greeter runs


def twin_on_werkzeug() -> ServerSpec:
    """The Flask twin as `flask run` serves it: Werkzeug's development server, threaded."""
    return ServerSpec(
        name=f"the Flask twin (Flask {version('flask')}) on Werkzeug {version('werkzeug')}'s development server",
        argv=(PYTHON, "-m", "flask", "--app", "greeter.flask_twin", "run", "--host", HOST, "--port", "0"),
        ready=r"Running on (?P<origin>http://\S+)",
    )


def greeter_on_hypercorn(config: Path = HYPERCORN_TOML) -> ServerSpec:
    """The Quart app as `greeter` serves it: Hypercorn with a settings file, the shipped one by default."""
    return ServerSpec(
        name=f"the Quart app (Quart {version('quart')}) on Hypercorn {version('hypercorn')} with {config.name}",
        argv=(PYTHON, "-m", "greeter", "0", "--host", HOST, "--config", str(config)),
        ready=r"serving (?P<origin>http://\S+)",
    )


def user_flask_on_werkzeug(user_app: UserApp[Flask]) -> ServerSpec:
    """A user's Flask app as `flask --app MODULE:APP run` serves it, from the current folder."""
    return ServerSpec(
        name=f"{user_app.shown} (Flask {version('flask')}) on Werkzeug {version('werkzeug')}'s development server",
        argv=(PYTHON, "-m", "flask", "--app", user_app.flask_app_option, "run", "--host", HOST, "--port", "0"),
        ready=r"Running on (?P<origin>http://\S+)",
        cwd=Path.cwd(),
    )


def user_quart_on_hypercorn(user_app: UserApp[Quart]) -> ServerSpec:
    """A user's Quart app as `hypercorn MODULE:APP` serves it: Hypercorn's own settings, from the current folder."""
    return ServerSpec(
        name=f"{user_app.shown} (Quart {version('quart')}) on Hypercorn {version('hypercorn')}",
        argv=(PYTHON, "-m", "hypercorn", "--bind", f"{HOST}:0", user_app.hypercorn_application),
        ready=r"Running on (?P<origin>http://\S+)",
        cwd=Path.cwd(),
    )


@dataclass(frozen=True)
class RunningServer:
    spec: ServerSpec
    origin: str  # scheme://host:port, no trailing slash
    pid: int
    log_path: Path  # what it prints, as it prints it (gone once it stops)

    @property
    def host_and_port(self) -> tuple[str, int]:
        host, _, port = self.origin.removeprefix("http://").rpartition(":")
        return host.strip("[]"), int(port)


def version(distribution: str) -> str:
    """Its version, for a contender's name; one not installed is named so, and the bench says what to install."""
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "(not installed)"


@contextmanager
def all_running(*specs: ServerSpec, every_warning: bool = False) -> Iterator[list[RunningServer]]:
    """Start every server; stop them all on the way out, however it goes, all at once (one may take its graceful
    time: the others do not wait in line behind it). With every_warning, each prints every RuntimeWarning.

    A Ctrl+C or SIGTERM (a `kill`, a service stop) is remembered (greeter/shared/stop_request.py) and acted on by
    the caller between its steps, and here while a server starts: it unwinds through here, never past a server
    started and not yet stopped.
    """
    with tempfile.TemporaryDirectory(prefix="greeter-servers-") as logs:
        processes: list[subprocess.Popen[bytes]] = []
        try:
            log_paths = [Path(logs) / f"server{number}.log" for number in range(len(specs))]
            for spec, log_path in zip(specs, log_paths, strict=True):
                processes.append(
                    _start(spec, log_path, every_warning)
                )  # all of them starting at once, then each waited for
            yield [
                RunningServer(spec, wait_until_ready(spec, process, log_path), process.pid, log_path)
                for spec, process, log_path in zip(specs, processes, log_paths, strict=True)
            ]
        finally:
            _stop(processes)


def _start(spec: ServerSpec, log_path: Path, every_warning: bool) -> subprocess.Popen[bytes]:
    with log_path.open("wb") as log:
        # the log goes to a file: a pipe nobody reads would fill up with the access log and block the server
        return subprocess.Popen(
            spec.argv,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=server_environment(every_warning=every_warning),
            cwd=spec.cwd,
        )


def server_environment(*, every_warning: bool = False) -> dict[str, str]:
    """Ours, less what would make the sides differ; unbuffered, whoever runs greeter: the log is read as it grows.

    every_warning: each RuntimeWarning printed, not only the first of each line of code (Python's default), as
    `greeter compare` reads each case's own (a coroutine never awaited) from the log."""
    inherited = {name: value for name, value in os.environ.items() if name not in NOT_INHERITED}
    if not every_warning:
        return {**inherited, "PYTHONUNBUFFERED": "1"}
    warnings = ",".join(filter(None, [inherited.get("PYTHONWARNINGS"), "always::RuntimeWarning"]))
    return {**inherited, "PYTHONUNBUFFERED": "1", "PYTHONWARNINGS": warnings}


def wait_until_ready(
    spec: ServerSpec, process: subprocess.Popen[bytes], log_path: Path, timeout: float = START_TIMEOUT
) -> str:
    """The origin the server says it listens on, from its log; one sentence if it exits or says nothing in time."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        StopRequest.check()  # stopped while it starts: all_running stops it on the way out
        output = log_path.read_text(errors="replace")
        if match := re.search(spec.ready, output):
            return match.group("origin").rstrip("/")
        if process.poll() is not None:
            last_line = output.strip().splitlines()[-1] if output.strip() else "no output"
            raise ServerStartError(f"{spec.name} exited with status {process.returncode} at start: {last_line}")
        time.sleep(POLL_SECONDS)
    raise ServerStartError(f"{spec.name} did not say it was listening within {timeout:g} s")


def _stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT
    for process in processes:
        try:
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
