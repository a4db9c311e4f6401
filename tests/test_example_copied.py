"""The example a Flask developer copies passes alone in an empty folder, with a bare pytest and pytest-asyncio's
defaults: it carries its own marker, and leans on nothing of greeter's pyproject.toml or conftest.py."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
from conftest import REPO_ROOT, scaled

EXAMPLE = REPO_ROOT / "tests" / "test_example_first_async_tests.py"
GUIDE_TEXT = (REPO_ROOT / "docs" / "flask-to-quart.md").read_text()
RUN_TIMEOUT = scaled(120)
# what the guide tells a newcomer to install (greeter from its checkout: on PyPI, `greeter` is another project)
INSTALL = "python3 -m venv .venv && .venv/bin/pip install /path/to/greeter pytest pytest-asyncio"
TESTS_IN_THE_EXAMPLE = len(re.findall(r"^async def test_", EXAMPLE.read_text(), flags=re.MULTILINE))
# pytest-asyncio 1.x warns while pytest configures itself, before any test file is read, whenever its
# asyncio_default_fixture_loop_scope is unset: no test file can set it, only a pytest.ini (the guide says so)
UNSET_LOOP_SCOPE = 'The configuration option "asyncio_default_fixture_loop_scope" is unset'
IGNORE_UNSET_LOOP_SCOPE = f"ignore:{UNSET_LOOP_SCOPE}:pytest.PytestDeprecationWarning"


def guides_pytest_ini() -> str:
    ini: str
    (ini,) = re.findall(r"```ini\n(\[pytest\]\n.*?)```", GUIDE_TEXT, flags=re.DOTALL)
    return ini


def run_pytest(folder: Path, *options: str) -> subprocess.CompletedProcess[str]:
    """A fresh `python -m pytest` in `folder`, with this suite's environment (greeter is installed there)."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("PYTEST_")}
    return subprocess.run(
        [sys.executable, "-m", "pytest", *options],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
    )


def bare_pytest(folder: Path) -> subprocess.CompletedProcess[str]:
    """`pytest` as a person types it: unlike `python -m pytest`, it puts no current folder on sys.path."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("PYTEST_")}
    return subprocess.run(
        [str(Path(sys.executable).parent / "pytest")],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
    )


def empty_folder_with(tmp_path: Path, text: str) -> Path:
    folder = tmp_path / "my-first-quart-tests"
    folder.mkdir()
    (folder / EXAMPLE.name).write_text(text)
    return folder


def test_the_example_has_tests() -> None:
    assert TESTS_IN_THE_EXAMPLE >= 7


def test_the_examples_docstring_installs_as_the_guide_does() -> None:
    docstring = EXAMPLE.read_text().split('"""')[1]
    pip_install = INSTALL.split(".venv/bin/", 1)[1]  # the same command, without the guide's venv
    assert f"`{pip_install}`" in docstring
    assert "pip install greeter " not in docstring  # the greeter on PyPI is another project


def test_the_runs_below_have_what_the_guide_installs() -> None:
    for name in INSTALL.split(" install ")[1].split():
        assert metadata.version(Path(name).name)  # raises if this environment lacks it


def test_copied_alone_it_passes_with_every_other_warning_an_error(tmp_path: Path) -> None:
    folder = empty_folder_with(tmp_path, EXAMPLE.read_text())
    done = run_pytest(folder, "-W", "error", "-W", IGNORE_UNSET_LOOP_SCOPE)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert sorted(path.name for path in folder.iterdir() if not path.name.startswith((".", "__"))) == [EXAMPLE.name]
    assert f"rootdir: {folder}\n" in output and "configfile:" not in output  # nothing of greeter's settings
    assert "asyncio: mode=Mode.STRICT" in output  # pytest-asyncio's default, not greeter's auto mode
    assert re.search(rf"^=+ {TESTS_IN_THE_EXAMPLE} passed in [\d.]+s =+$", done.stdout, flags=re.MULTILINE), output


def test_a_bare_pytest_passes_and_warns_only_of_the_unset_setting(tmp_path: Path) -> None:
    done = run_pytest(empty_folder_with(tmp_path, EXAMPLE.read_text()))
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert re.search(rf"^=+ {TESTS_IN_THE_EXAMPLE} passed in [\d.]+s =+$", done.stdout, flags=re.MULTILINE), output
    assert "warnings summary" not in output  # no test, fixture or marker of the file warns
    warning_lines = [line for line in output.splitlines() if "Warning" in line]
    assert warning_lines, output  # if pytest-asyncio stops warning, the guide's pytest.ini note can go
    known = (UNSET_LOOP_SCOPE, "_DEFAULT_FIXTURE_LOOP_SCOPE_UNSET")  # the message, and the line that warns it
    assert all(any(part in line for part in known) for line in warning_lines), output


def test_without_the_ini_dash_w_error_stops_pytest_before_any_test(tmp_path: Path) -> None:
    """The guide says so: pytest-asyncio's warning, raised while pytest configures itself, is an INTERNALERROR."""
    done = run_pytest(empty_folder_with(tmp_path, EXAMPLE.read_text()), "-W", "error")
    assert done.returncode == pytest.ExitCode.INTERNAL_ERROR
    assert f"INTERNALERROR> pytest.PytestDeprecationWarning: {UNSET_LOOP_SCOPE}" in done.stdout + done.stderr
    assert "passed" not in done.stdout
    assert "`pytest -W error` without it stops at once, before any test, with `INTERNALERROR>`" in GUIDE_TEXT


def guides_forgotten_await() -> str:
    test: str
    (test,) = re.findall(r"```python\n(async def test_forgot_an_await.*?)```", GUIDE_TEXT, flags=re.DOTALL)
    return test


def test_a_forgotten_await_passes_without_the_ini_line(tmp_path: Path) -> None:
    folder = empty_folder_with(tmp_path, EXAMPLE.read_text())
    line = "filterwarnings = error\n"
    assert line in guides_pytest_ini()
    (folder / "pytest.ini").write_text(guides_pytest_ini().replace(line, ""))
    (folder / "test_forgot.py").write_text("from greeter import create_app\n\n\n" + guides_forgotten_await())
    done = run_pytest(folder, "test_forgot.py")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed, 1 warning" in done.stdout  # the only sign
    assert "RuntimeWarning: coroutine 'Response.get_data' was never awaited" in done.stdout


def test_with_the_guides_ini_a_forgotten_await_fails(tmp_path: Path) -> None:
    folder = empty_folder_with(tmp_path, EXAMPLE.read_text())
    (folder / "pytest.ini").write_text(guides_pytest_ini())
    (folder / "test_forgot.py").write_text("from greeter import create_app\n\n\n" + guides_forgotten_await())
    done = run_pytest(folder)  # a bare pytest: the ini's filterwarnings makes the warning an error
    assert done.returncode == 1, done.stdout + done.stderr
    assert re.search(r"^FAILED test_forgot.py::test_forgot_an_await - ", done.stdout, flags=re.MULTILINE), done.stdout
    assert "Exception ignored in: <coroutine object Response.get_data" in done.stdout
    cause, _ = done.stdout.split("The above exception was the direct cause of the following exception:")
    assert "E       RuntimeWarning: coroutine 'Response.get_data' was never awaited" in cause
    assert f"1 failed, {TESTS_IN_THE_EXAMPLE} passed" in done.stdout


def test_with_the_guides_pytest_ini_not_one_warning(tmp_path: Path) -> None:
    """The guide's pytest.ini silences the one warning a file cannot: then -W error, with no exception."""
    folder = empty_folder_with(tmp_path, EXAMPLE.read_text())
    (folder / "pytest.ini").write_text(guides_pytest_ini())
    done = run_pytest(folder, "-W", "error")
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{TESTS_IN_THE_EXAMPLE} passed" in done.stdout
    assert "Warning" not in done.stdout + done.stderr


def test_without_the_marker_every_test_fails_as_the_issue_said(tmp_path: Path) -> None:
    """What a Flask developer met first: pytest-asyncio installed, and still 'not natively supported'."""
    text = EXAMPLE.read_text()
    marker = 'pytestmark = pytest.mark.asyncio(loop_scope="function")\n'
    assert marker in text
    done = run_pytest(empty_folder_with(tmp_path, text.replace(marker, "")), "-rN", "-W", IGNORE_UNSET_LOOP_SCOPE)
    assert done.returncode == 1
    assert done.stdout.count("async def functions are not natively supported.") == TESTS_IN_THE_EXAMPLE
    assert f"{TESTS_IN_THE_EXAMPLE} failed" in done.stdout


def test_an_async_fixture_needs_pytest_asyncios_decorator(tmp_path: Path) -> None:
    text = EXAMPLE.read_text()
    decorator = "@pytest_asyncio.fixture  # an async fixture: in strict mode @pytest.fixture would not run it\n"
    assert decorator in text
    folder = empty_folder_with(tmp_path, text.replace(decorator, "@pytest.fixture\n"))
    done = run_pytest(folder, "-W", IGNORE_UNSET_LOOP_SCOPE)
    assert done.returncode == 1
    assert "requested an async fixture 'serving', with no plugin or hook that handled it" in done.stdout


def test_the_test_client_protocol_imported_by_its_name_is_collected(tmp_path: Path) -> None:
    text = EXAMPLE.read_text().replace(
        "\nimport asyncio\n", "\nimport asyncio\n\nfrom quart.typing import TestClientProtocol\n", 1
    )
    done = run_pytest(empty_folder_with(tmp_path, text), "-W", "error", "-W", IGNORE_UNSET_LOOP_SCOPE)
    assert done.returncode != 0
    assert "cannot collect test class 'TestClientProtocol' because it has a __init__ constructor" in done.stdout


def test_the_guides_ini_lets_a_tests_folder_import_the_app(tmp_path: Path) -> None:
    # the layout of an app of one's own: the app beside pytest.ini, its tests in tests/
    folder = tmp_path / "myapp"
    (folder / "tests").mkdir(parents=True)
    (folder / "todo.py").write_text("from quart import Quart\n\napp = Quart(__name__)\n")
    (folder / "tests" / "test_todo.py").write_text(
        "import todo\n\n\ndef test_the_app() -> None:\n    assert todo.app\n"
    )
    line = "pythonpath = .\n"
    assert line in guides_pytest_ini()
    (folder / "pytest.ini").write_text(guides_pytest_ini().replace(line, ""))
    without = bare_pytest(folder)
    assert without.returncode == 2 and "ModuleNotFoundError: No module named 'todo'" in without.stdout, without.stdout
    (folder / "pytest.ini").write_text(guides_pytest_ini())
    done = bare_pytest(folder)
    assert done.returncode == 0 and "1 passed" in done.stdout, done.stdout + done.stderr
