"""Real servers on loopback: the `greeter` command, `python -m greeter`, plain `hypercorn greeter:app`, `flask run`."""

from __future__ import annotations

import ipaddress
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from conftest import (
    GREETER_READY,
    KEEP_ALIVE_LIMITS,
    RUNNING_ON,
    STOP_TIMEOUT,
    Server,
    StartServer,
    command_lines_in_session,
    command_path,
    read_figures,
    scaled,
)

from greeter.shared.paths import HYPERCORN_TOML

HTTP_TIMEOUT = scaled(10.0)
HAIL = b"<h1>Hail</h1>\n<p>Greetings and Felicitations, <em>honored</em> guest!</p>"
# every route, over the wire: (path, status, body or the start of it, Location)
EXPECTED = [
    ("/", 200, b"Hello World!", None),
    ("/index", 200, b"Hello World!", None),
    ("/index/", 404, b"<!doctype html>", None),
    ("/hello", 308, b"<!doctype html>", "/hello/"),
    ("/hello?x=1", 308, b"<!doctype html>", "/hello/?x=1"),
    ("/hello/", 200, b"Greetings and Felicitations", None),
    ("/hello/Scott", 200, b"Hello Scott, nice to meet you!", None),
    ("/hello/%3Cb%3E", 200, b"Hello &lt;b&gt;, nice to meet you!", None),
    ("/hello/Scott/", 404, b"<!doctype html>", None),
    ("/hail/", 200, HAIL, None),
    ("/greet/", 200, b'<!doctype html>\n<html lang="en">', None),
]


async def assert_serves_every_route(base_url: str, transport: httpx.AsyncBaseTransport | None = None) -> None:
    async with httpx.AsyncClient(
        limits=KEEP_ALIVE_LIMITS, base_url=base_url, timeout=HTTP_TIMEOUT, transport=transport
    ) as http:
        for path, status, body, location in EXPECTED:
            response = await http.get(path)
            assert response.status_code == status, path
            assert response.headers["content-type"] == "text/html; charset=utf-8", path
            assert response.content.startswith(body), path
            if status == 200:
                assert response.content == body or body.startswith(b"<!doctype"), path
            assert response.headers.get("location") == (None if location is None else base_url + location), path
        head = await http.head("/hello/Scott")
        assert (head.status_code, head.content) == (200, b"")
        assert head.headers["content-length"] == str(len(b"Hello Scott, nice to meet you!"))
        wrong_method = await http.post("/")
        assert wrong_method.status_code == 405
        assert set(wrong_method.headers["allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}


async def test_greeter_command_serves_every_route_and_stops_cleanly(greeter_server: Server) -> None:
    assert greeter_server.base_url.startswith("http://127.0.0.1:")
    await assert_serves_every_route(greeter_server.base_url)
    assert greeter_server.stop(signal.SIGTERM) == 0
    assert "Traceback" not in greeter_server.output()


async def test_ctrl_c_stops_cleanly(greeter_server: Server) -> None:
    await assert_serves_every_route(greeter_server.base_url)
    assert greeter_server.stop(signal.SIGINT) == 0
    assert "Traceback" not in greeter_server.output()


async def test_python_dash_m(start_server: StartServer) -> None:
    server = start_server([sys.executable, "-m", "greeter", "0"], GREETER_READY)
    await assert_serves_every_route(server.base_url)
    assert server.stop() == 0


async def test_port_from_the_environment(start_server: StartServer) -> None:
    server = start_server([command_path("greeter")], GREETER_READY, env={"GREETER_PORT": "0"})
    await assert_serves_every_route(server.base_url)
    assert server.stop() == 0


async def test_ipv6_loopback(start_server: StartServer) -> None:
    server = start_server([command_path("greeter"), "0", "--host", "::1"], GREETER_READY)
    assert server.base_url.startswith("http://[::1]:")
    await assert_serves_every_route(server.base_url)
    assert server.stop() == 0


async def test_banner_shows_the_ssh_tunnel_over_ssh(start_server: StartServer) -> None:
    server = start_server(
        [command_path("greeter"), "0"], GREETER_READY, env={"SSH_CONNECTION": "10.0.0.9 50000 10.0.0.1 22"}
    )
    port = server.base_url.rsplit(":", 1)[1]
    assert server.wait_for(rf"ssh -L 8080:127.0.0.1:{port} \S+@10.0.0.1\n  then open http://localhost:8080/\n")
    assert server.stop() == 0


async def test_the_banner_is_the_only_url_and_the_only_ctrl_c(start_server: StartServer) -> None:
    server = start_server(
        [command_path("greeter"), "0", "--host", "0.0.0.0", "--debug", "--allow-remote-debug"], GREETER_READY
    )
    port = server.address[1]
    server.wait_for("debug mode: on")
    await assert_serves_every_route(server.base_url)
    assert server.stop() == 0
    output = server.output()
    assert output.count("Ctrl+C") == 1 and "CTRL + C" not in output
    assert "Running on" not in output  # Hypercorn's line, with the bare bind address 0.0.0.0
    assert f"http://0.0.0.0:{port}" not in output and f"localhost:{port}" not in output
    assert f"port {port} is a free port the system chose, as you asked with 0" in output


async def test_the_twin_by_greeter_twin(start_server: StartServer) -> None:
    server = start_server([command_path("greeter"), "twin", "0"], GREETER_READY)
    assert server.output().startswith("greeter twin: pid ")
    await assert_serves_every_route(server.base_url)
    async with httpx.AsyncClient(limits=KEEP_ALIVE_LIMITS, base_url=server.base_url, timeout=HTTP_TIMEOUT) as http:
        assert "Werkzeug" in (await http.get("/")).headers["server"]
    assert server.stop(signal.SIGINT) == 0
    assert server.stop() == 0
    assert "Traceback" not in server.output()


def test_the_twin_follows_greeters_port_rules(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        refused = subprocess.run(
            [command_path("greeter"), "twin", str(port)], capture_output=True, text=True, timeout=STOP_TIMEOUT
        )
    assert refused.returncode == 1
    assert refused.stderr.startswith(f"greeter: port {port} on 127.0.0.1 is already in use")
    too_big = subprocess.run(
        [command_path("greeter"), "twin", "70000"], capture_output=True, text=True, timeout=STOP_TIMEOUT
    )
    assert (too_big.returncode, too_big.stderr) == (
        2,
        "greeter: port 70000 is above 65535, the largest port; give one from 1024 to 65535, or 0 for any free port.\n",
    )


# a stop signal between the banner and the event loop's own handlers: raised exactly in that window
STOP_IN_THE_WINDOW = """
import os, signal, sys
from greeter.server.hypercorn_config import load_hypercorn_config
from greeter.shared.paths import HYPERCORN_TOML
from greeter.server.listen import listen
from greeter.server.worker import serve_worker
from greeter.server.supervisor import run
from greeter.shared.stop_request import StopRequest
config = load_hypercorn_config(HYPERCORN_TOML)
config.workers = int(sys.argv[2])
sock = listen("127.0.0.1", 0)
StopRequest.catch()
os.kill(os.getpid(), getattr(signal, sys.argv[1]))
if sys.argv[3] == "worker":
    serve_worker(config, sock)  # as if the signal came after run() had looked
    sys.exit(0)
sys.exit(run(config, sock))
"""


@pytest.mark.parametrize(
    ("signal_name", "workers", "entry"),
    [("SIGTERM", "1", "run"), ("SIGINT", "1", "run"), ("SIGTERM", "1", "worker"), ("SIGINT", "2", "run")],
)
def test_a_stop_right_after_the_banner_is_graceful(signal_name: str, workers: str, entry: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", STOP_IN_THE_WINDOW, signal_name, workers, entry],
        capture_output=True,
        text=True,
        timeout=STOP_TIMEOUT,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr


async def test_several_workers(start_server: StartServer) -> None:
    server = start_server([command_path("greeter"), "0", "--workers", "2"], GREETER_READY)
    assert "2 workers of class uvloop" in server.output()
    await assert_serves_every_route(server.base_url)
    port = server.address[1]
    children = command_lines_in_session(server.process.pid)
    # named in ps, not `python3 -c from multiprocessing.spawn import ...`
    assert {f"greeter worker {number} (port {port})" for number in (1, 2)} <= set(children), children
    assert len(children) == 2, children  # the workers alone: no forkserver, no resource tracker beside them
    async with httpx.AsyncClient(limits=KEEP_ALIVE_LIMITS, base_url=server.base_url, timeout=HTTP_TIMEOUT) as http:
        await _both_workers_answer(http)
    assert server.stop() == 0
    # Hypercorn's serve() warns when the config it gets says more than one worker: each worker is one
    assert "has no affect" not in server.output()


async def test_plain_hypercorn_with_the_shipped_config(start_server: StartServer) -> None:
    argv = [command_path("hypercorn"), "--config", "hypercorn.toml", "--bind", "127.0.0.1:0", "greeter:app"]
    server = start_server(argv, RUNNING_ON)
    await assert_serves_every_route(server.base_url)
    assert server.stop() == 0


async def test_flask_twin_with_flask_run(start_server: StartServer) -> None:
    argv = [command_path("flask"), "--app", "greeter.flask_twin", "run", "--port", "0"]
    server = start_server(argv, RUNNING_ON)
    await assert_serves_every_route(server.base_url)
    # the development server's SIGTERM handling is Python's default: it dies of the signal
    assert server.stop() in (0, -signal.SIGTERM)


async def _both_workers_answer(http: httpx.AsyncClient, tries: int = 200) -> None:
    """Both workers listen on the one socket: each new connection goes to one of them, and both answer."""
    pids = set()
    for _ in range(tries):
        pids.add((await read_figures(http))["pid"])
        if len(pids) == 2:
            return
    pytest.fail(f"only {pids} answered {tries} new connections")


@pytest.mark.parametrize("worker_class", ["uvloop", "asyncio"])
async def test_the_worker_class_is_the_configs(start_server: StartServer, tmp_path: Path, worker_class: str) -> None:
    config = tmp_path / "hypercorn.toml"
    config.write_text(HYPERCORN_TOML.read_text().replace('worker_class = "uvloop"', f'worker_class = "{worker_class}"'))
    server = start_server([command_path("greeter"), "0", "--config", str(config)], GREETER_READY)
    async with httpx.AsyncClient(limits=KEEP_ALIVE_LIMITS, base_url=server.base_url, timeout=HTTP_TIMEOUT) as http:
        assert (await read_figures(http))["worker_class"] == worker_class  # the loop the worker really runs
    assert server.stop() == 0


async def test_on_all_interfaces_the_url_for_other_machines_is_not_this_machine_only(start_server: StartServer) -> None:
    # a host name that resolves only to loopback (Debian's /etc/hosts: 127.0.1.1) is no URL for a laptop
    server = start_server([command_path("greeter"), "0", "--host", "0.0.0.0"], GREETER_READY)
    line = server.wait_for(r"  from other machines.*\n").group(0)
    for host in re.findall(r"http://\[?([^\]/]+?)\]?:\d+/", line):
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
        assert not all(ipaddress.ip_address(address).is_loopback for address in addresses), line
    assert server.stop() == 0


# what greeter's supervisor must not have imported when it starts serving: it only watches files and manages workers
FRAMEWORK = ("quart", "flask", "werkzeug", "jinja2", "hypercorn.asyncio", "asyncio", "multiprocessing", "uvloop")


def test_the_command_and_the_supervisor_import_no_framework() -> None:
    # the banner and the settings check come first; the supervisor then imports the framework once, after the
    # banner, and every worker forked from it shares those pages (greeter/server/zygote.py)
    code = (
        "import sys, greeter.cli, greeter.server.serve, greeter.server.supervisor;"
        " from greeter.shared.settings import check_settings; check_settings();"
        f" print(sorted(name for name in {FRAMEWORK!r} if name in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=STOP_TIMEOUT)
    assert done.stdout.strip() == "[]", done.stderr


# a worker as it starts and answers every route, after the supervisor's preload: what it imports that is not greeter
WORKER_IMPORTS = """
import asyncio, sys
import greeter.cli, greeter.server.serve  # what the supervisor has imported
from greeter.server.zygote import forget_greeter, preload
preload()
forget_greeter()
before = set(sys.modules)
import greeter.server.worker
from greeter import create_app

async def answer_every_route() -> None:
    client = create_app().test_client()
    for path in sys.argv[1:]:
        await client.get(path, headers={"Host": "greeter.test"})

asyncio.run(answer_every_route())
print(sorted(name for name in set(sys.modules) - before if name.split(".")[0] != "greeter"))
"""


@pytest.mark.parametrize("debug", ["", "true"], ids=["reload", "debug"])
def test_the_supervisor_preloads_everything_a_worker_imports(debug: str) -> None:
    # imported by the worker alone, a library costs each worker its own pages, not a share of the supervisor's
    paths = [path for path, *_ in EXPECTED] + ["/process/", "/wait/0", "/static/nothing"]
    env = {**os.environ, "GREETER_DEBUG": debug} if debug else None  # --debug's own plumbing too
    done = subprocess.run(
        [sys.executable, "-c", WORKER_IMPORTS, *paths], capture_output=True, text=True, timeout=STOP_TIMEOUT, env=env
    )
    assert done.stdout.strip() == "[]", done.stdout + done.stderr


@pytest.mark.parametrize(("flags", "count"), [(["--workers", "2"], 2), (["--reload"], 1)], ids=["workers", "reload"])
def test_a_killed_supervisor_takes_its_workers_with_it(start_server: StartServer, flags: list[str], count: int) -> None:
    server = start_server([command_path("greeter"), "0", *flags], GREETER_READY)
    deadline = time.monotonic() + STOP_TIMEOUT
    while len(workers := worker_pids(server.process.pid)) < count:
        assert time.monotonic() < deadline, workers
        time.sleep(0.05)
    server.process.kill()  # SIGKILL: no handler, no goodbye; each worker sees its pipe's end of file
    server.process.wait(timeout=STOP_TIMEOUT)
    server.signalled = True
    deadline = time.monotonic() + STOP_TIMEOUT
    while running := [pid for pid in workers if is_running(pid)]:
        assert time.monotonic() < deadline, f"workers {running} outlived their supervisor"
        time.sleep(0.05)


def worker_pids(supervisor: int) -> list[int]:
    """The supervisor's children, as /proc lists them."""
    found = []
    for task in Path(f"/proc/{supervisor}/task").glob("*/children"):
        found += [int(pid) for pid in task.read_text().split()]
    return found


def is_running(pid: int) -> bool:
    """Whether the process is there and not a zombie waiting for whoever adopted it to reap it."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return False
