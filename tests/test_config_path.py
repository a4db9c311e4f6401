"""The installed hypercorn.toml is reachable without a checkout: `greeter config-path`, and docs/serving.md's plain
Hypercorn command, from any directory."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import BIN_DIR, DOCS, RUNNING_ON, StartServer, command_path, scaled
from test_serving import assert_serves_every_route

from greeter.shared.paths import HYPERCORN_TOML

SERVING = (DOCS / "serving.md").read_text()
COMMAND_TIMEOUT = scaled(30)


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


def readme_plain_hypercorn_commands() -> list[str]:
    """The serving page's commands for serving with plain Hypercorn, in order."""
    return re.findall(r"`((?:\.venv/bin/)?hypercorn --config [^`]*)`", SERVING)


AS_INSTALLED = '.venv/bin/hypercorn --config "$(.venv/bin/greeter config-path)" greeter:app'
ACTIVE = 'hypercorn --config "$(greeter config-path)" greeter:app'


def test_the_readme_has_both_forms() -> None:
    assert readme_plain_hypercorn_commands() == [AS_INSTALLED, ACTIVE]


@pytest.mark.parametrize("command", [AS_INSTALLED, ACTIVE])
async def test_the_plain_hypercorn_commands_work_as_written(
    start_server: StartServer, tmp_path: Path, command: str
) -> None:
    # as typed after the README's install: from a folder that has the .venv but is not the checkout (whose
    # hypercorn.toml Hypercorn would find by itself), the environment active for ACTIVE only
    (tmp_path / ".venv").symlink_to(BIN_DIR.parent)
    others = [p for p in os.environ["PATH"].split(os.pathsep) if Path(p or ".").resolve() != BIN_DIR.resolve()]
    path = os.pathsep.join([str(BIN_DIR), *others] if command == ACTIVE else others)
    argv = ["sh", "-c", f"exec {command} --bind 127.0.0.1:0"]
    server = start_server(argv, RUNNING_ON, env={"PATH": path}, cwd=tmp_path)
    await assert_serves_every_route(server.base_url)  # /hello: 308, Location: http://127.0.0.1:PORT/hello/
    assert "FileNotFoundError" not in server.output()
    assert server.stop() == 0
