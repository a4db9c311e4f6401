"""`python3 -m greeter` in the checkout with a Python that lacks greeter's packages: one sentence, not a traceback."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from greeter.shared.paths import PACKAGE_DIR


def test_a_python_without_the_packages_is_told_to_use_the_venv(tmp_path: Path) -> None:
    checkout = tmp_path / "greeter-checkout"
    shutil.copytree(PACKAGE_DIR, checkout / "greeter", ignore=shutil.ignore_patterns("__pycache__"))
    # -S: no site-packages, as Debian's python3 has none of greeter's; the current folder still comes first on
    # sys.path, so the checkout's greeter/ is found and its `import click` (or quart, hypercorn) is not
    result = subprocess.run(
        [sys.executable, "-S", "-m", "greeter"],
        cwd=checkout,
        capture_output=True,
        text=True,
        timeout=30,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("greeter: this Python (")
    assert "does not have greeter's packages" in lines[0]
    assert "`.venv/bin/python -m greeter`" in lines[0]
    assert "`source .venv/bin/activate`" in lines[0]
    assert lines[0].endswith(" first.")
