"""`greeter compare`: the corpus, the verdicts, the intended differences, and that a real difference fails it."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
from collections.abc import Awaitable, Callable

import pytest
from click.testing import CliRunner
from conftest import DOCS, command_path, scaled
from flask import Flask
from quart import Quart

from greeter import cli
from greeter.flask_twin import create_flask_app
from greeter.flask_twin import process as twin_process
from greeter.tools.compare.case import ALL_METHODS, Case
from greeter.tools.compare.comparison import Comparison, compare_in_process
from greeter.tools.compare.corpus import load_corpus
from greeter.tools.compare.differences import differences_markdown
from greeter.tools.compare.http_client import fetch_over_http
from greeter.tools.compare.verdict import Verdict
from greeter.tools.servers import server_environment

CORPUS = load_corpus()
CASES = CORPUS.cases
RAW_CASES = [case for case in CASES if case.raw]  # over real servers only: every one a difference of the servers
ROUTES = ["/", "/index", "/hello", "/hello/", "/hello/Scott", "/hail/", "/greet/", "/process/", "/wait/0"]
# what the Quart app answers differently on purpose, and nothing else
INTENDED_CASES = {("GET", "/process/"), ("HEAD", "/process/")} | {(method, "/process/stream") for method in ALL_METHODS}
COMPARE_TIMEOUT = scaled(120.0)


def verdicts(comparison: Comparison) -> dict[tuple[str, str], Verdict]:
    return {(outcome.case.method, outcome.case.target): outcome.verdict for outcome in comparison.outcomes}


def mismatches(comparison: Comparison) -> dict[tuple[str, str], str]:
    return {
        (outcome.case.method, outcome.case.target): outcome.diff
        for outcome in comparison.outcomes
        if outcome.verdict is Verdict.MISMATCH
    }


def test_the_corpus_covers_what_users_send() -> None:
    targets = {case.target for case in CASES}
    assert len(CASES) >= 100
    assert len(set(CASES)) == len(CASES)  # no request twice
    for route in ROUTES:
        assert {case.method for case in CASES if case.target == route} == set(ALL_METHODS), route
    for fragment in ["%C3%A9", "%E2%82%AC", "%F0%9F%98%80", "%20", "%2F", "%00", "%FF", "%ZZ", "%3Cscript%3E", ".."]:
        assert any(fragment in target for target in targets), fragment
    assert any(len(target) > 3000 for target in targets)
    assert {
        "/HELLO/",
        "//hello/",
        "/hello//Scott",
        "/nope",
        "/hello?x=1",
        "/wait/abc",
        "/wait/-1",
        "/wait/11",
    } <= targets


async def test_the_whole_corpus_in_process(app: Quart, flask_app: Flask) -> None:
    comparison = await compare_in_process(CORPUS, flask_app, app)
    assert mismatches(comparison) == {}
    intended = {case for case, verdict in verdicts(comparison).items() if verdict is Verdict.INTENDED}
    assert intended == INTENDED_CASES
    # every intended difference is one a request of the corpus shows: none is stale (those of raw requests are
    # seen over real servers: test_real_servers)
    seen = {outcome.intended for outcome in comparison.outcomes if outcome.intended}
    assert seen == {difference for difference in CORPUS.intended if difference.path is not None}
    assert len(comparison.outcomes) == len(CASES) - len(RAW_CASES)
    assert comparison.corpus.notes == (
        f"{len(RAW_CASES)} raw request(s): bytes sent on a socket need real servers (over HTTP)",
    )


def _replace_view(some_app: Flask | Quart, endpoint: str, view: Callable[..., str | Awaitable[str]]) -> None:
    """Swap one view for a broken copy: the comparison must notice."""
    views: dict[str, Callable[..., object]] = some_app.view_functions  # type: ignore[assignment]
    views[endpoint] = view


async def test_a_twin_view_that_does_not_escape_is_a_mismatch(app: Quart, flask_app: Flask) -> None:
    _replace_view(flask_app, "greetings.custom_greeting", lambda name: f"Hello {name}, nice to meet you!")
    found = mismatches(await compare_in_process(CORPUS, flask_app, app))
    script = ("GET", "/hello/%3Cscript%3Ealert(1)")
    assert script in found
    assert re.fullmatch(r"body \(\d+ → \d+ bytes\) differs at byte 6: .*<script>.* → .*&lt;script&gt;.*", found[script])
    assert ("GET", "/hello/Scott") not in found  # a name without markup is still the same


async def test_a_changed_quart_view_is_a_mismatch(app: Quart, flask_app: Flask) -> None:
    async def shorter_hail() -> str:
        return "<h1>Hail</h1>"

    _replace_view(app, "greetings.hail", shorter_hail)
    found = mismatches(await compare_in_process(CORPUS, flask_app, app))
    # a HEAD answer differs in its Content-Length
    assert set(found) == {(case.method, case.target) for case in CASES if case.path == "/hail/" and
                          case.method in ("GET", "HEAD")}  # fmt: skip
    assert found[("GET", "/hail/")].startswith("body (")
    assert found[("HEAD", "/hail/")] == (
        "other headers: flask only {content-length: 73}, quart only {content-length: 13}"
    )


async def test_an_intended_difference_hides_no_other(app: Quart, flask_app: Flask) -> None:
    page = twin_process.process_page
    _replace_view(flask_app, "process.process_page", lambda: page().replace("production", "debug"))
    found = mismatches(await compare_in_process(CORPUS, flask_app, app))
    assert list(found) == [("GET", "/process/")]
    assert "production" in found[("GET", "/process/")]


def test_the_comparing_page_lists_the_intended_differences() -> None:
    page = (DOCS / "comparing.md").read_text()
    assert f"corpus of {len(CASES)} requests" in page
    section = re.search(r"<!-- differences: begin -->\n(.*)<!-- differences: end -->", page, flags=re.DOTALL)
    assert section is not None
    expected = differences_markdown(CORPUS.intended, CORPUS.masks, CORPUS.cases)
    assert section.group(1) == expected, "update it: greeter compare --differences"


def test_real_servers() -> None:
    done = subprocess.run(
        [command_path("greeter"), "compare", "--json"], capture_output=True, text=True, timeout=COMPARE_TIMEOUT
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr
    report = json.loads(done.stdout)
    assert report["mode"] == "over HTTP"
    assert "Werkzeug" in report["flask"] and "development server" in report["flask"]
    assert "Hypercorn" in report["quart"] and "hypercorn.toml" in report["quart"]
    intended = len(INTENDED_CASES) + len(RAW_CASES)
    assert report["summary"] == {"requests": len(CASES), "match": len(CASES) - intended, "intended": intended,
                                 "mismatch": 0, "noted": 1}  # fmt: skip
    # the one line only one side logged: the error Werkzeug's server raised on a target it then did not answer
    noted = [case for case in report["cases"] if case["note"]]
    assert [case["intended"] for case in noted] == ["What Werkzeug's server raises on"], noted
    assert "flask only logged: ValueError: Invalid IPv6 URL" in noted[0]["note"]
    # every intended difference, those of the servers included, is one a request of the corpus shows: none is stale
    seen = {case["intended"] for case in report["cases"] if case["intended"]}
    assert seen == {difference.title for difference in CORPUS.intended}
    assert {case["raw"] for case in report["cases"] if case["method"] == "RAW"} == {
        case.raw.decode("latin-1") for case in RAW_CASES
    }
    stream = next(case for case in report["cases"] if case["method"] == "GET" and case["target"] == "/process/stream")
    assert stream["quart"]["content_type"] == "text/event-stream; charset=utf-8"
    assert stream["quart"]["body_bytes"] > 0  # the first event, read through the server


def test_the_table_reads_without_the_docs() -> None:
    result = CliRunner().invoke(cli.cli, ["compare", "--in-process", "--only-differences"])
    lines = result.output.splitlines()
    assert result.exit_code == 0, result.output
    assert lines[0].startswith("greeter compare: the Flask twin") and lines[1].startswith("compared: status")
    assert re.fullmatch(rf"\d+ match, {len(INTENDED_CASES)} intended difference\(s\), 0 MISMATCH", lines[-1])
    rows = [line for line in lines if line.startswith(ALL_METHODS)]
    assert len(rows) == len(INTENDED_CASES) and all(" intended " in row for row in rows)


def test_a_mismatch_fails_the_command(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_twin() -> Flask:
        twin = create_flask_app({"TESTING": True})
        _replace_view(twin, "greetings.hello_world", lambda: "Hello, World!")
        return twin

    monkeypatch.setattr("greeter.flask_twin.create_flask_app", broken_twin)
    result = CliRunner().invoke(cli.cli, ["compare", "--in-process", "--json"])
    assert result.exit_code == 1
    report = json.loads(result.output)
    found = {(case["method"], case["target"]) for case in report["cases"] if case["verdict"] == "MISMATCH"}
    # // is the root too: both servers merge the slashes
    assert found == {(method, target) for method in ("GET", "HEAD") for target in ("/", "/?x=1", "/index", "//")}


@pytest.mark.parametrize(
    ("answer", "error"),
    [(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", None), (b"", "without an answer"), (None, "within 0.5 s")],
)
async def test_the_http_client_sends_the_target_as_written(answer: bytes | None, error: str | None) -> None:
    heads: list[bytes] = []
    client_done = asyncio.Event()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            heads.append(await reader.readuntil(b"\r\n\r\n"))
            if answer is None:  # never answer: the client must give up on its own
                await client_done.wait()
            writer.write(answer or b"")
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    async with server:
        port = server.sockets[0].getsockname()[1]
        exchange = await fetch_over_http("127.0.0.1", port, Case("PATCH", "/hello/%ZZ/..//x?y=%FF"), timeout=0.5)
        client_done.set()
    assert heads[0].startswith(b"PATCH /hello/%ZZ/..//x?y=%FF HTTP/1.1\r\n")
    assert b"\r\nContent-Length: 0\r\n" in heads[0]
    if error is None:
        assert exchange.error is None and exchange.body == b"ok"
    else:
        assert error in (exchange.error or "")


def test_servers_it_starts_are_unbuffered_whoever_runs_it(monkeypatch: pytest.MonkeyPatch) -> None:
    # their output goes to a file read while they start: block-buffered, a "Running on" line would never come
    monkeypatch.delenv("PYTHONUNBUFFERED", raising=False)
    monkeypatch.setenv("GREETER_PORT", "9999")
    environment = server_environment()
    assert environment["PYTHONUNBUFFERED"] == "1"
    assert "GREETER_PORT" not in environment  # a fixed port would make the two sides collide
