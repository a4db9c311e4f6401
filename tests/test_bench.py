"""`greeter bench`: wrk's figures read right, the viewers' client, memory, and a --quick run end to end.

No test asserts a speed: the figures are the benchmark's to report, on a machine others share.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from conftest import GREETER_READY, StartServer, command_path, require_tool, scaled

from greeter.tools.bench.in_process import run_in_process
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
BENCH_TIMEOUT = scaled(300)


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
    found = run_in_process(["/", "/hello/Scott", "/greet/"], rounds=1, requests=5)
    assert {(result.path, result.contender) for result in found} == {
        (path, contender)
        for path in ("/", "/hello/Scott", "/greet/")
        for contender in ("greeter", "stock-quart", "flask-twin")
    }
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
    assert server.stop() == 0


async def test_viewers_that_the_server_drops_are_counted(start_server: StartServer) -> None:
    # a cap of 10 viewers: the other 5 get a 503 and never connect
    server = start_server([command_path("greeter"), "0"], GREETER_READY, env={"GREETER_STREAM_MAX_VIEWERS": "10"})
    host, port = server.address
    result = await watch(host, port, viewers=15, ticks=1, timeout=10)
    assert (result.connected, result.dropped) == (10, 5)
    assert server.stop() == 0


def test_quick_bench_end_to_end(tmp_path: os.PathLike[str]) -> None:
    require_tool("wrk", "apt-get install wrk")
    out = f"{tmp_path}/results"
    done = subprocess.run(
        [command_path("greeter"), "bench", "--quick", "--seconds", "1", "--viewers", "20", "--out", out],
        capture_output=True,
        text=True,
        timeout=BENCH_TIMEOUT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    figures = json.loads(Path(out, "bench.json").read_text())
    scenarios = {scenario["path"]: scenario for scenario in figures["scenarios"]}
    assert set(scenarios) == {"/", "/hello/Scott", "/greet/", "/wait/1"}
    assert set(scenarios["/"]["contenders"]) == {
        "greeter",
        "stock-quart",
        "bare-asgi",
        "flask-werkzeug",
        "flask-gunicorn-sync",
    }
    assert set(scenarios["/wait/1"]["contenders"]) == {"greeter", "flask-werkzeug", "flask-gunicorn-gthread"}
    for scenario in scenarios.values():
        for key, summary in scenario["contenders"].items():
            assert summary["requests"] > 0 and summary["rss_bytes"] > 0, (scenario["path"], key)
            assert summary["cpu_us_per_request"] > 0, (scenario["path"], key)
    assert figures["streams"]["connected"] == 20
    assert len(figures["in_process"]) == 9
    assert len(figures["targets"]) == 5
    assert Path(out, "bench.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert "CPU µs/req" in done.stdout and "in-process, no server" in done.stdout
    assert "targets (issue 13" in done.stdout


def test_bench_without_wrk_says_how_to_install_it(tmp_path: os.PathLike[str]) -> None:
    done = subprocess.run(
        [command_path("greeter"), "bench", "--quick"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PATH": str(tmp_path)},  # no wrk anywhere on it
    )
    assert done.returncode == 2
    assert done.stderr == "greeter: greeter bench needs wrk to make the load; install it: apt-get install wrk " \
        "(Debian and Ubuntu), brew install wrk (macOS).\n"  # fmt: skip


@pytest.mark.parametrize("step", ["before", "lean-connection", "no-thread-per-page", "greeter"])
async def test_each_step_of_the_changes_is_greeter_with_its_headers(step: str) -> None:
    from greeter.plumbing.asgi_connection import LeanHTTPConnection
    from greeter.tools.bench.lean_request_path import greeter_at

    app = greeter_at(step)
    assert (app.asgi_http_class is LeanHTTPConnection) == (step != "before")
    response = await app.test_client().get("/greet/")
    assert response.status_code == 200
    assert response.headers.get_all("X-Frame-Options") == ["DENY"]  # once, whichever way it is added


def test_in_process_alone_needs_no_wrk_and_speaks_json(tmp_path: os.PathLike[str]) -> None:
    done = subprocess.run(
        [command_path("greeter"), "bench", "--in-process", "--quick", "--json"],
        capture_output=True,
        text=True,
        timeout=BENCH_TIMEOUT,
        env={**os.environ, "PATH": str(tmp_path)},  # no wrk anywhere on it
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)["in_process"]
    assert {(entry["path"], entry["contender"]) for entry in found} == {
        (path, contender)
        for path in ("/", "/hello/Scott", "/greet/")
        for contender in ("greeter", "stock-quart", "flask-twin")
    }
