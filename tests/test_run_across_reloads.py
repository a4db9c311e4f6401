"""Under --reload each save starts a new worker: /process/ says which worker this is, since when and why it is new,
and greeter's own pid, uptime and requests; the stop line sums the whole run, not the last worker's requests
(greeter/shared/run_facts.py, greeter/server/run_ledger.py).

Served from a student's copy of the package (conftest.copy_of_the_package), so the test may edit its views.py.
"""

from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path

import httpx
from conftest import GREETER_READY, REPO_ROOT, StartServer, copy_of_the_package, scaled
from flask.testing import FlaskClient

from greeter.server.run_ledger import RunLedger

RUN = re.compile(r'<p data-figure="run">([^<]*)</p>')
SENTENCE = (
    r"Worker 1 \(pid (?P<worker>\d+)\) started \d+ s ago (?P<why>when greeter started|after a reload);"
    r" greeter itself, pid (?P<greeter>\d+), has run for (?:\d+ s|1 minute|\d+ minutes)"
    r" and served (?P<served>\d+) requests?\."
)
RELOADED_WITHIN = scaled(15)


def test_the_page_and_the_stop_line_speak_for_the_whole_run(start_server: StartServer, tmp_path: Path) -> None:
    checkout = copy_of_the_package(tmp_path)
    argv = [sys.executable, "-m", "greeter", "0", "--reload"]
    server = start_server(argv, GREETER_READY, env={"PYTHONPATH": str(checkout)}, cwd=checkout)
    asked = 0

    def run_sentence() -> re.Match[str]:
        nonlocal asked
        page = httpx.get(server.base_url + "/process/", timeout=scaled(10), headers={"Connection": "close"})
        asked += 1
        found = RUN.search(page.text)
        assert found is not None, page.text
        match = re.fullmatch(SENTENCE, found[1])
        assert match is not None, found[1]
        return match

    for _ in range(3):
        assert httpx.get(server.base_url + "/", timeout=scaled(10)).text == "Hello World!"
        asked += 1
    first = run_sentence()
    assert first["why"] == "when greeter started"
    assert (int(first["greeter"]), int(first["served"])) == (server.process.pid, asked)

    with (checkout / "greeter" / "views.py").open("a") as views:
        views.write("\n# saved again\n")
    deadline = time.monotonic() + RELOADED_WITHIN
    while (now := run_sentence())["worker"] == first["worker"]:
        assert time.monotonic() < deadline, server.output()
        time.sleep(0.1)
    assert now["why"] == "after a reload"
    # the new worker's page counts the old worker's requests too, and its own
    assert (int(now["greeter"]), int(now["served"])) == (server.process.pid, asked)

    assert server.stop() == 0
    served = re.findall(r"greeter: process (\d+) served (\d+) requests? in", server.output())
    assert served == [(str(server.process.pid), str(asked))], server.output()  # one line, the whole run's
    # Serving quotes the sentence as the page says it, numbers aside
    quoted = re.findall(r"^\s*> (Worker .*)$", (REPO_ROOT / "docs" / "serving.md").read_text(), re.M)
    assert [re.sub(r"\d+", "0", line) for line in quoted] == [re.sub(r"\d+", "0", now.string)], quoted


def test_a_process_on_its_own_and_the_twin_say_no_more(flask_client: FlaskClient, start_server: StartServer) -> None:
    server = start_server([sys.executable, "-m", "greeter", "0"], GREETER_READY)
    assert 'data-figure="run"' not in httpx.get(server.base_url + "/process/", timeout=scaled(10)).text
    assert 'data-figure="run"' not in flask_client.get("/process/").get_data(as_text=True)


def test_a_forked_worker_counts_into_the_supervisors_ledger() -> None:
    # the counts are a shared page the fork inherits (no multiprocessing): the child's store is the parent's sum
    ledger = RunLedger()
    facts = ledger.facts_for(1)
    pid = os.fork()
    if pid == 0:
        facts.count(7)
        os._exit(0)
    assert os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0
    assert facts.run_served() == 7
    ledger.gone(facts)
    again = ledger.facts_for(1)
    assert (again.why, again.run_served()) == ("after a reload", 7)  # gone workers' requests stay in the run
    assert re.fullmatch(rf"greeter: process {os.getpid()} served 7 requests in 00:00:0\d", ledger.stop_line())
