"""How much of each scenario a run of the bench does: the full run, or --quick, a smoke test of every scenario in
a tiny size whose figures mean nothing (what CI runs)."""

from __future__ import annotations

from dataclasses import dataclass

from greeter.tools.bench.contenders import Lineup
from greeter.tools.bench.rounds import Scenario

# the scenarios, in the order a run does them; `greeter bench --only NAME` runs some of them
SCENARIOS = ("footprint", "course", "streams", "routes", "profile", "crowd", "in-process", "instructions")
ROUTE_CONNECTIONS = 50
NEEDS_WRK = ("routes", "profile", "crowd")
NEEDS_SERVERS = ("routes", "profile", "crowd")


@dataclass(frozen=True)
class Plan:
    quick: bool
    scenarios: tuple[str, ...]  # which of SCENARIOS run
    rounds: int  # of the routes, and of the per-stream memory
    seconds: int  # of load per run of a route
    routes: tuple[Scenario, ...]
    footprint_rounds: int
    footprint_edits: int
    students: int
    course_seconds: float
    course_interval: float  # seconds between two pages of one student
    stream_count: int  # streams held open to measure memory per stream
    stream_rounds: int
    owner_streams: int  # streams under tracemalloc
    crowd_clients: int
    crowd_seconds: int
    crowd_timeout: int
    crowd_streams: int
    crowd_ticks: int  # every live stream of the crowd gets these
    crowd_connect_timeout: float  # a stream not answered by then has failed
    profile_seconds: int  # of load per route while the profile is taken
    in_process_rounds: int
    in_process_requests: int
    instruction_warm_up: int
    instruction_requests: int
    served_instruction_requests: int  # per route and contender, on the server under valgrind (not in --quick)

    def runs(self, scenario: str) -> bool:
        return scenario in self.scenarios


def make_plan(
    lineup: Lineup,
    *,
    quick: bool,
    only: tuple[str, ...] = (),
    rounds: int | None = None,
    seconds: int | None = None,
    viewers: int | None = None,
    students: int | None = None,
) -> Plan:
    """The full bench, or --quick; the numbers given on the command line win."""
    rounds = rounds or (1 if quick else 5)
    seconds = seconds or (1 if quick else 5)
    wanted = only or SCENARIOS
    if not lineup.course:
        wanted = tuple(name for name in wanted if name != "course")
    if not lineup.streams:
        wanted = tuple(name for name in wanted if name != "streams")
    routes = tuple(
        Scenario(path, ROUTE_CONNECTIONS, contenders, seconds, timeout=5) for path, contenders in lineup.routes.items()
    )
    return Plan(
        quick=quick,
        scenarios=tuple(name for name in SCENARIOS if name in wanted),
        rounds=rounds,
        seconds=seconds,
        routes=routes,
        footprint_rounds=1 if quick else rounds,
        footprint_edits=1 if quick else 3,
        students=students or (2 if quick else 30),
        course_seconds=3.0 if quick else 60.0,
        course_interval=1.0 if quick else 3.0,
        stream_count=30 if quick else 2_000,
        stream_rounds=1 if quick else 3,
        owner_streams=10 if quick else 300,
        crowd_clients=50 if quick else 5_000,
        crowd_seconds=2 if quick else 10,  # /wait/1: at least a second's wait per client
        crowd_timeout=5 if quick else 10,
        crowd_streams=viewers if viewers is not None else (50 if quick else 5_000),
        crowd_ticks=1 if quick else 3,
        crowd_connect_timeout=3.0 if quick else 10.0,
        profile_seconds=1 if quick else 5,
        in_process_rounds=1 if quick else rounds,
        in_process_requests=200 if quick else 2_000,
        instruction_warm_up=10 if quick else 100,
        instruction_requests=10 if quick else 300,
        served_instruction_requests=500,
    )
