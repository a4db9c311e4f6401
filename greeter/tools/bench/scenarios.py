"""Every scenario of a plan, in order, and their results in one object.

The order keeps each measurement apart from the others: the footprint and the course first, while no other server
runs (the PSS of shared pages depends on who else maps them), then the per-stream memory on fresh servers, then
every contender started once for the routes, the profile and the crowd, then the in-process costs with the
servers stopped. The instruction counts do not depend on the machine's load: a full run does them last, on their
own; --quick does them beside the rest, to stay quick.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from greeter.tools.bench.contenders import BASELINE, Lineup
from greeter.tools.bench.course import CourseResult, run_course
from greeter.tools.bench.course_site import CourseUnavailable
from greeter.tools.bench.crowd import CrowdResult, measure_crowd
from greeter.tools.bench.footprint import FootprintRun, measure_footprints, served_copy
from greeter.tools.bench.in_process import InProcessResult, run_in_process
from greeter.tools.bench.instructions import InstructionCount, count_instructions
from greeter.tools.bench.plan import NEEDS_SERVERS, Plan
from greeter.tools.bench.profile import Profile, profile_under_load
from greeter.tools.bench.rounds import Results, run_rounds
from greeter.tools.bench.served_instructions import CountFailed, per_request
from greeter.tools.bench.stream_memory import StreamMemory, measure_stream_memory
from greeter.tools.bench.stream_owners import Owners
from greeter.tools.servers import PYTHON, ServerStartError, all_running

OWNERS_TIMEOUT = 600


@dataclass
class BenchResults:
    footprint: list[FootprintRun] = field(default_factory=list)
    course: CourseResult | str | None = None  # str: why it did not run
    stream_memory: list[StreamMemory] = field(default_factory=list)
    owners: dict[str, Owners | str] = field(default_factory=dict)  # "greeter" and "bare"
    routes: Results = field(default_factory=Results)
    profile: Profile | str | None = None
    crowd: list[CrowdResult] = field(default_factory=list)
    in_process: list[InProcessResult] = field(default_factory=list)
    instructions: list[InstructionCount] | str | None = None
    served_instructions: list[InstructionCount] | str | None = None  # str: why there are none
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)  # scenario: seconds it took
    load: tuple[float, float] = (0.0, 0.0)  # the 1-minute load average at the start and at the end


def run_scenarios(plan: Plan, lineup: Lineup, progress: Callable[[str], None]) -> BenchResults:
    results = BenchResults(load=(os.getloadavg()[0], 0.0))
    started = time.monotonic()

    @contextmanager
    def timed(name: str) -> Iterator[None]:
        begun = time.monotonic()
        yield
        results.timings[name] = time.monotonic() - begun
        progress(f"{name} took {results.timings[name]:.0f} s")

    # --quick: what does not share a server with the rest runs beside it (its figures mean nothing, its time does)
    beside = []
    if plan.quick and plan.runs("instructions"):
        beside.append(_beside(lambda: setattr(results, "instructions", _instructions(plan, lineup))))
    if plan.quick and plan.runs("streams"):
        beside.append(
            _beside(lambda: results.owners.update(stream_owners(plan.owner_streams, parallel=True, brief=True)))
        )
    if plan.runs("footprint"):
        with timed("footprint"):
            _footprint(plan, lineup, results, progress)
    if plan.runs("course"):
        with timed("course"):
            _course(plan, results, progress)
    if plan.runs("streams"):
        with timed("streams"):
            _streams(plan, lineup, results, progress)
    if any(plan.runs(name) for name in NEEDS_SERVERS):
        with timed("served"):
            _served(plan, lineup, results, progress)
    if plan.runs("in-process"):
        with timed("in-process"):
            results.in_process = in_process(plan, lineup)
    if plan.runs("instructions") and not plan.quick:
        with timed("instructions in-process"):
            results.instructions = _instructions(plan, lineup)
        with timed("instructions on the server"):
            results.served_instructions = _served_instructions(plan, lineup, progress)
    for thread in beside:  # --quick: what ran beside the rest is done by now, or nearly
        thread.join()
    if isinstance(results.instructions, str):
        progress(results.instructions)
    results.seconds = time.monotonic() - started
    results.load = (results.load[0], os.getloadavg()[0])
    return results


def _course(plan: Plan, results: BenchResults, progress: Callable[[str], None]) -> None:
    try:
        results.course = run_course(
            plan.students, seconds=plan.course_seconds, interval=plan.course_interval, progress=progress
        )
    except CourseUnavailable as why:
        results.course = f"no course scenario: {why}"
        progress(results.course)


def _streams(plan: Plan, lineup: Lineup, results: BenchResults, progress: Callable[[str], None]) -> None:
    contenders = tuple(lineup.contender(key) for key in lineup.streams)
    results.stream_memory = measure_stream_memory(
        contenders, streams=plan.stream_count, rounds=plan.stream_rounds, progress=progress, together=plan.quick
    )
    if not plan.quick:  # --quick has them measured beside the rest
        results.owners = stream_owners(plan.owner_streams, parallel=False, brief=False)


def in_process(plan: Plan, lineup: Lineup) -> list[InProcessResult]:
    user_apps = None if lineup.user_apps is None else (lineup.user_apps[0].app, lineup.user_apps[1].app)
    return run_in_process(
        lineup.in_process,
        tuple(lineup.routes),
        rounds=plan.in_process_rounds,
        requests=plan.in_process_requests,
        user_apps=user_apps,
    )


def _footprint(plan: Plan, lineup: Lineup, results: BenchResults, progress: Callable[[str], None]) -> None:
    def measure(folder: Path, baseline: Path | None) -> None:
        results.footprint = measure_footprints(
            lineup.commands,
            folder,
            baseline=baseline,
            rounds=plan.footprint_rounds,
            edits=plan.footprint_edits,
            probe_path=lineup.probe_path,
            progress=progress,
            together=plan.quick,
        )

    if lineup.folder is not None:
        measure(lineup.folder, None)
        return
    with served_copy() as folder, ExitStack() as baseline:
        measure(folder, None if lineup.baseline is None else baseline.enter_context(served_copy(lineup.baseline)))


def _served(plan: Plan, lineup: Lineup, results: BenchResults, progress: Callable[[str], None]) -> None:
    """Every contender a scenario here takes, started once, each on its own port."""
    wanted = set()
    if plan.runs("routes"):
        wanted |= {key for scenario in plan.routes for key in scenario.contenders}
    if plan.runs("crowd"):
        wanted |= set(lineup.crowd)
    if plan.runs("profile"):
        wanted.add(lineup.subject)
    contenders = [contender for contender in lineup.served if contender.key in wanted]
    with all_running(*(contender.spec for contender in contenders)) as started:
        servers = {contender.key: server for contender, server in zip(contenders, started, strict=True)}
        if plan.runs("routes"):
            results.routes = run_rounds(plan.routes, plan.rounds, servers, progress)
        if plan.runs("profile"):
            own_modules = _own_modules(lineup)
            results.profile = profile_under_load(
                servers[lineup.subject],
                tuple(lineup.routes),
                seconds=plan.profile_seconds,
                own=lineup.subject,
                own_modules=own_modules,
                progress=progress,
            )
            if isinstance(results.profile, str):
                progress(results.profile)
        if plan.runs("crowd"):
            results.crowd = measure_crowd(
                servers,
                lineup.crowd,
                path=lineup.crowd_path,
                clients=plan.crowd_clients,
                seconds=plan.crowd_seconds,
                timeout=plan.crowd_timeout,
                streams=plan.crowd_streams if lineup.crowd_streams else 0,
                ticks=plan.crowd_ticks,
                connect_timeout=plan.crowd_connect_timeout,
                progress=progress,
                together=plan.quick,
            )


def _own_modules(lineup: Lineup) -> tuple[str, ...]:
    if lineup.user_apps is None:
        return ("greeter",)
    return (lineup.user_apps[1].module.split(".", 1)[0],)


def stream_owners(streams: int, *, parallel: bool, brief: bool) -> dict[str, Owners | str]:
    """greeter's and the bare app's per-stream owners, each measured in a process of its own."""
    more = ["--brief"] if brief else []
    argv = {
        kind: [PYTHON, "-m", "greeter.tools.bench.stream_owners", kind, str(streams), "--json", *more]
        for kind in ("greeter", "bare")
    }
    found: dict[str, Owners | str] = {}
    if parallel:
        running = {
            kind: subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for kind, args in argv.items()
        }
        for kind, process in running.items():
            found[kind] = _owners(kind, *process.communicate(timeout=OWNERS_TIMEOUT), process.returncode)
        return found
    for kind, args in argv.items():
        done = subprocess.run(args, capture_output=True, text=True, timeout=OWNERS_TIMEOUT, check=False)
        found[kind] = _owners(kind, done.stdout, done.stderr, done.returncode)
    return found


def _owners(kind: str, stdout: str, stderr: str, status: int) -> Owners | str:
    if status != 0:
        return f"no owners of {kind}'s streams: {(stderr.strip().splitlines() or ['nothing said'])[-1]}"
    figures = json.loads(stdout)
    figures["top"] = [tuple(entry) for entry in figures["top"]]
    return Owners(**figures)


def _instructions(plan: Plan, lineup: Lineup) -> list[InstructionCount] | str:
    user = None if lineup.user_apps is None else (lineup.user_apps[0].spec, lineup.user_apps[1].spec)
    return count_instructions(
        lineup.in_process,
        tuple(lineup.routes),
        warm_up=plan.instruction_warm_up,
        requests=plan.instruction_requests,
        user_specs=user,
    )


def _served_instructions(
    plan: Plan, lineup: Lineup, progress: Callable[[str], None]
) -> list[InstructionCount] | str | None:
    """The subject's and its floor's instructions per request on the server, on each route that has a floor; and
    the baseline's (--baseline), for the before and after of a change."""
    before = (BASELINE,) if lineup.baseline is not None else ()
    pairs = [(key, path) for path, floor in lineup.cpu_floor.items() for key in (lineup.subject, *before, floor)]
    counts = []
    for key, path in pairs:
        progress(f"instructions on the server: {key} on {path} under valgrind")
        try:
            counts.append(per_request(lineup.contender(key).spec, key, path, plan.served_instruction_requests))
        except (CountFailed, ServerStartError) as failure:  # a server that did not start under valgrind too
            return f"no instruction counts on the server: {failure}"
    return counts or None


def _beside(work: Callable[[], None]) -> threading.Thread:
    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    return thread
