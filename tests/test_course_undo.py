""" "Undoing it" in docs/production.md turns back what the course recipe turned on: Debian's own a2enmod, a2enconf
and a2ensite run the recipe's lines and then the undo's on a copy of Debian's /etc/apache2 (APACHE_CONFDIR), which
ends as it began; the same for nginx.conf and ports.conf edits and their reverse.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from conftest import REPO_ROOT, require_tool, scaled
from test_course_recipe import PAGE

DEBIAN_APACHE = Path("/etc/apache2")
DEBIAN_NGINX_CONF = Path("/etc/nginx/nginx.conf")
RUN_TIMEOUT = scaled(30)
RECIPE = PAGE.split("### Setting it up, from nothing\n", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
UNDO = PAGE.split("### Undoing it\n", 1)[1].split("\n### ", 1)[0]
UNDO_BLOCKS = re.findall(r"```sh\n(.*?)```", UNDO, re.DOTALL)
# what the recipe does to Apache's configuration, and nothing else (no restart, no accounts)
APACHE_COMMANDS = (
    "cp /opt/greeter/deploy/apache/",
    "greeter course apache-config >",
    "a2en",
    "a2dis",
    "rm /etc/apache2/",
)


def apache_lines(block: str, confdir: Path) -> str:
    lines = [line for line in block.splitlines() if line.startswith(APACHE_COMMANDS)]
    script = "\n".join(lines).replace("/etc/apache2", str(confdir)).replace("/opt/greeter", str(REPO_ROOT))
    # the students' file is the command's output; here only that it is made, and removed
    return re.sub(r"^greeter course apache-config > ", "touch ", script, flags=re.MULTILINE)


def what_is_there(confdir: Path) -> dict[str, str]:
    """Every file and link of the configuration, with what a link points to."""
    return {
        str(path.relative_to(confdir)): (str(path.readlink()) if path.is_symlink() else "file")
        for path in sorted(confdir.rglob("*"))
    }


def test_undoing_the_recipe_gives_back_debians_apache(tmp_path: Path) -> None:
    require_tool("/usr/sbin/a2enmod", "apt-get install apache2")
    confdir, state = tmp_path / "apache2", tmp_path / "state"
    shutil.copytree(DEBIAN_APACHE, confdir, symlinks=True)
    before = what_is_there(confdir)
    environment = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "APACHE_CONFDIR": str(confdir)}
    environment["APACHE_STATE_DIRECTORY"] = str(state)

    def run(script: str) -> str:
        ran = subprocess.run(
            ["bash", "-euc", script], env=environment, capture_output=True, text=True, timeout=RUN_TIMEOUT
        )
        assert ran.returncode == 0, (script, ran.stdout, ran.stderr)
        return ran.stdout

    enabled = run(apache_lines(RECIPE, confdir))
    assert "Enabling module socache_shmcb." in enabled  # ssl's dependency, which the undo names
    assert what_is_there(confdir) != before
    run(apache_lines(UNDO_BLOCKS[0], confdir))
    assert what_is_there(confdir) == before


def test_undoing_the_nginx_conf_edit_gives_back_debians(tmp_path: Path) -> None:
    require_tool("/usr/sbin/nginx", "apt-get install nginx")
    edit = re.search(r"^sed -i (.+) /etc/nginx/nginx\.conf$", PAGE, re.MULTILINE)
    undo = re.search(r"^sed -i (.+) /etc/nginx/nginx\.conf$", UNDO_BLOCKS[1], re.MULTILINE)
    assert edit is not None and undo is not None
    copy = tmp_path / "nginx.conf"
    shutil.copy(DEBIAN_NGINX_CONF, copy)
    for sed in (edit[1], undo[1]):
        subprocess.run(["bash", "-c", f"sed -i {sed} {copy}"], check=True, timeout=RUN_TIMEOUT)
    assert copy.read_text() == DEBIAN_NGINX_CONF.read_text()


def test_undoing_other_ports_gives_back_debians_ports_conf(tmp_path: Path) -> None:
    require_tool("/usr/sbin/apache2", "apt-get install apache2")
    ports_conf = DEBIAN_APACHE / "ports.conf"
    other_ports = PAGE.split("### On other ports, and trying it from the server\n", 1)[1].split("```sh\n", 1)[1]
    edit = re.search(r"^sed -i (.+) /etc/apache2/ports\.conf$", other_ports, re.MULTILINE)
    undo = re.search(r"`sed -i (.+) /etc/apache2/ports\.conf`", UNDO)
    assert edit is not None and undo is not None
    copy = tmp_path / "ports.conf"
    shutil.copy(ports_conf, copy)
    for sed in (edit[1], undo[1]):
        script = f"HTTP_PORT=18080 HTTPS_PORT=18443\nsed -i {sed} {copy}"
        subprocess.run(["bash", "-c", script], check=True, timeout=RUN_TIMEOUT)
    assert copy.read_text() == ports_conf.read_text()
