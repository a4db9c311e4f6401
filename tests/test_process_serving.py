"""The process model on a real Hypercorn: many waiting clients on one worker, graceful stop, several workers."""

from __future__ import annotations

import asyncio
import re
import signal
import time

import httpx
import pytest
from conftest import DOCS, GREETER_READY, KEEP_ALIVE_LIMITS, Server, StartServer, command_path, read_figures, scaled

CLIENT_TIMEOUT = httpx.Timeout(scaled(30.0))
GRACEFUL_TIMEOUT = 5.0  # hypercorn.toml's graceful_timeout


def many_connections(base_url: str, count: int) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=count, keepalive_expiry=KEEP_ALIVE_LIMITS.keepalive_expiry)
    return httpx.AsyncClient(base_url=base_url, timeout=CLIENT_TIMEOUT, limits=limits)


async def wait_until_in_flight(http: httpx.AsyncClient, count: int) -> None:
    for _ in range(200):
        if (await read_figures(http))["in_flight"] >= count:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"fewer than {count} requests ever in flight")


async def test_one_worker_serves_two_hundred_waiting_clients_at_once(greeter_server: Server) -> None:
    async with many_connections(greeter_server.base_url, 250) as http:
        started = time.monotonic()
        responses = await asyncio.gather(*(http.get("/wait/1") for _ in range(200)))
        elapsed = time.monotonic() - started
        assert [response.status_code for response in responses] == [200] * 200
        assert {response.text for response in responses} == {"Waited 1 second.\n"}
        figures = await read_figures(http)
    # they overlapped: one at a time would take 200 s; the server saw at least half of them at once
    assert figures["peak_in_flight"] >= 100, figures
    assert elapsed < 100, elapsed
    print(f"200 x /wait/1 on one worker: peak in flight {figures['peak_in_flight']}, {elapsed:.2f} s in all")


async def test_sigterm_lets_twenty_requests_in_flight_finish(greeter_server: Server) -> None:
    async with many_connections(greeter_server.base_url, 30) as http:
        waits = [asyncio.create_task(http.get("/wait/2")) for _ in range(20)]
        await wait_until_in_flight(http, 20)
        greeter_server.send(signal.SIGTERM)
        # said at once, not after seconds of silence that look like a hang (graceful_timeout is 5 s)
        greeter_server.wait_for(r"greeter: stopping; waiting up to 5 s for 20 requests in flight\.", timeout=1.5)
        responses = await asyncio.gather(*waits)
    assert [response.status_code for response in responses] == [200] * 20
    assert greeter_server.stop() == 0


async def test_sigterm_sends_every_stream_its_shutdown_event(greeter_server: Server) -> None:
    async with many_connections(greeter_server.base_url, 60) as http:
        streams_open = 0

        async def watch() -> str:
            nonlocal streams_open
            received = ""
            async with http.stream("GET", "/process/stream") as response:
                async for chunk in response.aiter_text():
                    if not received:
                        streams_open += 1
                    received += chunk
            return received

        watchers = [asyncio.create_task(watch()) for _ in range(50)]
        for _ in range(200):
            if streams_open == 50:
                break
            await asyncio.sleep(0.05)
        assert streams_open == 50
        signalled = time.monotonic()
        greeter_server.send(signal.SIGTERM)
        received = await asyncio.wait_for(asyncio.gather(*watchers), GRACEFUL_TIMEOUT * 2)
        status = greeter_server.stop()
        stopped_after = time.monotonic() - signalled
    assert all(
        text.rstrip().endswith('event: shutdown\ndata: {"reason": "the server is shutting down"}') for text in received
    )
    assert status == 0
    assert stopped_after < GRACEFUL_TIMEOUT, stopped_after
    print(f"SIGTERM with 50 open streams: every stream told, exit 0 after {stopped_after:.2f} s")


async def test_serving_log_ends_with_requests_and_uptime(greeter_server: Server) -> None:
    async with httpx.AsyncClient(
        limits=KEEP_ALIVE_LIMITS, base_url=greeter_server.base_url, timeout=CLIENT_TIMEOUT
    ) as http:
        for _ in range(3):
            await http.get("/")
        pid = (await read_figures(http))["pid"]
    assert greeter_server.stop() == 0
    last_line = greeter_server.stderr_path.read_text().strip().splitlines()[-1]
    assert re.search(rf"greeter: process {pid} served 4 requests in \d\d:\d\d:\d\d$", last_line), last_line
    # the docs quote this line as it is printed, Hypercorn's log prefix included: the same but for the numbers
    pages = " ".join(page.read_text() for page in (DOCS / "serving.md", DOCS / "production.md"))
    quoted = re.findall(r"`([^`]*greeter: process \d+ served \d+ requests in [^`]*)`", " ".join(pages.split()))
    assert len(quoted) >= 2  # the long-running process (serving.md), and Production's logs
    assert {re.sub(r"\d+", "0", line) for line in quoted} == {re.sub(r"\d+", "0", last_line)}, quoted


@pytest.mark.parametrize("flags", [[], ["--workers", "2"]], ids=["alone", "workers"])
def test_a_greeter_that_answered_nothing_ends_with_its_summary_too(start_server: StartServer, flags: list[str]) -> None:
    # Hypercorn's loggers are made as a worker starts (greeter/server/serving_loop.py), not by a first request;
    # under the supervisor the one line is its own, for the whole run (greeter/server/run_ledger.py)
    server = start_server([command_path("greeter"), "0", *flags], GREETER_READY)
    time.sleep(1.0)  # every worker serving: the log is theirs to say, not a request's to open
    assert server.stop() == 0
    served = re.findall(r"greeter: process (\d+) served 0 requests in \d\d:\d\d:\d\d", server.output())
    assert served == [str(server.process.pid)], server.output()


async def test_each_worker_has_its_own_figures(start_server: StartServer) -> None:
    server = start_server([command_path("greeter"), "0", "--workers", "2"], GREETER_READY)
    pids: set[int] = set()
    asked = 1
    async with httpx.AsyncClient(limits=KEEP_ALIVE_LIMITS, base_url=server.base_url, timeout=CLIENT_TIMEOUT) as http:
        page = (await http.get("/process/")).text
        assert "each process has its own memory" in page
        # the kernel hands each new connection to whichever worker accepts first: soon both have answered
        for _ in range(200):
            pids.add((await read_figures(http))["pid"])
            asked += 1
            if len(pids) == 2:
                break
    assert len(pids) == 2
    assert server.process.pid not in pids  # the supervisor serves nothing itself
    assert server.stop() == 0
    # one stop line for the run, greeter's own (the banner's pid), summing both workers' requests
    served = re.findall(r"greeter: process (\d+) served (\d+) requests? in", server.output())
    assert served == [(str(server.process.pid), str(asked))], server.output()


async def test_debug_flag_reaches_every_worker(start_server: StartServer) -> None:
    server = start_server([command_path("greeter"), "0", "--debug", "--workers", "2"], GREETER_READY)
    async with httpx.AsyncClient(limits=KEEP_ALIVE_LIMITS, base_url=server.base_url, timeout=CLIENT_TIMEOUT) as http:
        assert (await read_figures(http))["debug"] is True
        assert "<td>debug</td>" in (await http.get("/process/")).text
    assert server.stop() == 0
