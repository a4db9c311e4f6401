"""What a development server costs as its users start it: memory, time to its first answer, edit to served.

Each command starts in a session of its own, as from a terminal, in a copy of greeter's checkout (its edits must
not touch yours) or in the user's folder. It is asked for a page until it answers 200 (start to first answer),
then left idle a second; then the PSS of its whole process tree is summed (/proc/<pid>/smaps_rollup: each page
shared with other processes counted in part, so a supervisor and its forked workers are not counted twice). A
reloader then has its view edited, and is asked every 5 ms, on fresh connections, until the new text is served
(edit to served), a few times. Ctrl+C (SIGINT to its process group, as a terminal sends it) ends it.

The commands take turns round by round, in a rotated order, and the figures are medians: the PSS of shared
libraries depends on what else maps them, so only commands measured side by side, in one run, compare.
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from greeter.shared.paths import HYPERCORN_TOML, PACKAGE_DIR, TEMPLATES_DIR
from greeter.shared.proc import command_line, memory_rollup, process_tree
from greeter.shared.stop_request import StopRequest
from greeter.tools.bench.contenders import Command
from greeter.tools.bench.probe import Address, until_served
from greeter.tools.bench.sessions import free_port, spawn_session, stop_sessions
from greeter.tools.servers import HOST, PYTHON, server_environment

START_TIMEOUT = 30.0
IDLE_SECONDS = 1.0  # after the first answer: whatever the server does once started is done
EDIT_GAP_SECONDS = (0.3, 0.7)  # between two edits, varied: out of phase with any reloader's poll
HELLO = re.compile(r'return "Hello World![^"]*"')
NOT_INHERITED = ("PYTHONPATH", "FLASK_APP", "FLASK_DEBUG", "QUART_APP", "QUART_DEBUG")


@dataclass(frozen=True)
class ProcessMemory:
    """One process of a command's tree, in bytes."""

    label: str  # what it is: the command, a worker's title, multiprocessing's helpers
    pss: int
    pss_anon: int  # its own and copied-on-write pages, shared with forked relatives only
    pss_file: int  # its share of the files it maps: the interpreter, the libraries
    rss: int


@dataclass(frozen=True)
class FootprintRun:
    command: str
    round: int
    start_seconds: float
    processes: tuple[ProcessMemory, ...]
    edits_seconds: tuple[float, ...]  # edit to served, each edit
    edits_missed: int  # edits not served within START_TIMEOUT
    load: float  # the 1-minute load average as it started

    @property
    def pss(self) -> int:
        return sum(process.pss for process in self.processes)


@dataclass(frozen=True)
class FootprintRow:
    """One command over the rounds: medians, and the processes of its last round."""

    command: str
    processes: tuple[ProcessMemory, ...]
    pss: int
    pss_min: int
    pss_max: int
    start_seconds: float
    edit_seconds: float | None  # median over every edit of every round; None: not a reloader
    edit_worst_seconds: float | None
    edits_missed: int
    load: float


def summarise(runs: list[FootprintRun], commands: tuple[Command, ...]) -> list[FootprintRow]:
    rows = []
    for command in commands:
        mine = [run for run in runs if run.command == command.key]
        if not mine:
            continue
        edits = [seconds for run in mine for seconds in run.edits_seconds]
        rows.append(
            FootprintRow(
                command=command.key,
                processes=mine[-1].processes,
                pss=int(statistics.median(run.pss for run in mine)),
                pss_min=min(run.pss for run in mine),
                pss_max=max(run.pss for run in mine),
                start_seconds=statistics.median(run.start_seconds for run in mine),
                edit_seconds=statistics.median(edits) if edits else None,
                edit_worst_seconds=max(edits) if edits else None,
                edits_missed=sum(run.edits_missed for run in mine),
                load=statistics.median(run.load for run in mine),
            )
        )
    return rows


@contextmanager
def served_copy(checkout: Path | None = None) -> Iterator[Path]:
    """A copy of greeter's package, templates and hypercorn.toml (this greeter's, or another checkout's), its
    bytecode compiled (as after a first start)."""
    package, templates, config = (
        (PACKAGE_DIR, TEMPLATES_DIR, HYPERCORN_TOML)
        if checkout is None
        else (checkout / "greeter", checkout / "templates", checkout / "hypercorn.toml")
    )
    with tempfile.TemporaryDirectory(prefix="greeter-footprint-") as folder:
        copy = Path(folder)
        shutil.copytree(package, copy / "greeter", ignore=shutil.ignore_patterns("__pycache__"))
        if not templates.is_relative_to(package):
            shutil.copytree(templates, copy / "templates")
        shutil.copy(config, copy / "hypercorn.toml")  # beside the package, where `hypercorn --config` finds it
        subprocess.run([PYTHON, "-m", "compileall", "-q", str(copy / "greeter")], check=True, timeout=120)
        yield copy


def measure_footprints(
    commands: tuple[Command, ...],
    folder: Path,
    *,
    baseline: Path | None = None,
    rounds: int,
    edits: int,
    probe_path: str,
    progress: Callable[[str], None],
    together: bool = False,
) -> list[FootprintRun]:
    """Every command, round after round, in a rotated order (nobody always first or last).

    baseline: where the baseline's commands run (a copy of the checkout greeter is compared with).
    together: all of a round's commands at once, each reloader in a copy of its own (--quick: a smoke test, whose
    figures mean nothing, in seconds rather than a minute)."""

    def folder_of(command: Command) -> Path:
        return baseline if command.baseline and baseline is not None else folder

    runs = []
    for number in range(rounds):
        shift = number % len(commands)
        turn = commands[shift:] + commands[:shift]
        StopRequest.check()  # a Ctrl+C between two rounds or commands
        if together:
            with ThreadPoolExecutor(len(turn)) as pool, ExitStack() as copies:
                folders = [copies.enter_context(_copy_of(folder_of(c))) if c.edited else folder_of(c) for c in turn]
                found = list(
                    pool.map(partial(measure_one, number=number, edits=edits, probe_path=probe_path), turn, folders)
                )
        else:
            found = []
            for command in turn:
                StopRequest.check()
                found.append(measure_one(command, folder_of(command), number, edits=edits, probe_path=probe_path))
        for run in found:
            times = ", ".join(f"{seconds:.2f}" for seconds in run.edits_seconds)
            progress(
                f"footprint  round {number + 1}/{rounds}  {run.command:<20} {run.pss / 2**20:6.1f} MiB in "
                f"{len(run.processes)}, first answer {run.start_seconds:.2f} s"
                + (f", edit to served {times} s" if times else "")
            )
        runs += found
    return runs


@contextmanager
def _copy_of(folder: Path) -> Iterator[Path]:
    """Another copy of the served copy, bytecode and all: a reloader's edits are its own."""
    with tempfile.TemporaryDirectory(prefix="greeter-footprint-") as other:
        copy = Path(other) / "copy"
        shutil.copytree(folder, copy)
        yield copy


class FootprintFailed(RuntimeError):
    """A command did not serve within START_TIMEOUT: said with the end of what it printed."""


def measure_one(command: Command, folder: Path, number: int, *, edits: int, probe_path: str) -> FootprintRun:
    with tempfile.TemporaryDirectory(prefix="greeter-footprint-run-") as scratch:
        socket_path = Path(scratch) / "greeter.sock"
        port = free_port()
        address: Address = socket_path if command.on_socket else (HOST, port)
        argv = [part.format(port=port, socket=socket_path) for part in command.argv]
        log_path = Path(scratch) / "log"
        load = os.getloadavg()[0]
        started = time.monotonic()
        process = spawn_session(argv, log_path, env=_environment(folder), cwd=folder)
        try:
            if not until_served(address, probe_path, started + START_TIMEOUT):
                said = log_path.read_text(errors="replace").strip().splitlines()[-3:]
                raise FootprintFailed(f"`{command.key}` did not answer within {START_TIMEOUT:g} s: {' / '.join(said)}")
            start_seconds = time.monotonic() - started
            time.sleep(IDLE_SECONDS)
            shown = {str(socket_path): "SOCKET", str(port): "PORT"}  # the same in every round
            processes = tuple(_memory(pid, shown) for pid in process_tree(process.pid))
            times, missed = _edits(command, folder, address, probe_path, number, edits) if command.edited else ((), 0)
        finally:
            stop_sessions([process])
    return FootprintRun(command.key, number, start_seconds, processes, times, missed, load)


def _environment(folder: Path) -> dict[str, str]:
    """The servers' environment, the copy's greeter imported before any installed one."""
    inherited = {name: value for name, value in server_environment().items() if name not in NOT_INHERITED}
    return {**inherited, "PYTHONPATH": str(folder)}


def _memory(pid: int, shown: dict[str, str]) -> ProcessMemory:
    figures = memory_rollup(pid)
    label = process_label(command_line(pid))
    for text, placeholder in shown.items():
        label = label.replace(text, placeholder)
    return ProcessMemory(
        label=label,
        pss=figures.get("Pss", 0),
        pss_anon=figures.get("Pss_Anon", 0),
        pss_file=figures.get("Pss_File", 0),
        rss=figures.get("Rss", 0),
    )


def process_label(argv: tuple[str, ...]) -> str:
    """A process, named by what it is: `greeter 4123 --reload`, `forkserver`, `greeter worker 1 (port 4123)`."""
    text = " ".join(argv)
    for helper in ("forkserver", "resource_tracker", "spawn"):
        if f"from multiprocessing.{helper} import" in text:
            return f"multiprocessing {helper.replace('_', ' ')}"
    if len(argv) >= 3 and argv[1] == "-m":  # python -m MODULE ...
        return " ".join(argv[2:])
    if argv and "/" in argv[0] and len(argv) >= 2:  # a console script: python SCRIPT ...
        return " ".join((Path(argv[1]).name, *argv[2:]))
    return text or "?"


def _edits(
    command: Command, folder: Path, address: Address, path: str, number: int, edits: int
) -> tuple[tuple[float, ...], int]:
    assert command.edited is not None
    views = folder / command.edited
    original = views.read_text()
    times, missed = [], 0
    try:
        for edit in range(edits):
            # a new length each time: Python trusts a .pyc of the same size and second as its source
            text = f"Hello World! edit {number}.{edit} " + "!" * (edit + 1)
            _set_hello(views, original, text)
            edited = time.monotonic()
            if until_served(address, path, edited + START_TIMEOUT, text.encode()):
                times.append(time.monotonic() - edited)
            else:
                missed += 1
            time.sleep(EDIT_GAP_SECONDS[0] + (EDIT_GAP_SECONDS[1] - EDIT_GAP_SECONDS[0]) * (edit % 3) / 2)
    finally:
        views.write_text(original)
    until_served(address, path, time.monotonic() + START_TIMEOUT, b"Hello World!")  # the original, served again
    return tuple(times), missed


def _set_hello(views: Path, original: str, text: str) -> None:
    edited = HELLO.sub(f'return "{text}"', original, count=1)
    if edited == original:
        raise FootprintFailed(f'{views} has no `return "Hello World!"` to edit')
    views.write_text(edited)
