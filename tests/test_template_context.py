"""Rendering a page runs nothing in a thread: Flask's sync default context processor is off the blueprints."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO_ROOT
from flask.templating import _default_template_ctx_processor as flask_default_processor
from quart import Quart


def test_no_blueprint_keeps_flasks_default_processor(app: Quart) -> None:
    assert app.blueprints  # greeter's views are in blueprints, which is where Flask's processor came from
    for name, processors in app.template_context_processors.items():
        assert flask_default_processor not in processors, name
    assert app.template_context_processors[None]  # Quart's own (async) one stays


@pytest.mark.parametrize("path", ["/greet/", "/process/"])
async def test_a_page_renders_without_a_thread(app: Quart, monkeypatch: pytest.MonkeyPatch, path: str) -> None:
    def no_thread(func: Callable[..., Any]) -> Callable[..., Any]:
        raise AssertionError(f"{func.__name__} would run in a thread")

    monkeypatch.setattr(app, "sync_to_async", no_thread)
    response = await app.test_client().get(path)
    assert response.status_code == 200
    assert "<html" in (await response.get_data(as_text=True))


# what the thread costs a Quart app of your own: docs/flask-to-quart.md quotes this command and its figures
MEASURE = "cd docs/example && ../../.venv/bin/python thread_per_page.py"


def test_the_measure_of_the_thread_per_page() -> None:
    folder, command = MEASURE.removeprefix("cd ").split(" && ")
    program, script = command.split()
    done = subprocess.run(
        [sys.executable, script, "--requests", "50", "--rounds", "1"],  # a short run: the figures are not kept
        cwd=REPO_ROOT / folder,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert Path(program).name == "python"
    lines = done.stdout.splitlines()
    assert lines[0] == "GET / of quart_app:create_app(), in-process: 1 rounds of 50 pages, medians"
    assert lines[1].split() == ["per", "page", "CPU", "per", "page", "threads", "per", "page"]
    assert re.fullmatch(r"  as ported +\d+ µs +\d+ µs +1", lines[2])
    assert re.fullmatch(r"  Flask processor taken off +\d+ µs +\d+ µs +0", lines[3])
    assert re.fullmatch(
        r"  the thread costs \d+ µs per page \(\d+%\), -?\d+ µs of it CPU|  the difference .*", lines[4]
    )


def _measuring_script() -> Any:
    spec = importlib.util.spec_from_file_location("thread_per_page", REPO_ROOT / "docs/example/thread_per_page.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("ported", "without", "noise", "said"),
    [
        ([856, 860, 1], [706, 708, 0], 20, "the thread costs 150 µs per page (18%), 152 µs of it CPU"),
        (
            [600, 600, 1],
            [616, 610, 0],
            30,
            "the difference (-16 µs per page) is within the noise of the rounds (30 µs)",
        ),
        ([600, 600, 0], [616, 610, 0], 30, "no thread to take off: the page makes 0 trip(s) to a thread either way"),
    ],
)
def test_the_measure_says_when_there_is_nothing_to_tell(
    ported: list[float], without: list[float], noise: float, said: str
) -> None:
    assert _measuring_script().conclusion(ported, without, noise).startswith(said)


def test_the_guide_quotes_the_fix_whole_and_says_where_to_run_the_measure() -> None:
    guide = (REPO_ROOT / "docs" / "flask-to-quart.md").read_text()
    section = guide.split("## The thread per rendered page", 1)[1].split("\n## ", 1)[0].replace("\n", " ")
    # the quoted function names flask_default_processor: its import is quoted with it, to be copied as one
    assert "from flask.templating import _default_template_ctx_processor as flask_default_processor" in section
    assert "from your app's folder" in section
    assert "python ~/greeter/docs/example/thread_per_page.py 'todo_quart:create_app()' /" in section
