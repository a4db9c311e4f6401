"""The deployment files: the README shows each one as it is, and the systemd unit is one systemd accepts.

Apache's and nginx's files run for real in test_behind_apache.py and test_behind_nginx.py.
"""

from __future__ import annotations

import getpass
import subprocess
from pathlib import Path

import pytest
from conftest import REPO_ROOT, command_path, require_tool

DEPLOY = REPO_ROOT / "deploy"
README = (REPO_ROOT / "README.md").read_text()
FILES = sorted(path for path in DEPLOY.rglob("*") if path.is_file())
VERIFY_TIMEOUT = 60


def test_there_are_deployment_files() -> None:
    assert {path.relative_to(DEPLOY).as_posix() for path in FILES} == {
        "apache/greeter-root.conf",
        "apache/greeter-site.conf",
        "apache/greeter-balancer.conf",
        "apache/greeter-course.conf",
        "nginx/greeter.conf",
        "nginx/greeter-course.conf",
        "systemd/greeter.service",
        "systemd/greeter@.service",
    }


@pytest.mark.parametrize("path", FILES, ids=[path.name for path in FILES])
def test_the_readme_shows_the_file_as_it_is(path: Path) -> None:
    name = path.relative_to(REPO_ROOT).as_posix()
    assert f"`{name}`" in README
    assert path.read_text() in README


@pytest.mark.parametrize(
    ("shipped", "instance"), [("greeter.service", "greeter.service"), ("greeter@.service", "greeter@2001.service")]
)
def test_systemd_accepts_the_unit(tmp_path: Path, shipped: str, instance: str) -> None:
    analyze = require_tool("systemd-analyze", "apt-get install systemd")
    unit = (DEPLOY / "systemd" / shipped).read_text()
    # the shipped paths and user, made this machine's: systemd checks that the program and the user exist
    here = (
        unit.replace("/srv/greeter/.venv/bin/greeter", command_path("greeter"))
        .replace("/srv/greeter", str(REPO_ROOT))
        .replace("User=greeter", f"User={getpass.getuser()}")
    )
    # a template is checked as one of its instances: that is what systemd runs
    (tmp_path / shipped).write_text(here)
    if instance != shipped:
        (tmp_path / instance).symlink_to(tmp_path / shipped)
    verified = subprocess.run(
        [analyze, "verify", str(tmp_path / instance)], capture_output=True, text=True, timeout=VERIFY_TIMEOUT
    )
    assert verified.returncode == 0, verified.stderr
    assert verified.stderr.strip() == ""


@pytest.mark.parametrize(
    "site", ["apache/greeter-course.conf", "apache/greeter-site.conf", "nginx/greeter-course.conf"]
)
def test_the_readme_makes_the_certificate_the_site_names(site: str) -> None:
    # following the README found it: ssl-cert installed long before (as on this machine) had no certificate left
    assert "/etc/ssl/certs/ssl-cert-snakeoil.pem" in (DEPLOY / site).read_text()
    production = README[README.index("## Production") : README.index("## Security")]
    for commands in production.split("```sh")[1:]:
        if "apt-get install" in commands.split("```")[0]:
            assert "make-ssl-cert generate-default-snakeoil" in commands.split("```")[0]


def test_the_production_venvs_use_debians_python() -> None:
    # following the README found it: root's own `python3` (pyenv here) made a venv the students could not run
    production = README[README.index("## Production") : README.index("## Security")]
    venvs = [line for line in production.splitlines() if "-m venv" in line]
    assert len(venvs) == 2
    assert all(line.startswith("/usr/bin/python3 -m venv ") for line in venvs)
