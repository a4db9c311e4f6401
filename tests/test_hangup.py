"""SIGHUP, what a closed terminal sends: greeter drains and stops as on SIGTERM, says so, and removes its socket file.

Its default action would kill greeter at once: requests in flight cut off, no summary line, the Unix socket's file
left behind for the course's web server to find dead. These tests send it as a shell does when its terminal
closes (to the whole process group), and close a real terminal (a pty) under greeter.
"""

from __future__ import annotations

import asyncio
import os
import re
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from conftest import (
    GREETER_READY,
    KEEP_ALIVE_LIMITS,
    STARTUP_TIMEOUT,
    STOP_TIMEOUT,
    UNIX_SOCKET_READY,
    StartServer,
    command_path,
    scaled,
    server_environment,
    spawned,
)

HTTP_TIMEOUT = scaled(10.0)
IN_FLIGHT = 10
HANGUP_LINE = "greeter: SIGHUP (the terminal closed, or kill -HUP): stopping gracefully, as on SIGTERM."
# the terminal's side, made the child's controlling terminal before greeter runs (exec keeps the pid: greeter is the
# session's leader, which the kernel sends SIGHUP when the terminal closes)
ON_A_TERMINAL = (
    "import fcntl, os, sys, termios; fcntl.ioctl(0, termios.TIOCSCTTY, 0); os.execv(sys.argv[1], sys.argv[1:])"
)


async def wait_in_flight(http: httpx.AsyncClient) -> list[asyncio.Task[httpx.Response]]:
    waits = [asyncio.create_task(http.get("/wait/1")) for _ in range(IN_FLIGHT)]
    await asyncio.sleep(0.3)  # sent; in flight when the signal comes, or just after (answered either way)
    return waits


def assert_all_waited(answers: list[httpx.Response]) -> None:
    assert [(answer.status_code, answer.text) for answer in answers] == [(200, "Waited 1 second.\n")] * IN_FLIGHT


@pytest.mark.parametrize("workers", ["1", "2"])
async def test_sighup_drains_and_stops_as_sigterm_does(start_server: StartServer, workers: str) -> None:
    server = start_server([command_path("greeter"), "0", "--workers", workers], GREETER_READY)
    async with httpx.AsyncClient(limits=KEEP_ALIVE_LIMITS, base_url=server.base_url, timeout=HTTP_TIMEOUT) as http:
        waits = await wait_in_flight(http)
        os.killpg(server.process.pid, signal.SIGHUP)  # as a shell sends it to its jobs when its terminal closes
        server.signalled = True
        answers = await asyncio.gather(*waits)
    assert server.stop() == 0
    assert_all_waited(answers)
    output = server.output()
    assert HANGUP_LINE in output.splitlines()
    # one summary line: the worker's serving alone, else the supervisor's for the whole run
    assert re.findall(r"greeter: process (\d+) served", output) == [str(server.process.pid)], output
    assert "Traceback" not in output


@pytest.mark.parametrize("workers", ["1", "2"])
async def test_sighup_on_a_socket_removes_its_file(start_server: StartServer, tmp_path: Path, workers: str) -> None:
    path = tmp_path / "greeter.sock"
    server = start_server([command_path("greeter"), "--socket", str(path), "--workers", workers], UNIX_SOCKET_READY)
    transport = httpx.AsyncHTTPTransport(uds=str(path))
    async with httpx.AsyncClient(
        transport=transport, limits=KEEP_ALIVE_LIMITS, base_url="http://localhost", timeout=HTTP_TIMEOUT
    ) as http:
        waits = await wait_in_flight(http)
        server.send(signal.SIGHUP)
        answers = await asyncio.gather(*waits)
    assert server.stop() == 0
    assert_all_waited(answers)
    assert not path.exists()
    assert HANGUP_LINE in server.output().splitlines()


class Terminal:
    """The terminal's own end of a pty: what greeter prints arrives here, and closing it is the terminal closing."""

    def __init__(self, fd: int) -> None:
        self.fd: int | None = fd

    def read_until(self, text: bytes, timeout: float = STARTUP_TIMEOUT) -> bytes:
        assert self.fd is not None
        seen = b""
        deadline = time.monotonic() + timeout
        while text not in seen:
            assert time.monotonic() < deadline, seen
            if select.select([self.fd], [], [], 0.1)[0]:
                seen += os.read(self.fd, 65536)
        return seen

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


@contextmanager
def on_a_terminal(argv: list[str]) -> Iterator[tuple[subprocess.Popen[bytes], Terminal]]:
    """argv run on a terminal of its own (a pty) as its session's leader, as a login shell runs what one types."""
    ours, theirs = os.openpty()
    terminal = Terminal(ours)
    try:
        with spawned(
            [sys.executable, "-c", ON_A_TERMINAL, *argv],
            stdin=theirs,
            stdout=theirs,
            stderr=theirs,
            env=server_environment(),
        ) as process:
            os.close(theirs)
            yield process, terminal
    finally:
        terminal.close()


@pytest.mark.parametrize("mode", [[], ["--reload"]], ids=["plain", "reload"])
async def test_a_closed_terminal_drains_and_removes_the_socket(tmp_path: Path, mode: list[str]) -> None:
    path = tmp_path / "greeter.sock"
    with on_a_terminal([command_path("greeter"), "--socket", str(path), *mode]) as (process, terminal):
        terminal.read_until(b"serving unix:")
        if mode:
            terminal.read_until(b"reloading when a file changes")
        transport = httpx.AsyncHTTPTransport(uds=str(path))
        async with httpx.AsyncClient(
            transport=transport, limits=KEEP_ALIVE_LIMITS, base_url="http://localhost", timeout=HTTP_TIMEOUT
        ) as http:
            assert (await http.get("/")).status_code == 200  # a worker serves
            waits = await wait_in_flight(http)
            terminal.close()  # the terminal closes: its window, or the SSH session, is gone
            answers = await asyncio.gather(*waits)
        status = await asyncio.to_thread(process.wait, STOP_TIMEOUT)
    assert status == 0  # every line greeter said after the close went nowhere, and failed nothing
    assert_all_waited(answers)
    assert not path.exists()
