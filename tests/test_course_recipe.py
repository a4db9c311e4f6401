"""The course server's recipe in docs/production.md does what the tests' web servers have: its edit of Debian's
nginx.conf gives the room the tests give nginx, and the MPM file wins over Debian's own sizing.

The recipe as a whole was walked as root on Debian 12 for three new accounts; these are its claims that can drift.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import DOCS, apache_main_config, free_port, require_root, require_tool, scaled
from course_site import APACHE_FILE, APACHE_MPM_FILE, NGINX_EVENTS, NGINX_FILE, NGINX_MAIN

PAGE = (DOCS / "production.md").read_text()
DEBIAN_NGINX_CONF = Path("/etc/nginx/nginx.conf")
DEBIAN_MPM_EVENT = Path("/etc/apache2/mods-available/mpm_event.conf")
RUN_TIMEOUT = scaled(30)


def test_the_recipes_edit_of_nginx_conf_gives_the_tests_room(tmp_path: Path) -> None:
    require_tool("/usr/sbin/nginx", "apt-get install nginx")
    edit = re.search(r"^sed -i (.+) /etc/nginx/nginx\.conf$", PAGE, re.MULTILINE)
    assert edit is not None
    copy = tmp_path / "nginx.conf"
    shutil.copy(DEBIAN_NGINX_CONF, copy)
    subprocess.run(["bash", "-c", f"sed -i {edit[1]} {copy}"], check=True, timeout=RUN_TIMEOUT)
    edited = copy.read_text()
    # worker_rlimit_nofile at the top level, worker_connections in events {}: what course_site.py gives nginx
    assert re.search(rf"^{re.escape(NGINX_MAIN)}$", edited, re.MULTILINE)
    events = edited.split("events {", 1)[1].split("}", 1)[0]
    assert [line.strip() for line in events.splitlines() if line.strip() and not line.strip().startswith("#")] == [
        NGINX_EVENTS
    ]


def test_the_mpm_file_wins_over_debians(tmp_path: Path) -> None:
    # in Debian's order: mods-enabled/mpm_event.conf first, conf-enabled/greeter-course-mpm.conf after it
    binary = require_tool("/usr/sbin/apache2", "apt-get install apache2")
    tmp_path.chmod(0o755)
    port = free_port()
    (tmp_path / "httpd.conf").write_text(f"""{apache_main_config(tmp_path, ["mpm_event", "authz_core"])}
Include {DEBIAN_MPM_EVENT}
Include {APACHE_MPM_FILE}
Listen 127.0.0.1:{port}
""")
    checked = subprocess.run(
        [binary, "-f", str(tmp_path / "httpd.conf"), "-t", "-D", "DUMP_RUN_CFG"],
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
    )
    assert checked.returncode == 0, checked.stderr
    with subprocess.Popen(
        [binary, "-f", str(tmp_path / "httpd.conf"), "-DFOREGROUND"], stderr=subprocess.PIPE, start_new_session=True
    ) as apache:
        try:
            threads = wait_for_one_child_with_threads(apache.pid)
        finally:
            apache.terminate()
            apache.wait(timeout=RUN_TIMEOUT)
    # one process serves, with the file's 300 threads (Debian's sizing: two processes of 25)
    assert len(threads) == 1 and threads[0] >= 300, threads


def wait_for_one_child_with_threads(parent: int) -> list[int]:
    """The thread counts of Apache's child processes, once they have started their threads."""
    import time

    from greeter.shared.proc import children

    deadline = time.monotonic() + RUN_TIMEOUT
    while True:
        counts = [len(list(Path(f"/proc/{child}/task").iterdir())) for child in children(parent)]
        if (counts and min(counts) >= 300) or time.monotonic() > deadline:
            time.sleep(1)  # any second process would be started by now
            return [len(list(Path(f"/proc/{child}/task").iterdir())) for child in children(parent)]
        time.sleep(0.1)


@pytest.mark.parametrize(
    "setting", ["ThreadsPerChild 300", "MaxRequestWorkers 300", "StartServers 1", "ServerLimit 16"]
)
def test_the_page_gives_the_sizing_the_file_sets(setting: str) -> None:
    name, value = setting.split()
    assert re.search(rf"^\s*{name}\s+{value}$", APACHE_MPM_FILE.read_text(), re.MULTILINE), setting
    assert f"`{setting}`" in PAGE


def shipped_page_titles() -> set[str]:
    """The <h1> of every page the course's web servers write themselves, for the student ann."""
    titles = set()
    for path in (APACHE_FILE, NGINX_FILE):
        for title in re.findall(r"<h1>(.*?)</h1>", path.read_text()):
            titles.add(title.replace("%{reqenv:GREETER_USER}", "ann").replace("$student", "ann"))
    return titles


def test_the_page_names_every_page_the_web_servers_write() -> None:
    titles = shipped_page_titles()
    words = " ".join(PAGE.split())  # as a reader reads it, whatever the line breaks
    assert "ann's greeter is not running, or not taking more connections" in titles  # Apache's 503 with a socket
    for title in titles - {"Not found"}:
        assert f"*{title}*" in words, title


def test_every_page_tells_the_student_to_run_their_own_clones_greeter() -> None:
    # the admin's `greeter` on the path serves the shipped code, not the student's edits (students.md)
    for path in (APACHE_FILE, NGINX_FILE):
        commands = re.findall(r"<code>([^<]*--socket[^<]*)</code>", path.read_text())
        assert commands, path
        for command in commands:
            assert command.startswith("cd ~/greeter &amp;&amp; .venv/bin/greeter --socket "), (path, command)


# a course's group, one account whose primary group it is and one that is a member of it besides its own
COURSE_GROUP, COURSE_GID = "g17course", 41740
PRIMARY, MEMBER = ("g17prim", 41741), ("g17memb", 41742)


def course_group() -> None:
    """The group and its two accounts, made once (as conftest's accounts are) and reused."""
    require_root("to create the test group and accounts")
    commands = [
        ["groupadd", "--force", "--gid", str(COURSE_GID), COURSE_GROUP],
        ["groupadd", "--force", "--gid", str(MEMBER[1]), MEMBER[0]],
        ["useradd", "--uid", str(PRIMARY[1]), "--gid", COURSE_GROUP, "--no-create-home", PRIMARY[0]],
        ["useradd", "--uid", str(MEMBER[1]), "--gid", MEMBER[0], "--no-create-home", MEMBER[0]],
        ["usermod", "--append", "--groups", COURSE_GROUP, MEMBER[0]],
    ]
    for command in commands:
        made = subprocess.run(command, capture_output=True, text=True, timeout=RUN_TIMEOUT)
        # another test run may have made it meanwhile: that one is as good
        assert made.returncode == 0 or "already exists" in made.stderr, (command, made.stderr)


def test_the_students_of_a_group_are_its_members_and_those_it_is_the_primary_group_of() -> None:
    course_group()
    found = re.search(r"^\s*COURSE_GROUP=course\n\s*(STUDENTS=.+)$", PAGE, re.MULTILINE)
    assert found is not None
    listed = subprocess.run(
        ["bash", "-c", f'COURSE_GROUP={COURSE_GROUP}\n{found[1]}\nprintf "%s" "$STUDENTS"'],
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=True,
    )
    # `getent group` alone names only the member
    group = subprocess.run(["getent", "group", COURSE_GROUP], capture_output=True, text=True, timeout=RUN_TIMEOUT)
    assert group.stdout.endswith(f":{MEMBER[0]}\n")
    assert listed.stdout.split() == sorted([PRIMARY[0], MEMBER[0]]), listed.stdout
