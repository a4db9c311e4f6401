"""Nothing is lost on a reload or a stop: a client that counts each request it sent on kept-alive connections, on raw
sockets and with no retries, sees every one answered through ten edits under `--reload`, and through SIGTERM and
SIGHUP with `--workers 2` (docs/serving.md quotes the figures these tests print: `pytest -s`).

A request is lost when its bytes were written on an open connection and the server closed it (an end of file or
a reset) before a whole answer: a browser or a script sees "Server disconnected without sending a response". A
connection closed while idle is not a loss: the client looks (MSG_PEEK) before it writes, and reconnects.
"""

from __future__ import annotations

import asyncio
import inspect
import random
import re
import signal
import socket
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import h11
import pytest
from conftest import GREETER_READY, STOP_TIMEOUT, StartServer, command_path, copy_of_the_package, scaled
from hypercorn.asyncio.lifespan import Lifespan
from hypercorn.asyncio.tcp_server import TCPServer
from hypercorn.asyncio.worker_context import WorkerContext
from hypercorn.protocol import ProtocolWrapper
from hypercorn.protocol.h2 import H2Protocol
from hypercorn.protocol.h11 import H2CProtocolRequiredError, H2ProtocolAssumedError, H11Protocol

from greeter.server.closing_connection import LINGER_SECONDS
from greeter.shared.paths import HYPERCORN_TOML

ANSWER_TIMEOUT = scaled(30.0)  # a request unanswered this long is a loss too (a generous bound, for a loaded machine)
CONNECTIONS = 20
THINK_SECONDS = 0.02  # the longest pause of a client between two requests: busier than any person
WAIT_SHARE = 0.1  # the share of /wait/0.2, so that some requests are in flight when the stop comes
LOAD_BEFORE_STOP = 1.5
REFUSED_FOR = 1.0  # the client ends once the server has refused its connections this long (it has gone)
EDITS = 10
SERVED_WITHIN = 20.0  # an edit is served within this (a bound for an outage, not a measure)
HEAD_END = b"\r\n\r\n"
CONTENT_LENGTH = re.compile(rb"(?im)^content-length:\s*(\d+)\s*$")
CONNECTION_CLOSE = re.compile(rb"(?im)^connection:\s*close\s*$")


@dataclass
class Tally:
    """What the counting client saw, request by request."""

    counts: Counter[str] = field(default_factory=Counter)
    lost: list[str] = field(default_factory=list)  # how each lost request was lost, and on which path

    def summary(self) -> str:
        keys = ("sent", "answered", "told_to_close", "idle_closed", "refused", "connects")
        return ", ".join(f"{key} {self.counts[key]}" for key in keys) + f", lost {len(self.lost)}"


class Lost(Exception):
    """The server closed a connection on a request it had been sent, before a whole answer."""


async def read_answer(loop: asyncio.AbstractEventLoop, sock: socket.socket) -> bytes:
    """The head of one whole answer (its body read and checked for length); raises Lost."""
    buffer = bytearray()
    head: bytes | None = None
    length = 0
    async with asyncio.timeout(ANSWER_TIMEOUT):
        while head is None or len(buffer) < length:
            if head is None and (end := buffer.find(HEAD_END)) >= 0:
                head = bytes(buffer[: end + len(HEAD_END)])
                found = CONTENT_LENGTH.search(head)
                assert found is not None, head
                length = int(found[1])
                del buffer[: end + len(HEAD_END)]
                continue
            try:
                chunk = await loop.sock_recv(sock, 65536)
            except (ConnectionResetError, BrokenPipeError):
                raise Lost("reset") from None
            if not chunk:
                raise Lost("end of file in the answer" if head or buffer else "end of file")
            buffer += chunk
    assert len(buffer) == length, f"bytes past the answer: {bytes(buffer[length:])!r}"
    return head


def closed_while_idle(sock: socket.socket) -> bool:
    """Whether the server has closed this idle connection (an end of file or a reset waiting to be read)."""
    try:
        data = sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
    except BlockingIOError:
        return False
    except ConnectionResetError:
        return True
    assert data == b"", f"bytes the client did not ask for: {data!r}"
    return True


async def one_client(number: int, address: tuple[str, int], until: list[float], tally: Tally) -> None:
    """One connection after another, each sending requests back to back until the server says Connection: close,
    closes it while idle, or `until` passes; a refused connection is tried again shortly."""
    loop = asyncio.get_running_loop()
    chance = random.Random(number)
    refused_since: float | None = None
    while loop.time() < until[0]:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setblocking(False)
        try:
            async with asyncio.timeout(ANSWER_TIMEOUT):
                await loop.sock_connect(sock, address)
        except OSError:  # refused (or its attempt dropped): the server has stopped, or is stopping
            sock.close()
            tally.counts["refused"] += 1
            refused_since = loop.time() if refused_since is None else refused_since
            if loop.time() - refused_since > REFUSED_FOR:
                return
            await asyncio.sleep(0.01)
            continue
        refused_since = None
        tally.counts["connects"] += 1
        try:
            while loop.time() < until[0]:
                await asyncio.sleep(chance.choice((0.0, chance.uniform(0, THINK_SECONDS))))
                if closed_while_idle(sock):
                    tally.counts["idle_closed"] += 1
                    break
                path = "/wait/0.2" if chance.random() < WAIT_SHARE else "/"
                try:
                    sock.send(f"GET {path} HTTP/1.1\r\nHost: {address[0]}:{address[1]}\r\n\r\n".encode())
                except (BrokenPipeError, ConnectionResetError):  # the write failed: the request never left
                    tally.counts["idle_closed"] += 1
                    break
                tally.counts["sent"] += 1
                try:
                    head = await read_answer(loop, sock)
                except Lost as lost:
                    tally.lost.append(f"{lost} on {path}")
                    break
                except TimeoutError:
                    tally.lost.append(f"no answer within {ANSWER_TIMEOUT} s on {path}")
                    break
                assert head.startswith(b"HTTP/1.1 200 "), head
                tally.counts["answered"] += 1
                if CONNECTION_CLOSE.search(head):  # the server said it: this connection ends here
                    tally.counts["told_to_close"] += 1
                    break
        finally:
            sock.close()


async def counting_clients(address: tuple[str, int], until: list[float]) -> Tally:
    """CONNECTIONS clients at once, until `until[0]` (which the caller may move) or the server has gone."""
    tally = Tally()
    await asyncio.gather(*(one_client(number, address, until, tally) for number in range(CONNECTIONS)))
    return tally


def fetch(address: tuple[str, int], path: str = "/") -> bytes | None:
    """GET on a new connection that closes after it: the body of a 200, or None."""
    try:
        with socket.create_connection(address, timeout=STOP_TIMEOUT) as sock:
            sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
    except OSError:
        return None
    head, _, body = data.partition(HEAD_END)
    return body if head.startswith(b"HTTP/1.1 200 ") else None


async def served(address: tuple[str, int], text: bytes) -> float:
    """Seconds until GET / says `text`."""
    started = time.monotonic()
    while time.monotonic() - started < SERVED_WITHIN:
        body = await asyncio.to_thread(fetch, address)
        if body is not None and text in body:
            return time.monotonic() - started
        await asyncio.sleep(0.02)
    pytest.fail(f"{text!r} not served within {SERVED_WITHIN} s")


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A copy of the package and templates: `python -m greeter` run in it serves it, and --reload watches it."""
    return copy_of_the_package(tmp_path)


async def test_ten_edits_under_reload_lose_no_request(start_server: StartServer, checkout: Path) -> None:
    server = start_server([sys.executable, "-m", "greeter", "0", "--reload"], GREETER_READY, cwd=checkout)
    views = checkout / "greeter" / "views.py"
    original = views.read_text()
    await served(server.address, b"Hello World!")
    until = [asyncio.get_running_loop().time() + 3600]
    clients = asyncio.create_task(counting_clients(server.address, until))
    await asyncio.sleep(LOAD_BEFORE_STOP)
    took = []
    for number in range(1, EDITS + 1):
        views.write_text(original.replace('"Hello World!"', f'"Hello World! edit {number}"', 1))
        took.append(await served(server.address, f"Hello World! edit {number}".encode()))
        await asyncio.sleep(random.uniform(0.3, 0.8))  # out of step with the watcher's look at the files
    await asyncio.sleep(LOAD_BEFORE_STOP)
    until[0] = 0.0
    tally = await asyncio.wait_for(clients, ANSWER_TIMEOUT * 2)
    print(f"ten edits under --reload: {tally.summary()}; each edit served in {max(took):.2f} s at most")
    assert tally.lost == [], tally.summary()
    assert tally.counts["refused"] == 0  # the socket never closes while workers come and go
    assert tally.counts["told_to_close"] >= EDITS  # each old worker said so on its last answers
    assert tally.counts["answered"] > 100 * EDITS
    assert server.stop() == 0
    assert "Traceback" not in server.output()


@pytest.mark.parametrize("signal_number", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
async def test_a_stop_with_two_workers_loses_no_request(start_server: StartServer, signal_number: int) -> None:
    server = start_server([command_path("greeter"), "0", "--workers", "2"], GREETER_READY)
    await served(server.address, b"Hello World!")
    clients = asyncio.create_task(counting_clients(server.address, [asyncio.get_running_loop().time() + 3600]))
    await asyncio.sleep(LOAD_BEFORE_STOP)
    started = time.monotonic()
    server.send(signal_number)  # to the supervisor alone, as systemd's KillMode=mixed and `kill` do
    status = await asyncio.to_thread(server.stop)
    stopped_after = time.monotonic() - started
    tally = await asyncio.wait_for(clients, ANSWER_TIMEOUT * 2)
    print(f"{signal.Signals(signal_number).name}, --workers 2: {tally.summary()}; exit 0 in {stopped_after:.2f} s")
    assert status == 0, server.output()
    assert tally.lost == [], tally.summary()
    assert tally.counts["told_to_close"] > 0 and tally.counts["answered"] > 100
    output = server.output()
    assert "Traceback" not in output
    # one summary for the run, greeter's own (the banner's pid), summing both workers' requests
    [(pid, count)] = re.findall(r"greeter: process (\d+) served (\d+) requests? in", output)
    assert int(pid) == server.process.pid and int(count) >= tally.counts["answered"], output


def test_an_idle_connection_ends_with_a_clean_close_after_its_linger(start_server: StartServer) -> None:
    server = start_server([command_path("greeter"), "0"], GREETER_READY)
    with socket.create_connection(server.address, timeout=STOP_TIMEOUT) as idle:
        idle.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        answer = b""
        while HEAD_END not in answer or not answer.endswith(b"Hello World!"):
            answer += idle.recv(65536)
        answered = time.monotonic()
        assert not CONNECTION_CLOSE.search(answer)  # kept alive: the server was not stopping then
        server.send(signal.SIGTERM)
        # the end of file, not a reset: the FIN came first, with nothing unread on either side
        assert idle.recv(65536) == b""
        idle_for = time.monotonic() - answered
    assert server.stop() == 0
    # not at once: a client idle for less than the linger may be about to send, and would be answered
    assert LINGER_SECONDS * 0.9 <= idle_for < STOP_TIMEOUT


def test_a_request_past_the_graceful_timeout_is_cut_off_with_a_500(start_server: StartServer, tmp_path: Path) -> None:
    config = tmp_path / "hypercorn.toml"
    config.write_text(re.sub(r"(?m)^graceful_timeout = .*$", "graceful_timeout = 1", HYPERCORN_TOML.read_text()))
    server = start_server([command_path("greeter"), "0", "--config", str(config)], GREETER_READY)
    with socket.create_connection(server.address, timeout=STOP_TIMEOUT) as waiting:
        waiting.sendall(b"GET /wait/8 HTTP/1.1\r\nHost: x\r\n\r\n")
        time.sleep(0.5)  # in flight, or about to be: cut off at the same moment either way
        started = time.monotonic()
        server.send(signal.SIGTERM)
        answer = b""
        while chunk := waiting.recv(65536):
            answer += chunk
        cut_after = time.monotonic() - started
    assert answer.startswith(b"HTTP/1.1 500 "), answer
    assert answer.endswith(HEAD_END)  # no body
    assert 0.9 < cut_after < STOP_TIMEOUT
    assert server.stop() == 0
    assert "Traceback" not in server.output()


def test_the_hypercorn_internals_greeter_stops_with_are_still_there() -> None:
    """greeter/server/serving_loop.py and closing_connection.py run Hypercorn's own pieces in a loop of greeter's;
    they rely on these, named in their docstrings. A Hypercorn release that changes one fails here, loudly."""
    assert _hypercorn_version().startswith("0.18."), _hypercorn_version()  # pyproject.toml pins it
    server_init = inspect.signature(TCPServer.__init__).parameters
    assert list(server_init) == ["self", "app", "loop", "config", "context", "state", "reader", "writer"]
    for method in ("_idle_timeout", "_read_data", "_close", "protocol_send", "run"):
        assert inspect.iscoroutinefunction(getattr(TCPServer, method)), method
    init_source = inspect.getsource(TCPServer.__init__)
    for attribute in ("self.reader", "self.writer", "self.loop", "self.config", "self.idle_task", "self.protocol"):
        assert attribute in init_source, attribute
    assert "context.terminated" in inspect.getsource(TCPServer._idle_timeout)  # the wait greeter replaces
    assert "Updated(idle=" in inspect.getsource(H11Protocol._handle_events)  # a request cancels the idle task
    assert "self.stream" in inspect.getsource(H11Protocol.__init__)
    assert hasattr(h11.Connection, "trailing_data")
    h2_init = inspect.getsource(H2Protocol.__init__)
    assert all(name in h2_init for name in ("self.connection", "self.streams", "self.closed"))
    assert list(inspect.signature(Lifespan.__init__).parameters) == ["self", "app", "config", "loop", "lifespan_state"]
    for method in ("handle_lifespan", "wait_for_startup", "wait_for_shutdown"):
        assert inspect.iscoroutinefunction(getattr(Lifespan, method)), method
    context = WorkerContext(None)
    assert hasattr(context.terminate, "wait") and hasattr(context.terminated, "set")
    # greeter/server/h2c_upgrade.py: the switch to HTTP/2 as ProtocolWrapper.handle makes it, the send task first
    wrapper_init = inspect.getsource(ProtocolWrapper.__init__)
    for name in ("app", "config", "context", "task_group", "state", "ssl", "client", "server", "send"):
        assert f"self.{name} = " in wrapper_init, name
    assert list(inspect.signature(H2Protocol.__init__).parameters) == [
        "self", "app", "config", "context", "task_group", "connection_state", "ssl", "client", "server", "send"
    ]  # fmt: skip
    assert list(inspect.signature(H2Protocol.initiate).parameters) == ["self", "headers", "settings"]
    assert "self.task_group.spawn(self.send_task)" in inspect.getsource(H2Protocol.initiate)
    for method in ("_create_stream", "stream_send"):
        assert inspect.iscoroutinefunction(getattr(H2Protocol, method)), method
    upgrade_required = inspect.getsource(H2CProtocolRequiredError)
    assert all(name in upgrade_required for name in ("self.data", "self.headers", "self.settings"))
    assert "self.data" in inspect.getsource(H2ProtocolAssumedError)


def _hypercorn_version() -> str:
    from importlib.metadata import version

    return version("hypercorn")
