"""The listening socket's backlog is the system's own ceiling (net.core.somaxconn), so a burst of connections
waits in the kernel's queue instead of being refused; plain `hypercorn` gets the same from hypercorn.toml."""

from __future__ import annotations

import subprocess
import tomllib
from pathlib import Path

from conftest import GREETER_READY, REPO_ROOT, RUNNING_ON, StartServer, command_path, require_tool

from greeter.server.limits import listen_backlog

SOMAXCONN = Path("/proc/sys/net/core/somaxconn")


def listening_backlog(port: int) -> int:
    """What the kernel says the listening socket's queue may hold (ss: Send-Q of a listening socket)."""
    require_tool("ss", "apt-get install iproute2")
    lines = subprocess.run(
        ["ss", "-ltnH", f"sport = :{port}"], capture_output=True, text=True, check=True, timeout=10
    ).stdout.splitlines()
    assert lines, f"nothing listens on port {port}"
    return int(lines[0].split()[2])


def test_the_backlog_is_the_systems_ceiling() -> None:
    assert listen_backlog() == int(SOMAXCONN.read_text())


def test_greeter_listens_with_that_backlog(start_server: StartServer) -> None:
    server = start_server([command_path("greeter"), "0"], GREETER_READY)
    assert listening_backlog(server.address[1]) == int(SOMAXCONN.read_text())
    assert server.stop() == 0


def test_plain_hypercorn_gets_a_backlog_as_large(start_server: StartServer) -> None:
    settings = tomllib.loads((REPO_ROOT / "hypercorn.toml").read_text())
    assert settings["backlog"] >= int(SOMAXCONN.read_text())
    server = start_server(
        [command_path("hypercorn"), "--config", "hypercorn.toml", "--bind", "127.0.0.1:0", "greeter:app"], RUNNING_ON
    )
    assert listening_backlog(server.address[1]) == int(SOMAXCONN.read_text())  # the kernel caps it there
