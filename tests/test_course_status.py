"""`greeter course status`: every student's socket at a glance, one line each, or as JSON, with real accounts.

Each kind of socket a teacher meets is made here as the account it belongs to: a greeter serving, a listener that
accepts and never answers, a socket left by a process that ended, none at all, and the suspicious ones (a file that
is not a socket, the wrong mode, a socket of root's or served by root's process, a folder opened to all, a folder
with no account). The whole scene with real web servers and a spinning greeter: test_course_scene.py.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from conftest import (
    DOCS,
    SCENE_STUDENTS,
    UNIX_SOCKET_READY,
    StartServer,
    as_user,
    command_path,
    run_greeter,
    scaled,
    spawned,
    student_socket_folder,
    unix_account,
)

from greeter.tools.course.status import HUNG_AFTER_SECONDS

ANN, BOB, HOG, OLD, EVE, DAN = SCENE_STUDENTS  # the scene's accounts, each a kind of socket here
RUN_TIMEOUT = scaled(30)
# binds a socket as the account that runs it (mode 0660 unless told), then listens and never accepts, or exits;
# "full": its backlog full too
LISTENER = """
import os, socket, sys, time
path, mode, then = sys.argv[1], int(sys.argv[2], 8), sys.argv[3]
s = socket.socket(socket.AF_UNIX)
s.bind(path)
os.chmod(path, mode)
s.listen(0 if then == "full" else 8)
if then == "full":  # its backlog taken by a connection it never accepts: the next connect is refused at once
    held = socket.socket(socket.AF_UNIX)
    held.connect(path)
print("listening", flush=True)
if then in ("wait", "full"):
    time.sleep(120)
"""


def bind_as(user: str, path: Path, mode: int = 0o660, then: str = "exit") -> list[str]:
    return as_user(user, [sys.executable, "-c", LISTENER, str(path), f"{mode:o}", then])


def bind_and_exit(user: str, path: Path, mode: int = 0o660) -> None:
    subprocess.run(bind_as(user, path, mode), check=True, capture_output=True, timeout=RUN_TIMEOUT)


@pytest.fixture(scope="module")
def course(start_module_server: StartServer, socket_folders: Path) -> Iterator[Path]:
    """One folder per kind of socket; what needs a process keeps it running for the module."""
    folders = {name: student_socket_folder(socket_folders, unix_account(name)) for name in SCENE_STUDENTS}
    start_module_server(
        as_user(ANN, [command_path("greeter"), "--socket", str(folders[ANN] / "greeter.sock")]), UNIX_SOCKET_READY
    )
    start_module_server(bind_as(HOG, folders[HOG] / "greeter.sock", then="wait"), "listening")  # accepts, never answers
    bind_and_exit(OLD, folders[OLD] / "greeter.sock")  # the process ended, the file stays: stale
    (folders[EVE] / "greeter.sock").write_text("not a socket\n")  # made by root: wrong owner too, a file first
    bind_and_exit(BOB, folders[BOB] / "greeter.sock", mode=0o666)
    # DAN: nothing. A folder for a name with no account, and an entry that is not a student's folder at all
    (socket_folders / "g17nobody").mkdir(mode=0o2750)
    (socket_folders / "README").write_text("the course's sockets\n")
    yield socket_folders


def status_lines(output: str) -> dict[str, list[str]]:
    """The table's rows by student: state, pid, since, answer, note (- for none)."""
    rows: dict[str, list[str]] = {}
    header, *lines = output.splitlines()
    assert header.split() == ["STUDENT", "STATE", "PID", "SINCE", "ANSWER", "NOTE"]
    starts = [header.index(column) for column in ("STATE", "PID", "SINCE", "ANSWER", "NOTE")]
    for line in lines:
        if not line.startswith("g17"):
            continue
        cells = [line[start:end].strip() for start, end in zip([0, *starts], [*starts, None], strict=True)]
        rows[cells[0]] = cells[1:]
    return rows


def test_every_kind_of_socket_at_a_glance(course: Path) -> None:
    shown = run_greeter("course", "status", str(course))
    rows = status_lines(shown.stdout)
    print(shown.stdout)
    assert rows[ANN][0] == "running" and rows[ANN][1].isdigit()
    assert re.fullmatch(r"\d\d:\d\d:\d\d", rows[ANN][2])
    assert re.fullmatch(r"200 in \d+ ms", rows[ANN][3])
    assert rows[HOG][:1] + rows[HOG][3:] == ["hung", "-", "accepts, but no answer in 2 s"]
    assert rows[HOG][1].isdigit()  # the listener, so the teacher can stop it
    assert rows[OLD] == ["stale", "-", "-", "-", "nothing listens: left by a greeter that was killed"]
    assert rows[DAN] == ["missing", "-", "-", "-", "no socket: not serving"]
    assert rows[EVE] == ["suspicious", "-", "-", "-", "greeter.sock is a regular file, not a socket"]
    assert rows[BOB] == ["suspicious", "-", "-", "-", "the socket is mode 0666, not 0660"]
    assert rows["g17nobody"] == ["suspicious", "-", "-", "-", "there is no account named g17nobody"]
    assert shown.stdout.splitlines()[-2:] == [
        f"7 students in {course}: 1 running, 1 hung, 1 stale, 1 missing, 3 suspicious",
        "not students' folders (never relayed): README",
    ]
    assert shown.returncode == 1  # hung and suspicious sockets need the teacher
    assert shown.stderr == ""


def test_json_for_scripts(course: Path) -> None:
    shown = run_greeter("course", "status", "--json", str(course))
    report = json.loads(shown.stdout)
    assert report["folder"] == str(course)
    assert report["counts"] == {"running": 1, "hung": 1, "stale": 1, "missing": 1, "suspicious": 3, "unknown": 0}
    by_name = {student["student"]: student for student in report["students"]}
    ann = by_name[ANN]
    assert (ann["state"], ann["http_status"], ann["socket"]) == ("running", 200, str(course / ANN / "greeter.sock"))
    assert isinstance(ann["pid"], int) and ann["answer_ms"] > 0 and ann["uptime_seconds"] >= 0
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?[+-]\d\d:\d\d", ann["since"])
    assert by_name[HOG]["state"] == "hung" and by_name[HOG]["http_status"] is None
    assert shown.returncode == 1


def test_nothing_for_the_teacher_is_exit_status_0(start_server: StartServer, socket_folders: Path) -> None:
    # running, stale and missing are the students' own to start: a script has nothing to act on
    quiet = socket_folders / "quiet"
    quiet.mkdir(mode=0o755)
    folders = {name: student_socket_folder(quiet, unix_account(name)) for name in (ANN, OLD, DAN)}  # root makes them
    start_server(as_user(ANN, [command_path("greeter"), "--socket", str(folders[ANN] / "greeter.sock")]), "serving")
    bind_and_exit(OLD, folders[OLD] / "greeter.sock")
    shown = run_greeter("course", "status", str(quiet))
    assert {name: row[0] for name, row in status_lines(shown.stdout).items()} == {
        ANN: "running",
        DAN: "missing",
        OLD: "stale",
    }
    assert shown.returncode == 0


def test_hung_sockets_are_probed_together(start_server: StartServer, socket_folders: Path) -> None:
    # five greeters hung in a view (they accept, never answer) and one so stuck its backlog is full
    hung = socket_folders / "hung"
    hung.mkdir(mode=0o755)
    for name in SCENE_STUDENTS:
        path = student_socket_folder(hung, name) / "greeter.sock"
        start_server(bind_as(name, path, then="full" if name == DAN else "wait"), "listening")
    started = time.monotonic()
    shown = run_greeter("course", "status", str(hung))
    took = time.monotonic() - started
    print(f"\n{shown.stdout}\n{len(SCENE_STUDENTS)} hung sockets looked at in {took:.2f} s")
    rows = status_lines(shown.stdout)
    assert rows[DAN][0] == "hung" and rows[DAN][3:] == ["-", "does not accept: its backlog is full"], rows[DAN]
    for name in set(SCENE_STUDENTS) - {DAN}:
        assert rows[name][0] == "hung" and rows[name][4] == "accepts, but no answer in 2 s", rows[name]
    # one after another, the five would take their 2 s each; together, about 2 s and the command's own start
    assert took < HUNG_AFTER_SECONDS * (len(SCENE_STUDENTS) - 1), took
    assert shown.returncode == 1


def test_sockets_of_another_account_are_suspicious(course: Path, tmp_path: Path) -> None:
    # root serves in a student's folder, the file made to look the student's: the process gives it away
    folder = course / DAN
    path = folder / "greeter.sock"
    with spawned(bind_as("root", path, then="wait"), stdout=subprocess.PIPE, text=True) as listener:
        assert listener.stdout is not None and listener.stdout.readline() == "listening\n"
        rows = status_lines(run_greeter("course", "status", str(course)).stdout)
        assert rows[DAN][0] == "suspicious" and rows[DAN][3:] == ["-", "the socket belongs to root, not g17dan"]
        os.chown(path, SCENE_STUDENTS[DAN], os.stat(folder).st_gid)
        rows = status_lines(run_greeter("course", "status", str(course)).stdout)
        assert rows[DAN][0] == "suspicious" and rows[DAN][4] == "served by a process of root"
        assert rows[DAN][1] == str(listener.pid)
    path.unlink()


def test_a_folder_opened_to_all_is_suspicious(course: Path) -> None:
    folder = course / DAN
    folder.chmod(0o2777)
    try:
        rows = status_lines(run_greeter("course", "status", str(course)).stdout)
        assert rows[DAN] == ["suspicious", "-", "-", "-", "the folder is mode 2777, not 2750"]
    finally:
        folder.chmod(0o2750)


def test_without_root_it_says_it_cannot_look(course: Path) -> None:
    shown = subprocess.run(
        as_user(DAN, [command_path("greeter"), "course", "status", str(course)]),
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
    )
    rows = status_lines(shown.stdout)
    # DAN's own folder it may enter (no socket there); every other student's is closed to it
    assert rows[DAN][0] == "missing"
    assert rows[ANN] == ["unknown", "-", "-", "-", "cannot look in the folder: run it as root"]
    assert shown.returncode == 1


@pytest.mark.parametrize(
    ("folder", "sentence"),
    [
        ("/no/such/folder", "greeter: there is no folder /no/such/folder; give the course's socket folder"),
        ("/etc/hostname", "greeter: /etc/hostname is not a folder; give the course's socket folder."),
    ],
)
def test_a_folder_that_cannot_be_read_is_one_sentence(folder: str, sentence: str) -> None:
    shown = run_greeter("course", "status", folder)
    assert shown.stderr.startswith(sentence)
    assert shown.stderr.count("\n") == 1 and shown.stdout == ""
    assert shown.returncode == 2


def test_the_listening_sockets_are_read_from_proc() -> None:
    from greeter.shared.proc import holders_of, listening_unix_sockets

    with socket.socket(socket.AF_UNIX) as listener, socket.socket(socket.AF_UNIX) as unnamed:
        path = f"/tmp/greeter-status-{os.getpid()} with space.sock"
        listener.bind(path)
        listener.listen(1)
        unnamed.bind("")  # an abstract address: not a path, and not listening
        try:
            inodes = listening_unix_sockets()[path]
            assert holders_of(inodes) == {inodes[0]: (os.getpid(),)}
        finally:
            os.unlink(path)


def test_the_production_page_quotes_the_table_as_printed() -> None:
    from greeter.tools.course.status import status_table
    from greeter.tools.course.survey import SocketStatus, State

    page = (DOCS / "production.md").read_text()
    quoted = page.split("```text\n# greeter course status\n", 1)[1].split("\n```", 1)[0]
    header, *rows, summary = quoted.splitlines()
    folder = Path(summary.split(" in ", 1)[1].split(":", 1)[0])
    starts = [header.index(column) for column in ("STATE", "PID", "SINCE", "ANSWER", "NOTE")]
    statuses = []
    for row in rows:
        name, state, pid, since, answer, note = (
            row[start:end].strip() for start, end in zip([0, *starts], [*starts, None], strict=True)
        )
        started = None
        if since != "-":  # a time of today, as the table shows one
            hours, minutes, seconds = (int(part) for part in since.split(":"))
            started = datetime.now().replace(hour=hours, minute=minutes, second=seconds, microsecond=0).timestamp()
        answered = answer.split() if answer != "-" else None
        statuses.append(
            SocketStatus(
                name,
                State(state),
                folder / name / "greeter.sock",
                note=note,
                pid=None if pid == "-" else int(pid),
                since=started,
                http_status=int(answered[0]) if answered else None,
                answer_ms=float(answered[2]) if answered else None,
            )
        )
    # the same sockets, printed by the command's own code, are the page's table to the character
    assert status_table(folder, statuses, []) == quoted
    assert {status.state for status in statuses} == set(State) - {State.UNKNOWN}  # every state a teacher meets
