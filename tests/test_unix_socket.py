"""`greeter --socket PATH`: serving on a Unix socket for the web server, as on the course server.

Who may connect is the file system's answer: the socket is 0660, in a folder the admin made for its owner with
the web server's group (set-group-ID, so the socket gets that group). The accounts are real (g11ann, g11bob):
another student gets EACCES, the web server's user gets in.
"""

from __future__ import annotations

import asyncio
import getpass
import os
import signal
import socket
import stat
import subprocess
from pathlib import Path

import httpx
import pytest
from conftest import (
    KEEP_ALIVE_LIMITS,
    PAGE_PID,
    REQUEST_ROW,
    STOP_TIMEOUT,
    UNIX_SOCKET_READY,
    WEB_SERVER_USER,
    StartServer,
    as_user,
    command_lines_in_session,
    command_path,
    run_greeter,
    scaled,
    student_socket_folder,
    unix_account,
)
from test_serving import assert_serves_every_route

HTTP_TIMEOUT = scaled(10.0)
RUN_TIMEOUT = scaled(30)
PROBE = (
    "import socket, sys; s = socket.socket(socket.AF_UNIX); s.settimeout(5); s.connect(sys.argv[1]); print('connected')"
)


def over_socket(path: Path) -> httpx.AsyncClient:
    """A client that reaches the server through its socket; it asks for http://localhost/, as the proxy does."""
    return httpx.AsyncClient(
        limits=KEEP_ALIVE_LIMITS,
        transport=httpx.AsyncHTTPTransport(uds=str(path)),
        base_url="http://localhost",
        timeout=HTTP_TIMEOUT,
    )


def connect_as(user: str, path: Path) -> subprocess.CompletedProcess[str]:
    """Connect to the socket from a process of `user`: what another local user's program could do."""
    return subprocess.run(
        as_user(user, [command_path("python"), "-c", PROBE, str(path)]),
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
    )


async def test_serves_every_route_on_the_socket(start_server: StartServer, tmp_path: Path) -> None:
    path = tmp_path / "greeter.sock"
    server = start_server([command_path("greeter"), "--socket", str(path)], UNIX_SOCKET_READY)
    banner = server.wait_for(UNIX_SOCKET_READY)
    assert banner["path"] == str(path)
    assert stat.S_ISSOCK(path.stat().st_mode)
    assert stat.S_IMODE(path.stat().st_mode) == 0o660  # owner and group: not the world
    async with over_socket(path) as http:
        assert (await http.get("/")).text == "Hello World!"
    assert server.stop() == 0
    assert not path.exists()  # removed on a clean stop


async def test_the_same_routes_as_on_a_port(start_server: StartServer, tmp_path: Path) -> None:
    path = tmp_path / "greeter.sock"
    start_server([command_path("greeter"), "--socket", str(path)], UNIX_SOCKET_READY)
    # the route checks of test_serving.py, through the socket
    await assert_serves_every_route("http://localhost", httpx.AsyncHTTPTransport(uds=str(path)))


async def test_the_environment_names_the_socket(start_server: StartServer, tmp_path: Path) -> None:
    path = tmp_path / "env.sock"
    start_server([command_path("greeter")], UNIX_SOCKET_READY, env={"GREETER_SOCKET": str(path)})
    async with over_socket(path) as http:
        assert (await http.get("/hello/Ann")).text == "Hello Ann, nice to meet you!"


async def test_on_a_socket_the_proxy_is_believed_by_default(start_server: StartServer, tmp_path: Path) -> None:
    path = tmp_path / "greeter.sock"
    start_server([command_path("greeter"), "--socket", str(path)], UNIX_SOCKET_READY)
    proxied = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "course.example"}
    me = getpass.getuser()  # the account serving: its own URL's prefix
    async with over_socket(path) as http:
        page = await http.get("/process/", headers={**proxied, "X-Forwarded-Prefix": f"/~{me}/greeter"})
        assert REQUEST_ROW.search(page.text).groups() == (  # type: ignore[union-attr]
            "203.0.113.7",
            f"https://course.example/~{me}/greeter/",
        )
        redirect = await http.get("/hello", headers=proxied)
        assert redirect.headers["location"] == "https://course.example/hello/"


async def test_on_a_socket_another_accounts_url_is_misdirected(start_server: StartServer, tmp_path: Path) -> None:
    # what the web server sends when a link in another student's folder leads to this socket
    path = tmp_path / "greeter.sock"
    server = start_server([command_path("greeter"), "--socket", str(path)], UNIX_SOCKET_READY)
    async with over_socket(path) as http:
        answer = await http.get("/hello/", headers={"X-Forwarded-Prefix": "/~g11eve/greeter"})
    me = getpass.getuser()
    assert answer.status_code == 421
    assert answer.text == (
        f"Misdirected Request: the web server brought a request for /~g11eve/greeter/ to {me}'s greeter,"
        f" which answers only for {me}.\n"
    )
    assert server.stop() == 0
    assert f"421 for GET /hello/: the web server brought a request for /~g11eve/greeter/ to {me}'s" in server.output()


async def test_an_empty_prefix_user_turns_the_check_off(start_server: StartServer, tmp_path: Path) -> None:
    path = tmp_path / "greeter.sock"
    start_server([command_path("greeter"), "--socket", str(path)], UNIX_SOCKET_READY, env={"GREETER_PREFIX_USER": ""})
    async with over_socket(path) as http:
        answer = await http.get("/hello/", headers={"X-Forwarded-Prefix": "/~g11eve/greeter"})
    assert (answer.status_code, answer.text) == (200, "Greetings and Felicitations")


async def test_proxy_hops_0_on_a_socket_believes_nothing(start_server: StartServer, tmp_path: Path) -> None:
    path = tmp_path / "greeter.sock"
    start_server([command_path("greeter"), "--socket", str(path), "--proxy-hops", "0"], UNIX_SOCKET_READY)
    async with over_socket(path) as http:
        redirect = await http.get("/hello", headers={"X-Forwarded-Host": "course.example"})
        assert redirect.headers["location"] == "http://localhost/hello/"


async def test_only_the_owner_and_the_web_servers_group_can_connect(
    start_server: StartServer, socket_folders: Path
) -> None:
    ann, bob = unix_account("g11ann"), unix_account("g11bob")
    folder = student_socket_folder(socket_folders, ann)
    path = folder / "greeter.sock"
    server = start_server(as_user(ann, [command_path("greeter"), "--socket", str(path)]), UNIX_SOCKET_READY)
    assert server.wait_for(UNIX_SOCKET_READY)["group"] == WEB_SERVER_USER  # the banner says who else can
    made = path.stat()
    assert (made.st_uid, made.st_gid) == (os.stat(folder).st_uid, os.stat(folder).st_gid)  # ann's, www-data
    assert stat.S_IMODE(made.st_mode) == 0o660
    other_student = connect_as(bob, path)
    assert other_student.returncode != 0
    assert "PermissionError" in other_student.stderr and "Permission denied" in other_student.stderr
    assert connect_as(WEB_SERVER_USER, path).stdout == "connected\n"
    assert connect_as(ann, path).stdout == "connected\n"
    # even in a folder anyone can enter, the file itself keeps bob out
    open_folder = socket_folders / "open"
    open_folder.mkdir(mode=0o777)
    open_folder.chmod(0o777)
    in_the_open = open_folder / "ann.sock"
    start_server(as_user(ann, [command_path("greeter"), "--socket", str(in_the_open)]), UNIX_SOCKET_READY)
    assert "Permission denied" in connect_as(bob, in_the_open).stderr


async def test_a_stale_socket_file_is_replaced(start_server: StartServer, tmp_path: Path) -> None:
    path = tmp_path / "greeter.sock"
    crashed = socket.socket(socket.AF_UNIX)
    crashed.bind(str(path))
    crashed.close()  # the file stays, with no server behind it: what a killed greeter leaves
    start_server([command_path("greeter"), "--socket", str(path)], UNIX_SOCKET_READY)
    async with over_socket(path) as http:
        assert (await http.get("/")).text == "Hello World!"


async def test_a_killed_greeter_leaves_a_file_the_next_one_replaces(start_server: StartServer, tmp_path: Path) -> None:
    path = tmp_path / "greeter.sock"
    first = start_server([command_path("greeter"), "--socket", str(path)], UNIX_SOCKET_READY)
    first.process.kill()
    first.process.wait(timeout=STOP_TIMEOUT)
    assert path.exists()
    second = start_server([command_path("greeter"), "--socket", str(path)], UNIX_SOCKET_READY)
    async with over_socket(path) as http:
        page = await http.get("/process/")
    assert PAGE_PID.search(page.text)[1] == str(second.process.pid)  # type: ignore[index]


async def test_a_running_servers_socket_is_never_taken(start_server: StartServer, tmp_path: Path) -> None:
    path = tmp_path / "greeter.sock"
    running = start_server([command_path("greeter"), "--socket", str(path)], UNIX_SOCKET_READY)
    refused = run_greeter("--socket", str(path))
    assert refused.returncode == 1
    assert refused.stderr == (
        f"greeter: {path} is in use by a running server; stop that one first, or choose another path.\n"
    )
    assert refused.stdout == ""
    async with over_socket(path) as http:  # the first one still serves, on the same file
        page = await http.get("/process/")
    assert PAGE_PID.search(page.text)[1] == str(running.process.pid)  # type: ignore[index]


@pytest.mark.parametrize(
    ("make", "words"),
    [
        ("file", "exists and is not a socket; choose another path for --socket."),
        ("no folder", "the folder {folder}/missing does not exist"),
        ("long", "is too long for a Unix socket"),
    ],
)
def test_a_path_that_cannot_be_a_socket_is_one_sentence(tmp_path: Path, make: str, words: str) -> None:
    path = {
        "file": tmp_path / "notes.txt",
        "no folder": tmp_path / "missing" / "g.sock",
        "long": tmp_path / ("x" * 120),
    }[make]
    if make == "file":
        path.write_text("keep me")
    result = run_greeter("--socket", str(path))
    assert result.returncode == 1
    assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr
    assert words.format(folder=tmp_path) in result.stderr
    assert result.stderr.rstrip().endswith(".")
    if make == "file":
        assert path.read_text() == "keep me"


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["8080"], "a port (8080) and --socket/GREETER_SOCKET both given; give one of them."),
        (["--port", "8080"], "a port (8080) and --socket/GREETER_SOCKET both given; give one of them."),
        (["--host", "0.0.0.0"], "--host and --socket/GREETER_SOCKET both given; a Unix socket has no address."),
        (["--debug"], "--debug shows tracebacks to the web server's clients"),
    ],
)
def test_what_does_not_fit_a_socket_is_refused(tmp_path: Path, args: list[str], words: str) -> None:
    result = run_greeter("--socket", str(tmp_path / "g.sock"), *args)
    assert result.returncode == 2
    assert result.stderr.startswith(f"greeter: {words}")
    assert len(result.stderr.splitlines()) == 1
    assert not (tmp_path / "g.sock").exists()


@pytest.mark.parametrize(
    ("signal_number", "workers"), [(signal.SIGTERM, "1"), (signal.SIGINT, "1"), (signal.SIGTERM, "2")]
)
async def test_a_clean_stop_removes_the_socket_file(
    start_server: StartServer, tmp_path: Path, signal_number: int, workers: str
) -> None:
    path = tmp_path / "greeter.sock"
    server = start_server([command_path("greeter"), "--socket", str(path), "--workers", workers], UNIX_SOCKET_READY)
    async with over_socket(path) as http:
        assert (await http.get("/")).status_code == 200
    if workers == "2":  # named in ps by the socket they serve
        titles = set(command_lines_in_session(server.process.pid))
        assert {f"greeter worker {number} ({path})" for number in (1, 2)} <= titles, titles
    assert server.stop(signal_number) == 0
    assert not path.exists()
    assert "Traceback" not in server.output()
    # the journal of a service with workers reads clean (Hypercorn's serve warned of `workers` in each one)
    assert "Warning" not in server.output()


async def test_sigterm_lets_requests_in_flight_finish(start_server: StartServer, tmp_path: Path) -> None:
    path = tmp_path / "greeter.sock"
    server = start_server([command_path("greeter"), "--socket", str(path)], UNIX_SOCKET_READY)
    async with over_socket(path) as http:
        waiting = [asyncio.create_task(http.get("/wait/1")) for _ in range(10)]
        await asyncio.sleep(0.3)  # all ten in flight
        server.send(signal.SIGTERM)
        answers = await asyncio.gather(*waiting)
    assert [(answer.status_code, answer.text) for answer in answers] == [(200, "Waited 1 second.\n")] * 10
    assert server.stop() == 0
    assert not path.exists()


def run_greeter_as(user: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        as_user(user, [command_path("greeter"), *args]),
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.parametrize(
    ("where", "words"),
    [
        # copied from a classmate's 503 page: their folder, which only they and the web server can enter
        ("in another's folder", "is in a folder you cannot enter (another user's?)"),
        ("below another's folder", "is in a folder you cannot enter (another user's?)"),
        ("another's socket in an open folder", "is another user's socket; choose another path for --socket."),
        ("below a file", "is not a folder"),
        ("below a symbolic link loop", "Too many levels of symbolic links"),
    ],
)
def test_what_another_user_cannot_reach_is_one_sentence(socket_folders: Path, where: str, words: str) -> None:
    ann, bob = unix_account("g11fann"), unix_account("g11fbob")
    folder = student_socket_folder(socket_folders, ann)
    open_folder = socket_folders / "open-g11f"
    open_folder.mkdir(exist_ok=True)
    open_folder.chmod(0o777)
    if where == "another's socket in an open folder":  # what a greeter of ann's that was killed leaves
        left = socket.socket(socket.AF_UNIX)
        left.bind(str(open_folder / "ann.sock"))
        left.close()
        os.chown(open_folder / "ann.sock", os.stat(folder).st_uid, os.stat(folder).st_gid)
        os.chmod(open_folder / "ann.sock", 0o660)
    (open_folder / "notes.txt").write_text("keep me")
    loop = open_folder / "loop"
    if not loop.is_symlink():
        loop.symlink_to(loop)
    path = {
        "in another's folder": folder / "greeter.sock",
        "below another's folder": folder / "sub" / "greeter.sock",
        "another's socket in an open folder": open_folder / "ann.sock",
        "below a file": open_folder / "notes.txt" / "greeter.sock",
        "below a symbolic link loop": loop / "greeter.sock",
    }[where]
    result = run_greeter_as(bob, "--socket", str(path))
    assert result.returncode == 1, result.stderr
    assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr, result.stderr
    assert result.stderr.startswith("greeter: ") and result.stderr.rstrip().endswith(".")
    assert words in result.stderr
    assert str(path) in result.stderr
    assert (open_folder / "notes.txt").read_text() == "keep me"


def test_a_relative_path_in_a_removed_folder_is_one_sentence(tmp_path: Path) -> None:
    gone = tmp_path / "gone"
    gone.mkdir()
    # a shell whose current folder was removed under it, as after `rm -r` of the checkout one is in
    result = subprocess.run(
        [
            "sh",
            "-c",
            'cd "$1" && rmdir "$1" && exec "$2" --socket greeter.sock',
            "sh",
            str(gone),
            command_path("greeter"),
        ],
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 1, result.stderr
    assert result.stderr == (
        "greeter: the socket path greeter.sock is relative to the current folder, which no longer exists;"
        " give a full path.\n"
    )
