"""A plain wheel install serves every page: the top-level templates and hypercorn.toml travel inside it."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import REPO_ROOT, scaled

BUILD_TIMEOUT = scaled(300)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(out), str(REPO_ROOT)],
        check=True,
        timeout=BUILD_TIMEOUT,
        capture_output=True,
    )
    (built,) = out.glob("greeter-*.whl")
    return built


def test_wheel_carries_templates_and_config(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for template in (REPO_ROOT / "templates").iterdir():
        assert f"greeter/templates/{template.name}" in names
    assert "greeter/hypercorn.toml" in names
    assert not any(name.startswith(("tests/", "templates/")) for name in names)


def test_installed_wheel_renders_every_page(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "--target", str(target), str(wheel)],
        check=True,
        timeout=BUILD_TIMEOUT,
        capture_output=True,
    )
    # run away from the checkout, with the installed copy first on the path
    probe = """
import asyncio, greeter, greeter.shared.paths as r
from greeter.tools.compare.corpus import CORPUS_TOML, load_corpus
assert r.TEMPLATES_DIR.parent == r.HYPERCORN_TOML.parent == r.PACKAGE_DIR, (r.TEMPLATES_DIR, r.HYPERCORN_TOML)
assert CORPUS_TOML.parent == r.PACKAGE_DIR / "tools" / "compare" and len(load_corpus().cases) >= 100, CORPUS_TOML
async def main():
    client = greeter.app.test_client()
    for path in ("/", "/hello/", "/hello/x", "/hail/", "/greet/"):
        response = await client.get(path)
        assert response.status_code == 200, path
    print(r.PACKAGE_DIR)
asyncio.run(main())
"""
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(target)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(target / "greeter")
