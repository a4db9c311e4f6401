"""ruff and mypy are clean: part of the test suite, so the README's one test command checks them too."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import REPO_ROOT, command_path, scaled

LINT_TIMEOUT = scaled(300)


@pytest.mark.parametrize(
    "argv",
    [
        [command_path("ruff"), "check", "."],
        [command_path("ruff"), "format", "--check", "."],
        [sys.executable, "-m", "mypy"],
    ],
    ids=["ruff-check", "ruff-format", "mypy"],
)
@pytest.mark.timeout(LINT_TIMEOUT + 30)  # mypy of the whole tree takes minutes on a loaded machine
def test_clean(argv: list[str]) -> None:
    result = subprocess.run(argv, cwd=REPO_ROOT, capture_output=True, text=True, timeout=LINT_TIMEOUT)
    assert result.returncode == 0, result.stdout + result.stderr
