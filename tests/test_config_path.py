"""The installed hypercorn.toml is reachable without a checkout: `greeter config-path`, and the README's plain
Hypercorn command, from any directory."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from conftest import BIN_DIR, REPO_ROOT, RUNNING_ON, StartServer, command_path
from test_serving import assert_serves_every_route

from greeter.resources import HYPERCORN_TOML

README = (REPO_ROOT / "README.md").read_text()
COMMAND_TIMEOUT = 30


def test_config_path_prints_the_shipped_file(tmp_path: Path) -> None:
    done = subprocess.run(
        [command_path("greeter"), "config-path"], cwd=tmp_path, capture_output=True, text=True, timeout=COMMAND_TIMEOUT
    )
    assert (done.returncode, done.stderr) == (0, "")
    printed = Path(done.stdout.removesuffix("\n"))
    assert done.stdout == f"{printed}\n"  # one line, the path alone: usable as "$(greeter config-path)"
    assert printed.is_absolute() and printed.samefile(HYPERCORN_TOML)


def test_python_dash_m_too(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "greeter", "config-path"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
    )
    assert done.returncode == 0 and Path(done.stdout.strip()).samefile(HYPERCORN_TOML)


def readme_plain_hypercorn_command() -> str:
    """The README's one command for serving with plain Hypercorn."""
    commands: set[str] = set(re.findall(r"`(hypercorn --config [^`]*)`", README))
    (command,) = commands
    return command


async def test_the_readmes_plain_hypercorn_command_works_from_any_directory(
    start_server: StartServer, tmp_path: Path
) -> None:
    command = readme_plain_hypercorn_command()
    assert command == 'hypercorn --config "$(greeter config-path)" greeter:app'
    # as typed in a shell whose PATH has the environment's scripts, plus a free port instead of 8000
    env = {"PATH": f"{BIN_DIR}{os.pathsep}{os.environ['PATH']}"}
    server = start_server(["sh", "-c", f"exec {command} --bind 127.0.0.1:0"], RUNNING_ON, env=env, cwd=tmp_path)
    await assert_serves_every_route(server.base_url)
    assert "FileNotFoundError" not in server.output()
    assert server.stop() == 0
