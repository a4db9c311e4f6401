"""A course on one server: N students, each a `greeter --socket ... --reload` behind one real Apache with the course
file, each with the /process/ page's live stream open and a page asked for every few seconds.

The students are not N real accounts: every greeter runs as whoever runs the bench, each in the socket folder the
admin would make for its student (the web server's group, set-group-ID, 2750) and told its student's name
(GREETER_PREFIX_USER, which a real student's greeter takes from its account), so Apache reaches each exactly as on
the course server, through the student's own proxy worker. What separate accounts add is who may connect to which
socket, which changes nothing in memory or time (tests/test_course_server.py checks it with real accounts); making a
hundred accounts on the machine would.
The students share one installation, as a course's shared environment does: with a virtual environment each, the
libraries' pages (their Pss_File) would be each one's own.

Measured: the PSS of each student's process tree and in all (pages shared by all students divided among them),
Apache's, each student's p50 and p99, and every failure.
"""

from __future__ import annotations

import asyncio
import math
import os
import re
import signal
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from greeter.shared.proc import memory_rollup, process_tree
from greeter.shared.stop_request import StopRequest
from greeter.tools.bench.course_client import StudentLoad, run_visitors
from greeter.tools.bench.course_site import (
    APACHE,
    READY,
    CourseUnavailable,
    Site,
    make_socket_folder,
    require_apache,
    self_signed_certificate,
    write_site,
)
from greeter.tools.bench.probe import until_served
from greeter.tools.bench.sessions import free_port, spawn_session, stop_sessions
from greeter.tools.servers import PYTHON, server_environment

STARTING_AT_ONCE = 4  # students whose greeters start together: a course does not start in one instant
START_TIMEOUT = 60.0
GOAL_STUDENTS, GOAL_BYTES, GOAL_P99_SECONDS = 100, 4 * 2**30, 0.100  # issue 21: 100 students in 4 GiB, p99 100 ms


@dataclass(frozen=True)
class StudentResult:
    name: str
    pss: int  # the student's process tree: supervisor, workers, helpers
    processes: int
    requests: int
    errors: int
    first_errors: tuple[str, ...]
    p50_seconds: float
    p99_seconds: float
    events: int


@dataclass(frozen=True)
class CourseResult:
    students: int
    seconds: float
    interval: float
    start_seconds: float  # until every student's greeter answered
    apache_pss: int
    apache_processes: int
    results: tuple[StudentResult, ...]
    load: tuple[float, float]  # the 1-minute load average before and after

    @property
    def total_pss(self) -> int:
        return sum(student.pss for student in self.results)

    @property
    def errors(self) -> int:
        return sum(student.errors for student in self.results)

    @property
    def slowest(self) -> StudentResult:
        return max(self.results, key=lambda student: student.p99_seconds)


def percentile(values: list[float], fraction: float) -> float:
    """Nearest rank: the smallest value at least `fraction` of the values are not above (nan if none)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def run_course(students: int, *, seconds: float, interval: float, progress: Callable[[str], None]) -> CourseResult:
    """The whole scenario: folders, certificate, the students' greeters, Apache, the load; everything stopped after."""
    require_apache()
    names = [f"student{number:03d}" for number in range(1, students + 1)]
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="greeter-course-") as scratch, ExitStack() as running:
        folder = Path(scratch)
        folder.chmod(0o755)  # Apache's workers (www-data) go through it to the sockets
        (folder / "sockets").mkdir(mode=0o755)
        (folder / "sockets").chmod(0o755)
        certfile, keyfile = self_signed_certificate(folder)
        site = Site(folder, free_port(), free_port(), certfile, keyfile, folder / "sockets")
        for name in names:  # the admin's folders first: `greeter course apache-config` makes a worker for each
            make_socket_folder(site, name)
        write_site(site)
        started = time.monotonic()
        greeters = _start_students(site, names, folder, running, progress)
        start_seconds = time.monotonic() - started
        apache = _start_apache(site, running)
        memory: dict[str, tuple[int, int]] = {}

        def measure_memory() -> None:
            for name, greeter in greeters.items():
                memory[name] = _tree_pss(greeter.pid)
            memory["apache"] = _tree_pss(apache.pid)

        progress(f"course     {students} students up in {start_seconds:.1f} s; the load for {seconds:g} s")
        loads = asyncio.run(
            run_visitors(
                names, site.https_port, certfile, seconds=seconds, interval=interval, while_loaded=measure_memory
            )
        )
    return CourseResult(
        students=students,
        seconds=seconds,
        interval=interval,
        start_seconds=start_seconds,
        apache_pss=memory["apache"][0],
        apache_processes=memory["apache"][1],
        results=tuple(_student_result(load, memory[load.name]) for load in loads),
        load=(load_before, os.getloadavg()[0]),
    )


def _student_result(load: StudentLoad, memory: tuple[int, int]) -> StudentResult:
    return StudentResult(
        name=load.name,
        pss=memory[0],
        processes=memory[1],
        requests=len(load.seconds),
        errors=len(load.errors),
        first_errors=tuple(load.errors[:3]),
        p50_seconds=statistics.median(load.seconds) if load.seconds else math.nan,
        p99_seconds=percentile(load.seconds, 0.99),
        events=load.events,
    )


def _tree_pss(pid: int) -> tuple[int, int]:
    members = process_tree(pid)
    return sum(memory_rollup(member).get("Pss", 0) for member in members), len(members)


def _start_students(
    site: Site, names: list[str], folder: Path, running: ExitStack, progress: Callable[[str], None]
) -> dict[str, subprocess.Popen[bytes]]:
    """Each student's `greeter --socket <their folder>/greeter.sock --reload`, a few at a time, each answering."""
    greeters: dict[str, subprocess.Popen[bytes]] = {}
    running.callback(lambda: stop_sessions(greeters.values()))  # every one at once, however this ends
    for first in range(0, len(names), STARTING_AT_ONCE):
        batch = names[first : first + STARTING_AT_ONCE]
        for name in batch:
            argv = [PYTHON, "-m", "greeter", "--socket", str(site.socket_of(name)), "--reload"]
            # the account each greeter would run as: it answers only its own URL (/~<name>/greeter/), as on the course
            environment = server_environment() | {"GREETER_PREFIX_USER": name}
            greeters[name] = spawn_session(argv, folder / f"{name}.log", env=environment)
        deadline = time.monotonic() + START_TIMEOUT
        for name in batch:
            StopRequest.check()
            if not until_served(site.socket_of(name), "/", deadline):
                said = (folder / f"{name}.log").read_text(errors="replace").strip().splitlines()[-1:] or ["nothing"]
                raise CourseUnavailable(f"{name}'s greeter did not answer within {START_TIMEOUT:g} s: {said[0]}")
        if len(names) > STARTING_AT_ONCE:
            progress(f"course     {len(greeters)}/{len(names)} students' greeters answer")
    return greeters


def _start_apache(site: Site, running: ExitStack) -> subprocess.Popen[bytes]:
    log = site.folder / "apache.log"
    apache = spawn_session([str(APACHE), "-f", str(site.main_file), "-DFOREGROUND"], log, env=server_environment())
    running.callback(stop_sessions, [apache], signal.SIGTERM)  # Apache's own way to stop at once
    deadline = time.monotonic() + START_TIMEOUT
    while READY not in log.read_text(errors="replace"):
        StopRequest.check()
        if apache.poll() is not None or time.monotonic() > deadline:
            said = re.sub(r"\s+", " ", log.read_text(errors="replace").strip())[-300:]
            raise CourseUnavailable(f"Apache did not start with the course file: {said or 'it said nothing'}")
        time.sleep(0.05)
    return apache
