"""Serving your own Quart app with Hypercorn: greeter's hypercorn.toml copied for it fails without uvloop (and
Hypercorn exits 0), the minimal docs/example/hypercorn.toml serves it. docs/flask-to-quart.md quotes both."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import httpx
import pytest
from conftest import DOCS, REPO_ROOT, StartServer, free_port, scaled
from hypercorn.config import Config

EXAMPLE = DOCS / "example"
MINIMAL = EXAMPLE / "hypercorn.toml"
HYPERCORN = [sys.executable, "-m", "hypercorn"]
SERVE = "hypercorn --config hypercorn.toml quart_app:create_app()"  # as the guide says, from docs/example
SERVE_TIMEOUT = scaled(30.0)


@pytest.fixture
def without_uvloop(tmp_path: Path) -> dict[str, str]:
    """An environment where `import uvloop` fails, as where it is not installed: greeter's needs it, yours not."""
    shadow = tmp_path / "no-uvloop" / "uvloop"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text('raise ModuleNotFoundError("No module named \'uvloop\'", name="uvloop")\n')
    return {"PYTHONPATH": str(shadow.parent)}


def test_greeters_settings_copied_for_another_app_fail_and_exit_0(
    tmp_path: Path, without_uvloop: dict[str, str]
) -> None:
    shutil.copy(REPO_ROOT / "hypercorn.toml", tmp_path / "hypercorn.toml")
    shutil.copytree(EXAMPLE, tmp_path / "app", ignore=shutil.ignore_patterns("hypercorn.toml", "__pycache__"))
    done = subprocess.run(
        [*HYPERCORN, "--config", "../hypercorn.toml", "--bind", f"127.0.0.1:{free_port()}", "quart_app:create_app()"],
        cwd=tmp_path / "app",
        env={"PATH": "/usr/bin:/bin", **without_uvloop},
        capture_output=True,
        text=True,
        timeout=SERVE_TIMEOUT,
    )
    assert done.stderr.rstrip().endswith("Exception: uvloop is not installed")
    assert done.returncode == 0  # the worker died; Hypercorn says nothing else and succeeds


def test_the_minimal_settings_are_real_and_differ_from_hypercorns_defaults() -> None:
    settings = tomllib.loads(MINIMAL.read_text())
    defaults = Config()
    assert all(hasattr(defaults, key) for key in settings), settings
    changed = {key for key, value in settings.items() if getattr(defaults, key) != value}
    assert changed == {"backlog", "graceful_timeout", "accesslog"}  # the rest says Hypercorn's defaults aloud
    assert (defaults.backlog, defaults.graceful_timeout, defaults.accesslog) == (100, 3.0, None)
    assert (defaults.workers, defaults.worker_class, defaults.errorlog) == (1, "asyncio", "-")


def test_they_serve_the_example_without_uvloop(start_server: StartServer, without_uvloop: dict[str, str]) -> None:
    port = free_port()
    # as the guide says, with a port of the test's own
    _, *arguments = SERVE.split()
    server = start_server(
        [*HYPERCORN, *arguments[:-1], "--bind", f"127.0.0.1:{port}", arguments[-1]],
        r"Running on (?P<url>http://127\.0\.0\.1:\d+)",
        cwd=EXAMPLE,
        env=without_uvloop,
    )
    response = httpx.get(f"{server.base_url}/api/notes/1", timeout=SERVE_TIMEOUT)
    assert response.json() == {"id": 1, "text": "Buy milk"}
    server.wait_for(r'"GET /api/notes/1 1\.1" 200')  # the access log, as flask run prints one
    assert server.stop() == 0
