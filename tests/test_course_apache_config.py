"""`greeter course apache-config`: one Apache proxy worker per student folder, with the names the site file uses.

The workers run for real behind Apache in test_course_server.py and test_course_scene.py; here, what the file
says, for a course, for none, and for a folder that cannot be used.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from conftest import Certificate, apache_main_config, free_port, require_tool, run_greeter, scaled
from course_site import APACHE_FILE, COURSE_APACHE_MODULES, SHIPPED_CERT, SHIPPED_KEY, SHIPPED_STUDENTS_FILE

RUN_TIMEOUT = scaled(30)


def test_a_worker_of_their_own_for_each_student(tmp_path: Path) -> None:
    for name in ("bob", "ann", "Ann.Smith", "_x-1"):
        (tmp_path / name).mkdir()
    made = run_greeter("course", "apache-config", str(tmp_path))
    assert made.returncode == 0 and made.stderr == ""
    lines = made.stdout.splitlines()
    assert (
        lines[0]
        == f"# Each student's Apache proxy worker, made by `greeter course apache-config {tmp_path}` from the folders"
    )
    assert "# not a student's folder (not an account name's shape, never relayed): Ann.Smith" in lines
    assert [line for line in lines if not line.startswith("#")] == [
        f'Define GREETER_SOCKETS "{tmp_path}"',
        'Define GREETER_STUDENTS "_x-1|ann|bob"',
        "Define GREETER_CONNECTIONS 8",
        "Define GREETER_TIMEOUT 20",
        *(
            line
            for name in ("_x-1", "ann", "bob")
            for line in (
                # the worker's name is http://<name>: what follows the | is all Apache tells them apart by
                f'<Proxy "unix:{tmp_path}/{name}/greeter.sock|http://{name}">',
                "    ProxySet max=8 acquire=1 timeout=20 connectiontimeout=3 disablereuse=On",
                "</Proxy>",
            )
        ),
    ]


def test_the_limits_can_be_changed(tmp_path: Path) -> None:
    (tmp_path / "ann").mkdir()
    made = run_greeter("course", "apache-config", str(tmp_path), "--connections", "12", "--timeout", "30")
    assert "Define GREETER_CONNECTIONS 12\nDefine GREETER_TIMEOUT 30\n" in made.stdout
    assert "    ProxySet max=12 acquire=1 timeout=30 connectiontimeout=3 disablereuse=On\n" in made.stdout


def test_a_course_of_nobody_relays_nobody(tmp_path: Path, self_signed: Certificate) -> None:
    made = run_greeter("course", "apache-config", str(tmp_path))
    assert 'Define GREETER_STUDENTS "(?!)"' in made.stdout  # a pattern no name matches
    # and Apache takes it, with the site file, as it takes a course's
    binary = require_tool("/usr/sbin/apache2", "apt-get install apache2")
    (tmp_path / "students.conf").write_text(made.stdout)
    site = (
        APACHE_FILE.read_text()
        .replace(SHIPPED_STUDENTS_FILE, str(tmp_path / "students.conf"))
        .replace(SHIPPED_CERT, str(self_signed.certfile))
        .replace(SHIPPED_KEY, str(self_signed.keyfile))
        .replace("*:80", f"127.0.0.1:{free_port()}")
        .replace("*:443", f"127.0.0.1:{free_port()}")
    )
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "httpd.conf").write_text(
        f"{apache_main_config(tmp_path, COURSE_APACHE_MODULES)}\nDefine APACHE_LOG_DIR {tmp_path}\n"
        f'LogFormat "%h" combined\nInclude {tmp_path}/site.conf\n'
    )
    checked = subprocess.run(
        [binary, "-t", "-f", str(tmp_path / "httpd.conf")], capture_output=True, text=True, timeout=RUN_TIMEOUT
    )
    assert checked.returncode == 0, checked.stderr
    assert "Syntax OK" in checked.stderr


def test_a_folder_it_cannot_use_is_one_sentence(tmp_path: Path) -> None:
    odd = tmp_path / "a folder"
    odd.mkdir()
    for folder, sentence in [
        (tmp_path / "none", f"greeter: there is no folder {tmp_path / 'none'}; give the course's socket folder"),
        (odd, f"greeter: the folder '{odd}' has characters Apache's file would need quoted; use a path of letters,"),
    ]:
        made = run_greeter("course", "apache-config", str(folder))
        assert made.stderr.startswith(sentence) and made.stderr.count("\n") == 1
        assert (made.returncode, made.stdout) == (2, "")
