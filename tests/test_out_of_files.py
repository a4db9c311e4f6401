"""Out of file descriptors (`ulimit -n 64`, then more connections than that): one line in the serving log saying
what it means and what to do, not a traceback per failed accept nor silence; served on once they free up
(greeter/server/out_of_files.py). On both event loops: asyncio logs each failed accept, uvloop none."""

from __future__ import annotations

import re
import socket
import time
from pathlib import Path

import httpx
import pytest
from conftest import GREETER_READY, REPO_ROOT, StartServer, command_path, scaled

LIMIT = 64  # descriptors greeter may open
CONNECTIONS = 100  # past the limit
LOG_PREFIX = r"\[[^]]+\] \[\d+\] \[ERROR\] "
OUT_OF_FILES = (
    r"greeter: out of file descriptors: all 64 this process may open \(ulimit -n\) are in use, so new connections"
    r" wait or are closed unanswered; each connection and each open /process/ page holds one\. Raise the limit"
    r" \(`ulimit -n 65536` before greeter, LimitNOFILE= in a systemd unit\), or look at what holds them:"
    r" `ls -l /proc/\d+/fd`\."
)
HELD = 2.0  # seconds the connections stay open after the line: time for a flood of lines, if it came


@pytest.mark.parametrize("worker_class", ["uvloop", "asyncio"])
def test_out_of_file_descriptors_is_one_line_and_serving_goes_on(
    start_server: StartServer, tmp_path: Path, worker_class: str
) -> None:
    config = tmp_path / "hypercorn.toml"
    shipped = (REPO_ROOT / "hypercorn.toml").read_text()
    config.write_text(re.sub(r'(?m)^worker_class = ".*"$', f'worker_class = "{worker_class}"', shipped))
    # the soft and the hard limit both, as `ulimit -n` sets them: greeter raises only the soft one to the hard
    argv = ["bash", "-c", f'ulimit -n {LIMIT} && exec "$@"', "-", command_path("greeter"), "0", "--config", str(config)]
    server = start_server(argv, GREETER_READY)
    host, port = server.address
    connections = []
    try:
        for _ in range(CONNECTIONS):
            connections.append(socket.create_connection((host, port), timeout=scaled(5)))
        server.wait_for(OUT_OF_FILES, timeout=scaled(10))
        time.sleep(HELD)
    finally:
        for connection in connections:
            connection.close()
    printed = [line for line in server.output().splitlines() if re.fullmatch(LOG_PREFIX + OUT_OF_FILES, line)]
    assert len(printed) == 1, server.output()
    assert "Traceback" not in server.output() and "out of system resource" not in server.output()
    # the server's ends of those connections close as it reads their end; then it accepts again
    deadline = time.monotonic() + scaled(20)
    while True:
        try:
            answer = httpx.get(server.base_url + "/", timeout=scaled(3))
            break
        except httpx.HTTPError:
            assert time.monotonic() < deadline, server.output()
            time.sleep(0.2)
    assert answer.text == "Hello World!"
    assert server.stop() == 0, server.output()
    quoted = (REPO_ROOT / "docs" / "serving.md").read_text()
    assert re.search(r"(?m)^" + LOG_PREFIX + OUT_OF_FILES + "$", quoted), "serving.md quotes the line as printed"
