"""The deployment files: docs/production.md links each one and edits every copy it makes, and systemd accepts the units.

Apache's and nginx's files run for real in test_behind_apache.py and test_behind_nginx.py.
"""

from __future__ import annotations

import getpass
import re
import subprocess
from pathlib import Path

import pytest
from conftest import DOCS, REPO_ROOT, command_path, require_tool, scaled

DEPLOY = REPO_ROOT / "deploy"
PAGE = (DOCS / "production.md").read_text()
# the commands, before the page goes on to security
PRODUCTION = PAGE[: PAGE.index("## Security")]
FILES = sorted(path for path in DEPLOY.rglob("*") if path.is_file())
VERIFY_TIMEOUT = scaled(60)
PLACEHOLDER = "greeter.example.org"  # the site's name in the shipped files, which the page has the admin replace
# the page's commands, as one line: `cp FROM TO` and `sed -i "s/greeter.example.org/$SITE/g" FILE...`
COPY = re.compile(r"\bcp (\S*/deploy/\S+) (/[^\s`&;]+)")
SUBSTITUTE = re.compile(r'\bsed -i "s/greeter\.example\.org/\$SITE/g"((?: /[^\s`&;]+)+)')


def test_there_are_deployment_files() -> None:
    assert {path.relative_to(DEPLOY).as_posix() for path in FILES} == {
        "apache/greeter-root.conf",
        "apache/greeter-site.conf",
        "apache/greeter-balancer.conf",
        "apache/greeter-course.conf",
        "apache/greeter-course-mpm.conf",
        "nginx/greeter.conf",
        "nginx/greeter-course.conf",
        "systemd/greeter.service",
        "systemd/greeter@.service",
        "systemd/greeter-student@.service",
    }


@pytest.mark.parametrize("path", FILES, ids=[path.name for path in FILES])
def test_the_production_page_links_the_file(path: Path) -> None:
    name = path.relative_to(REPO_ROOT).as_posix()
    assert f"[`{name}`](../{name})" in PAGE


@pytest.mark.parametrize("path", FILES, ids=[path.name for path in FILES])
def test_no_page_quotes_a_file_whole(path: Path) -> None:
    # a quoted copy drifts from the file; the pages link each file and say what it does
    body = path.read_text().strip()
    for page in [REPO_ROOT / "README.md", *sorted(DOCS.glob("*.md"))]:
        assert body not in page.read_text(), f"{page.name} quotes {path.name} whole: link it instead"


@pytest.mark.parametrize(
    ("shipped", "instance"),
    [
        ("greeter.service", "greeter.service"),
        ("greeter@.service", "greeter@2001.service"),
        ("greeter-student@.service", f"greeter-student@{getpass.getuser()}.service"),
    ],
)
def test_systemd_accepts_the_unit(tmp_path: Path, shipped: str, instance: str) -> None:
    analyze = require_tool("systemd-analyze", "apt-get install systemd")
    unit = (DEPLOY / "systemd" / shipped).read_text()
    # the shipped paths and user, made this machine's: systemd checks that the program and the user exist
    here = (
        unit.replace("/home/%i/greeter/.venv/bin/greeter", command_path("greeter"))
        .replace("/home/%i/greeter.log", str(tmp_path / "greeter.log"))
        .replace("/home/%i/greeter", str(REPO_ROOT))
        .replace("/home/%i", str(tmp_path))
        .replace("/srv/greeter/.venv/bin/greeter", command_path("greeter"))
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
def test_the_page_makes_the_certificate_the_site_names(site: str) -> None:
    # following the commands found it: ssl-cert installed long before (as on this machine) had no certificate left
    assert "/etc/ssl/certs/ssl-cert-snakeoil.pem" in (DEPLOY / site).read_text()
    for commands in PRODUCTION.split("```sh")[1:]:
        if "apt-get install" in commands.split("```")[0]:
            assert "make-ssl-cert generate-default-snakeoil" in commands.split("```")[0]


def test_the_production_venvs_use_debians_python() -> None:
    # following the commands found it: root's own `python3` (pyenv here) made a venv the students could not run
    venvs = [line for line in PRODUCTION.splitlines() if "-m venv" in line]
    assert len(venvs) == 3  # the course's, each student's, the single app's
    assert all(line.startswith("/usr/bin/python3 -m venv ") for line in venvs)


def production_commands() -> str:
    """The page's commands with every run of white space one space, so that a command an inline `code span`
    carries over a line break reads as the admin pastes it."""
    return " ".join(PRODUCTION.split())


def test_the_page_substitutes_the_site_in_every_copy_it_has_made() -> None:
    # following the commands found it: greeter@.service was copied after the one `sed`, and kept
    # GREETER_TRUSTED_HOSTS=greeter.example.org, so every request through the balancer got 400
    commands = production_commands()
    copies = [(found.start(), found[1], found[2]) for found in COPY.finditer(commands)]
    assert len(copies) >= 4, copies  # the course file, both units and the site file at least
    substituted = [(found.start(), found[1].split()) for found in SUBSTITUTE.finditer(commands)]
    for at, source, target in copies:
        shipped = DEPLOY / source.split("/deploy/", 1)[1]
        copy = target + shipped.name if target.endswith("/") else target
        if PLACEHOLDER not in shipped.read_text():
            continue
        assert any(copy in files for sed_at, files in substituted if sed_at > at), (
            f"the page copies {shipped.name} to {copy} but never puts $SITE in it there"
        )
