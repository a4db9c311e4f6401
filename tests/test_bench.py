"""`greeter bench`: wrk's figures read right, the viewers' client, each scenario's own reading of what it measures,
and a --quick run of every scenario end to end, on greeter's own apps and on a user's pair (docs/example).

No test asserts a speed: the figures are the benchmark's to report, on a machine others share.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import subprocess
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from conftest import DOCS, GREETER_READY, REPO_ROOT, StartServer, command_path, free_port, require_tool, scaled

from greeter.cli import course_apache_config
from greeter.tools.bench.contenders import BASELINE, STOCK_QUART_TEMPLATE, greeters_lineup, with_baseline
from greeter.tools.bench.course import percentile
from greeter.tools.bench.course_site import (
    COURSE_MPM_FILE,
    STUDENT_CONNECTIONS,
    STUDENT_TIMEOUT,
    CourseUnavailable,
    Site,
    course_site,
    make_socket_folder,
    self_signed_certificate,
    write_site,
)
from greeter.tools.bench.footprint import process_label
from greeter.tools.bench.in_process import run_in_process
from greeter.tools.bench.instructions import InstructionCount, dump_counts
from greeter.tools.bench.plan import SCENARIOS
from greeter.tools.bench.profile import shares_by_package
from greeter.tools.bench.rounds import Results
from greeter.tools.bench.run import without_nan
from greeter.tools.bench.scenarios import BenchResults
from greeter.tools.bench.served_instructions import per_request
from greeter.tools.bench.tables import cpu_table
from greeter.tools.bench.targets import targets
from greeter.tools.bench.viewers import watch
from greeter.tools.bench.wrk import parse_wrk

WRK_OUTPUT = """Running 5s test @ http://127.0.0.1:8101/
  2 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    21.98ms    3.00ms 600.00us   90.00%
    Req/Sec     1.14k   100.00     1.30k    70.00%
  Latency Distribution
     50%  850.00us
     75%   23.00ms
     90%   25.00ms
     99%    1.20s
  11368 requests in 5.01s, 1.50MB read
  Socket errors: connect 1, read 2, write 0, timeout 4
  Non-2xx or 3xx responses: 5
Requests/sec:   2267.88
Transfer/sec:    300.00KB
"""
BENCH_TIMEOUT = scaled(300)  # --quick takes about a minute here, on a busy machine
# a test that runs the bench waits for it, not pytest-timeout's shorter default: the bench's own bound is the one
WAITS_FOR_THE_BENCH = pytest.mark.timeout(BENCH_TIMEOUT + scaled(30))
ROUTES = ("/", "/hello/Scott", "/greet/")
FOOTPRINT = {
    "greeter",
    "greeter --reload",
    "greeter --socket",
    "hypercorn",
    "flask run",
    "flask run --debug",
    "quart run",
    "quart run --reload",
}
RELOADERS = {"greeter --reload", "flask run --debug", "quart run --reload"}
CROWD = ("greeter", "flask-gunicorn-gthread", "flask-gunicorn-gthread-1000", "flask-werkzeug")
ISSUE_21_TARGETS = 9  # 4 of the footprint, the course, streams, CPU, 2 of the crowd
PERFORMANCE_PAGE = DOCS / "performance.md"
# each scenario's heading on the performance page, in the order a run does them
SCENARIO_HEADINGS = {
    "footprint": "Footprint",
    "course": "Course",
    "streams": "Memory per live stream",
    "routes": "Routes (CPU per request)",
    "profile": "Profile",
    "crowd": "Crowd (where async wins)",
    "in-process": "In-process",
    "instructions": "Instructions",
}
IN_PROCESS = ("greeter", "stock-quart", STOCK_QUART_TEMPLATE, "flask-twin")


def test_wrk_figures() -> None:
    result = parse_wrk(WRK_OUTPUT)
    assert result.requests_per_second == 2267.88
    assert result.p50_seconds == pytest.approx(850e-6)
    assert result.p99_seconds == pytest.approx(1.2)
    assert result.requests == 11368
    assert result.errors == 1 + 2 + 4 + 5


def test_wrk_figures_without_errors() -> None:
    clean = WRK_OUTPUT.replace("  Socket errors: connect 1, read 2, write 0, timeout 4\n", "").replace(
        "  Non-2xx or 3xx responses: 5\n", ""
    )
    assert parse_wrk(clean).errors == 0


def test_wrk_output_it_cannot_read() -> None:
    with pytest.raises(ValueError, match="Requests/sec"):
        parse_wrk("unable to connect to 127.0.0.1:1 Connection refused")


def test_in_process_every_app_answers_every_route() -> None:
    found = run_in_process(IN_PROCESS, ROUTES, rounds=1, requests=5)
    assert {(result.path, result.contender) for result in found} == {(p, c) for p in ROUTES for c in IN_PROCESS}
    for result in found:
        assert result.status == 200, result  # a 404 would measure the wrong thing
        assert result.cpu_us_per_request > 0


async def test_viewers_each_get_every_tick(start_server: StartServer) -> None:
    server = start_server([command_path("greeter"), "0"], GREETER_READY, env={"GREETER_PROCESS_TICK_SECONDS": "0.2"})
    host, port = server.address
    result = await watch(host, port, viewers=50, ticks=3, timeout=20)
    assert (result.connected, result.dropped) == (50, 0)
    assert result.ticks >= 3
    assert 0 <= result.median_spread_seconds <= result.worst_spread_seconds
    assert 0 <= result.lag_p99_seconds <= result.worst_spread_seconds
    assert server.stop() == 0


async def test_viewers_that_the_server_drops_are_counted(start_server: StartServer) -> None:
    # a cap of 10 viewers: the other 5 get a 503 and never connect
    server = start_server([command_path("greeter"), "0"], GREETER_READY, env={"GREETER_STREAM_MAX_VIEWERS": "10"})
    host, port = server.address
    result = await watch(host, port, viewers=15, ticks=1, timeout=10)
    assert (result.connected, result.dropped) == (10, 5)
    assert server.stop() == 0


async def test_viewers_of_a_server_that_never_answers_fail_in_bounded_time() -> None:
    # what a thread-per-request server with its one thread busy does: it takes the connection and says nothing
    with socket.create_server(("127.0.0.1", 0)) as silent:
        host, port = silent.getsockname()
        started = time.monotonic()
        result = await asyncio.wait_for(watch(host, port, viewers=5, ticks=1, timeout=5, connect_timeout=0.5), 30)
    assert (result.connected, result.dropped, result.ticks) == (0, 5, 0)
    assert time.monotonic() - started < 15  # the connect timeout, not forever


def test_a_profile_is_shared_out_by_the_package_of_the_innermost_frame() -> None:
    raw = (
        "<module> (greeter/__main__.py:36);Runner.run (asyncio/runners.py:118);"
        "H11Protocol.handle (h11/_connection.py:10) 6\n"
        "<module> (greeter/__main__.py:36);LeanHTTPConnection.__call__ (greeter/plumbing/asgi_connection.py:93) 2\n"
        "<module> (greeter/__main__.py:36);Quart.full_dispatch_request (quart/app.py:1400) 1\n"
        "<module> (greeter/__main__.py:36);dumps (json/encoder.py:200) 1\n"
        "not a sample line\n"
    )
    found = shares_by_package(raw, "greeter", ("greeter",))
    assert found.samples == 10
    assert found.shares == {"h11": 0.6, "greeter": 0.2, "Quart": 0.1, "the standard library (other)": 0.1}


def test_the_instruction_counts_of_each_dump_in_order(tmp_path: Path) -> None:
    for number, count in ((1, 900), (2, 300), (10, 7), (3, 400)):
        (tmp_path / f"counts.{number}").write_text(f"version: 1\ncmd: python\nsummary: {count}\ntotals: {count}\n")
    (tmp_path / "counts").write_text("summary: 5\n")  # after the last dump: not a stretch
    assert dump_counts(tmp_path) == [900, 300, 400, 7]


def test_a_request_served_under_valgrind_is_counted_by_the_difference_of_two_runs() -> None:
    require_tool("valgrind", "apt-get install valgrind")
    lineup = greeters_lineup()
    bare = lineup.contender("bare-asgi")  # the quickest server to start under valgrind: no framework to import
    count = per_request(bare.spec, bare.key, "/", 40)
    # a request costs Hypercorn and h11 some hundreds of thousands of instructions: not nothing, not a start's billions
    assert 50_000 < count.instructions_per_request < 20_000_000, count


def test_the_cpu_table_and_target_judge_by_the_instructions_on_the_server_when_counted() -> None:
    lineup = greeters_lineup()
    served = [
        InstructionCount(path, key, count, 500)
        for path, floor in lineup.cpu_floor.items()
        for key, count in ((lineup.subject, 1_100_000.0), (floor, 1_000_000.0))
    ]
    table = cpu_table(lineup, Results(), [], None, served)
    assert "1,100,000 / 1,000,000  1.10x" in table and "server instructions" in table
    assert "greeter-baseline" not in table
    with_before = with_baseline(lineup, REPO_ROOT)
    before = [InstructionCount(path, BASELINE, 1_200_000.0, 500) for path in lineup.cpu_floor]
    table = cpu_table(with_before, Results(), [], None, served + before)
    assert "/hello/Scott     1,100,000 against 1,200,000 before: -100,000 a request, 0.92x" in table
    results = BenchResults(served_instructions=served)
    (cpu,) = [target for target in targets(lineup, results, []) if target.text.startswith("CPU per request")]
    assert not cpu.met and "server, in instructions: / 1.10x stock-quart" in cpu.text
    results.served_instructions = [replace(count, instructions_per_request=900_000.0) for count in served]
    (cpu,) = [target for target in targets(lineup, results, []) if target.text.startswith("CPU per request")]
    assert cpu.met


@pytest.mark.parametrize(
    ("argv", "label"),
    [
        (("/venv/bin/python3", "-m", "greeter", "PORT", "--reload"), "greeter PORT --reload"),
        (
            ("/venv/bin/python3", "-c", "from multiprocessing.forkserver import main; main(8)"),
            "multiprocessing forkserver",
        ),
        (
            ("/venv/bin/python3", "-c", "from multiprocessing.resource_tracker import main;main(8)"),
            "multiprocessing resource tracker",
        ),
        (("greeter worker 1 (port PORT)",), "greeter worker 1 (port PORT)"),
        (("/venv/bin/python3", "/venv/bin/flask", "run"), "flask run"),
    ],
)
def test_a_process_of_a_footprint_is_named_by_what_it_is(argv: tuple[str, ...], label: str) -> None:
    assert process_label(argv) == label


def test_nearest_rank_percentiles() -> None:
    assert percentile([3.0, 1.0, 2.0], 0.5) == 2.0
    assert percentile([float(n) for n in range(1, 21)], 0.99) == 20.0  # 20 pages: the p99 is the slowest
    assert str(percentile([], 0.99)) == "nan"


def test_figures_with_nothing_measured_are_null_in_json() -> None:
    assert without_nan({"p99": float("nan"), "runs": [1.5, float("inf")], "name": "x"}) == {
        "p99": None,
        "runs": [1.5, None],
        "name": "x",
    }


def test_the_course_site_is_the_shipped_file_but_for_addresses_certificate_and_students_file(tmp_path: Path) -> None:
    site = Site(tmp_path, 8080, 8443, tmp_path / "cert.pem", tmp_path / "key.pem", tmp_path / "sockets")
    text = course_site(site)
    assert "Define GREETER_HTTP_PORT 8080" in text and "Define GREETER_HTTPS_PORT 8443" in text
    assert f"Include {tmp_path}/greeter-course-students.conf" in text and "Define GREETER_SITE localhost" in text
    directives = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    assert not [line for line in directives if "snakeoil" in line or "greeter.example.org" in line or "/etc/" in line]


def test_each_student_of_the_course_site_has_their_own_worker_and_apache_accepts_the_site(tmp_path: Path) -> None:
    apache = require_tool("/usr/sbin/apache2", "apt-get install apache2")
    require_tool("openssl", "apt-get install openssl")
    (tmp_path / "sockets").mkdir()
    site = Site(tmp_path, free_port(), free_port(), *self_signed_certificate(tmp_path), tmp_path / "sockets")
    for name in ("student001", "student002"):
        make_socket_folder(site, name)
    write_site(site)
    students = site.students_file.read_text()
    for name in ("student001", "student002"):
        assert f'<Proxy "unix:{site.socket_of(name)}|http://{name}">' in students
    assert 'Define GREETER_STUDENTS "student001|student002"' in students
    assert f"Include {COURSE_MPM_FILE}" in site.main_file.read_text()
    checked = subprocess.run(
        [apache, "-f", str(site.main_file), "-t"], capture_output=True, text=True, timeout=scaled(30)
    )
    assert checked.returncode == 0, checked.stderr


def test_the_course_site_gives_each_student_what_greeter_course_apache_config_does() -> None:
    defaults = {param.name: param.default for param in course_apache_config.params}
    assert (defaults["connections"], defaults["timeout"]) == (STUDENT_CONNECTIONS, STUDENT_TIMEOUT)


def test_a_course_file_the_bench_cannot_read_is_one_sentence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    changed = tmp_path / "greeter-course.conf"
    changed.write_text("Define GREETER_SITE greeter.example.org\n")  # its ports no longer set there
    monkeypatch.setattr("greeter.tools.bench.course_site.COURSE_FILE", changed)
    site = Site(tmp_path, 1, 2, tmp_path / "c", tmp_path / "k", tmp_path / "s")
    with pytest.raises(CourseUnavailable, match=r"no longer says 'Define GREETER_HTTP_PORT 80'"):
        course_site(site)


def test_the_performance_page_has_a_section_for_each_scenario_and_a_row_for_each_target() -> None:
    page = PERFORMANCE_PAGE.read_text()
    headings = re.findall(r"^### (.+)$", page, re.MULTILINE)
    assert headings == [SCENARIO_HEADINGS[name] for name in SCENARIOS]
    section = page.split("\n## Targets of issue 21\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    assert len(rows) == 2 + ISSUE_21_TARGETS  # the table's heading and rule, then a row for each target


def test_every_contender_of_a_scenario_is_in_the_lineup() -> None:
    lineup = greeters_lineup()
    served = {contender.key for contender in lineup.served}
    assert {key for keys in lineup.routes.values() for key in keys} <= served
    assert set(lineup.crowd) <= served and set(lineup.streams) <= served
    assert {command.key for command in lineup.commands} == FOOTPRINT
    assert {command.key for command in lineup.commands if command.edited} == RELOADERS
    assert lineup.cpu_floor == {"/": "stock-quart", "/hello/Scott": "stock-quart", "/greet/": STOCK_QUART_TEMPLATE}


def test_a_baseline_runs_beside_greeter_wherever_greeter_does(tmp_path: Path) -> None:
    lineup = with_baseline(greeters_lineup(), tmp_path)
    baseline = lineup.contender(BASELINE)
    assert baseline.spec.cwd == tmp_path and baseline.spec.argv == lineup.contender("greeter").spec.argv
    assert all(keys[:2] == ("greeter", BASELINE) for keys in lineup.routes.values())
    assert lineup.streams == ("greeter", "bare-asgi", BASELINE)  # the subject and the floor first, as ever
    copied = {command.key for command in lineup.commands if command.baseline}
    assert copied == {"greeter (baseline)", "greeter --reload (baseline)", "greeter --socket (baseline)"}


def test_a_baseline_that_is_not_a_checkout_is_one_sentence(tmp_path: Path) -> None:
    done = run_bench("--baseline", str(tmp_path))
    assert (done.returncode, done.stderr) == (
        2,
        f"greeter: --baseline {tmp_path} is not a checkout of greeter (it has no greeter/__init__.py).\n",
    )


def run_bench(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [command_path("greeter"), "bench", *args],
        capture_output=True,
        text=True,
        timeout=BENCH_TIMEOUT,
        cwd=cwd,
        env=env,
    )


@WAITS_FOR_THE_BENCH
def test_quick_bench_end_to_end(tmp_path: Path) -> None:
    for tool, hint in (
        ("wrk", "apt-get install wrk"),
        ("/usr/sbin/apache2", "apt-get install apache2"),
        ("openssl", "apt-get install openssl"),  # the course's certificate
        ("valgrind", "apt-get install valgrind"),
    ):
        require_tool(tool, hint)
    out = tmp_path / "results"
    done = run_bench("--quick", "--out", str(out))
    assert done.returncode == 0, done.stderr[-3000:]
    figures = json.loads((out / "bench.json").read_text())
    check_footprint(figures["footprint"]["commands"])
    check_course(figures["course"])
    check_streams(figures["stream_memory"])
    scenarios = {scenario["path"]: scenario for scenario in figures["scenarios"]}
    assert set(scenarios) == set(ROUTES)
    assert set(scenarios["/"]["contenders"]) == {
        "greeter",
        "stock-quart",
        "bare-asgi",
        "flask-werkzeug",
        "flask-gunicorn-sync",
    }
    assert STOCK_QUART_TEMPLATE in scenarios["/greet/"]["contenders"]
    for scenario in scenarios.values():
        for key, summary in scenario["contenders"].items():
            assert summary["requests"] > 0 and summary["rss_bytes"] > 0, (scenario["path"], key)
            assert summary["cpu_us_per_request"] > 0, (scenario["path"], key)
    profile = figures["profile"]
    assert isinstance(profile, dict), profile  # else the sentence saying why none: py-spy missing, or no ptrace
    assert profile["samples"] > 0 and sum(profile["shares"].values()) == pytest.approx(1)
    check_crowd(figures["crowd"])
    assert len(figures["in_process"]) == len(ROUTES) * len(IN_PROCESS)
    counts = figures["instructions"]
    assert isinstance(counts, list), counts  # else the sentence saying why none: valgrind missing, or its run failed
    assert {(count["path"], count["contender"]) for count in counts} == {(p, c) for p in ROUTES for c in IN_PROCESS}
    assert all(count["instructions_per_request"] > 10_000 for count in counts)  # a request is work, not a dump's
    assert len(figures["targets"]) == ISSUE_21_TARGETS
    for chart in ("bench.png", "course.png"):
        assert (out / chart).read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert (out / "bench.txt").read_text() == done.stdout  # the tables, as a page quotes them
    for heading in (
        "footprint:",
        "course:",
        "memory per live stream",
        "CPU per request",
        "where async wins",
        "profile of greeter's worker",
        "instructions per request",
        "targets (issue 21",
    ):
        assert heading in done.stdout, heading


def check_footprint(commands: list[dict[str, Any]]) -> None:
    assert {row["command"] for row in commands} == FOOTPRINT
    for row in commands:
        assert row["pss"] > 1_000_000 and row["start_seconds"] > 0, row
        assert all(process["pss"] > 0 and process["label"] for process in row["processes"]), row
        if row["command"] in RELOADERS:
            assert row["edits_missed"] == 0 and row["edit_seconds"] > 0, row  # each edit served
        else:
            assert row["edit_seconds"] is None, row
    processes = {row["command"]: len(row["processes"]) for row in commands}
    assert processes["greeter"] == processes["greeter --socket"] == 1  # one process serves


def check_course(course: dict[str, Any]) -> None:
    assert course["students"] == 2
    for student in course["results"]:
        assert student["errors"] == 0, student  # every page and the stream, through Apache, to its own greeter
        assert student["requests"] > 0 and student["events"] > 0 and student["pss"] > 0, student
    assert course["apache_pss"] > 0


def check_streams(streams: dict[str, Any]) -> None:
    assert {run["contender"] for run in streams["runs"]} == {"greeter", "bare-asgi"}
    assert all(run["streams"] == 30 and run["dropped"] == 0 for run in streams["runs"])
    owners = streams["owners"]
    assert "greeter/plumbing/asgi_connection.py" in owners["greeter"]["packages"]
    assert "hypercorn" in owners["bare"]["packages"] and "quart" not in owners["bare"]["packages"]


def check_crowd(crowd: list[dict[str, Any]]) -> None:
    assert {(result["load"], result["contender"]) for result in crowd} == {
        (load, key) for load in ("clients", "streams") for key in CROWD
    }
    found = {(result["load"], result["contender"]): result for result in crowd}
    assert found[("streams", "greeter")]["completed"] == 50 and found[("streams", "greeter")]["failed"] == 0
    assert found[("clients", "greeter")]["completed"] > 0 and found[("clients", "greeter")]["failed"] == 0
    # one thread serves one stream, and only that one: threads give out where the event loop does not
    assert found[("streams", "flask-gunicorn-gthread")]["completed"] <= 1
    assert all(result["rss_peak"] > 0 for result in crowd)


@WAITS_FOR_THE_BENCH
def test_quick_bench_of_your_own_pair_of_apps(tmp_path: Path) -> None:
    require_tool("wrk", "apt-get install wrk")
    require_tool("valgrind", "apt-get install valgrind")
    out = tmp_path / "results"
    done = run_bench(
        "--quick",
        "--flask",
        "flask_app",
        "--quart",
        "quart_app",
        "--path",
        "/about",
        "--path",
        "/status",
        "--out",
        str(out),
        cwd=DOCS / "example",
    )
    assert done.returncode == 0, done.stderr[-3000:]
    figures = json.loads((out / "bench.json").read_text())
    assert {row["command"] for row in figures["footprint"]["commands"]} == {"hypercorn", "quart run", "flask run"}
    assert figures["course"] is None and figures["stream_memory"]["runs"] == []  # greeter's own routes only
    assert [scenario["path"] for scenario in figures["scenarios"]] == ["/about", "/status"]
    for scenario in figures["scenarios"]:
        assert set(scenario["contenders"]) == {"your-quart", "your-flask-werkzeug", "your-flask-gunicorn-sync"}
        assert all(summary["requests"] > 0 and summary["errors"] == 0 for summary in scenario["contenders"].values())
    assert {result["contender"] for result in figures["crowd"]} == {
        "your-quart",
        "your-flask-gunicorn-gthread",
        "your-flask-gunicorn-gthread-1000",
        "your-flask-werkzeug",
    }
    assert {result["load"] for result in figures["crowd"]} == {"clients"}
    assert figures["profile"]["samples"] > 0 and figures["profile"]["own"] == "your-quart"
    assert {(r["path"], r["contender"]) for r in figures["in_process"] if r["status"] == 200} == {
        (path, key) for path in ("/about", "/status") for key in ("your-quart", "your-flask")
    }
    assert len(figures["instructions"]) == 4 and figures["targets"] == []
    assert "profile of your-quart's worker" in done.stdout


MISTAKES = [
    (("--flask", "flask_app"), "--flask needs --quart too: the bench measures a Flask app against its Quart port."),
    (("--path", "/x"), "--path is for your own apps: give --flask MODULE:APP and --quart MODULE:APP with it."),
    (
        ("--only", "speed"),
        "--only speed: there is no such scenario; there are footprint, course, streams, routes, profile, crowd,"
        " in-process, instructions.",
    ),
    (
        ("--flask", "flask_app", "--quart", "quart_app", "--path", "about"),
        "--path about must start with a slash, as /x does.",
    ),
]


@pytest.mark.parametrize(("args", "said"), MISTAKES)
def test_every_mistake_with_the_bench_is_one_sentence(args: tuple[str, ...], said: str) -> None:
    done = run_bench(*args, cwd=DOCS / "example")
    assert (done.returncode, done.stderr) == (2, f"greeter: {said}\n")


def test_bench_without_wrk_says_how_to_install_it(tmp_path: Path) -> None:
    done = run_bench("--quick", env={**os.environ, "PATH": str(tmp_path)})  # no wrk anywhere on it
    assert done.returncode == 2
    assert (
        done.stderr == "greeter: greeter bench needs wrk to make the load; install it: apt-get install wrk "
        "(Debian and Ubuntu), brew install wrk (macOS).\n"
    )


def test_bench_without_its_extra_says_what_to_install(tmp_path: Path) -> None:
    # `pip install -e .` alone, as a user's setup has it: no Gunicorn, and so no gunicorn package metadata either
    (tmp_path / "sitecustomize.py").write_text(
        "import importlib.metadata, importlib.util\n"
        "_find_spec = importlib.util.find_spec\n"
        "def find_spec(name, package=None):\n"
        "    return None if name.split('.')[0] == 'gunicorn' else _find_spec(name, package)\n"
        "importlib.util.find_spec = find_spec\n"
        "_version = importlib.metadata.version\n"
        "def version(name):\n"
        "    if name == 'gunicorn':\n"
        "        raise importlib.metadata.PackageNotFoundError(name)\n"
        "    return _version(name)\n"
        "importlib.metadata.version = version\n"
    )
    done = run_bench("--only", "instructions", env={**os.environ, "PYTHONPATH": str(tmp_path)})
    assert done.returncode == 2, done.stderr
    assert done.stderr == "greeter: greeter bench needs gunicorn: in greeter's checkout, pip install -e '.[bench]'.\n"


@pytest.mark.parametrize("step", ["before", "lean-connection", "no-thread-per-page", "greeter"])
async def test_each_step_of_the_changes_is_greeter_with_its_headers(step: str) -> None:
    from greeter.plumbing.asgi_connection import LeanHTTPConnection
    from greeter.tools.bench.lean_request_path import greeter_at

    app = greeter_at(step)
    assert (app.asgi_http_class is LeanHTTPConnection) == (step != "before")
    response = await app.test_client().get("/greet/")
    assert response.status_code == 200
    assert response.headers.get_all("X-Frame-Options") == ["DENY"]  # once, whichever way it is added


def test_in_process_alone_needs_no_wrk_and_speaks_json(tmp_path: Path) -> None:
    done = run_bench("--in-process", "--quick", "--json", env={**os.environ, "PATH": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)["in_process"]
    assert {(entry["path"], entry["contender"]) for entry in found} == {(p, c) for p in ROUTES for c in IN_PROCESS}
