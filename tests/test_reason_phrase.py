"""The docs' claim about the reason phrase, checked: Hypercorn sends none, Werkzeug does, and `h2load --h1` counts
only the answers with one as succeeded. If Hypercorn ever sends the phrase, this fails: update docs/comparing.md
and docs/students.md."""

from __future__ import annotations

import re
import socket
import subprocess

import pytest
from conftest import GREETER_READY, RUNNING_ON, StartServer, command_path, require_tool

REQUESTS = 20


def status_line(host: str, port: int) -> bytes:
    with socket.create_connection((host, port), timeout=10) as connection:
        connection.sendall(f"GET / HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n".encode())
        return connection.makefile("rb").readline()


def h2load_succeeded(url: str) -> int:
    h2load = require_tool("h2load", "apt-get install nghttp2-client")
    done = subprocess.run(
        [h2load, "--h1", "-n", str(REQUESTS), "-c", "2", url], capture_output=True, text=True, timeout=60
    )
    found = re.search(r"(\d+) succeeded", done.stdout)
    assert found, done.stdout + done.stderr
    return int(found.group(1))


@pytest.mark.parametrize(
    ("argv", "ready", "line", "succeeded"),
    [
        ([command_path("greeter"), "0"], GREETER_READY, b"HTTP/1.1 200 \r\n", 0),
        (
            [command_path("flask"), "--app", "greeter.flask_twin", "run", "--port", "0"],
            RUNNING_ON,
            b"HTTP/1.1 200 OK\r\n",
            REQUESTS,
        ),
    ],
    ids=["greeter", "flask-run"],
)
def test_the_reason_phrase_and_h2load(
    start_server: StartServer, argv: list[str], ready: str, line: bytes, succeeded: int
) -> None:
    server = start_server(argv, ready)
    host, port = server.address
    assert status_line(host, port) == line
    assert h2load_succeeded(f"http://{host}:{port}/") == succeeded
