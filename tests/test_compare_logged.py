"""What an app logs while it answers is part of the comparison: a coroutine never awaited is a MISMATCH even where
the answers match, and a line only one app logged is a note the text and the summary show."""

from __future__ import annotations

import asyncio
import json
import os

import pytest
import quart
from flask import Flask
from quart import Quart

from greeter.tools.compare import report
from greeter.tools.compare.case import Case
from greeter.tools.compare.comparison import Comparison, compare_in_process
from greeter.tools.compare.corpus import Corpus
from greeter.tools.compare.exchange import Exchange
from greeter.tools.compare.logs import notable
from greeter.tools.compare.observe import observe
from greeter.tools.compare.verdict import Outcome, Verdict, judge
from greeter.tools.servers import server_environment

CORPUS = Corpus("these cases", (Case("GET", "/save"), Case("GET", "/warn"), Case("GET", "/same")))


def flask_app() -> Flask:
    app = Flask("flask_side")  # each app its own logger, as in two modules

    @app.route("/save")
    def save() -> str:
        return "saved"

    @app.route("/warn")
    def warn() -> str:
        return "warned"

    @app.route("/same")
    def same() -> str:
        return "same"

    return app


def quart_port() -> Quart:
    """The port with the user's mistake: a save not awaited, whose answer is the same as the Flask app's (a stale
    file made it so), and a line of its own in the log."""
    app = Quart("quart_side")

    async def save_the_file() -> None:
        await asyncio.sleep(0)

    @app.route("/save")
    async def save() -> str:
        save_the_file()  # type: ignore[unused-coroutine]  # the mistake: never awaited, nothing fails
        return "saved"

    @app.route("/warn")
    async def warn() -> str:
        quart.current_app.logger.error("the disk is nearly full")
        return "warned"

    @app.route("/same")
    async def same() -> str:
        return "same"

    return app


@pytest.mark.filterwarnings("ignore:coroutine .* was never awaited:RuntimeWarning")
async def test_a_coroutine_never_awaited_is_a_mismatch_though_the_answers_match() -> None:
    comparison = await compare_in_process(CORPUS, flask_app(), quart_port())
    by_target = {outcome.case.target: outcome for outcome in comparison.outcomes}
    saved = by_target["/save"]
    assert saved.verdict is Verdict.MISMATCH
    assert saved.differing == ("logged",)
    assert (
        saved.diff
        == "logged: quart only RuntimeWarning: coroutine 'quart_port.<locals>.save_the_file' was never awaited"
    )
    shown = report.text(comparison, only_differences=False)
    assert "MISMATCH  logged: quart only RuntimeWarning: coroutine" in shown
    assert "\nMISMATCH GET /save\n" in shown and "the call needs its await" in shown
    assert shown.endswith("2 match, 0 intended difference(s), 1 MISMATCH; 1 note: logged by one app only")


async def test_a_line_only_one_app_logged_is_a_note_on_a_matching_case() -> None:
    comparison = await compare_in_process(CORPUS, flask_app(), quart_port())
    warned = next(outcome for outcome in comparison.outcomes if outcome.case.target == "/warn")
    assert warned.verdict is Verdict.MATCH
    assert warned.note == "quart only logged: the disk is nearly full"
    shown = report.text(comparison, only_differences=True)
    assert "match     note: quart only logged: the disk is nearly full" in shown
    assert "/same" not in shown  # a match with nothing to note is left out with --only-differences
    as_json = report.as_json(comparison)
    assert as_json["summary"]["noted"] == 1
    assert [case["note"] for case in as_json["cases"]] == [None, "quart only logged: the disk is nearly full", None]
    json.dumps(as_json)


def test_a_servers_warning_is_read_from_its_log_as_python_prints_it() -> None:
    log = [
        "/home/ada/todo_quart/todos.py:68: RuntimeWarning: coroutine 'FileStorage.save' was never awaited",
        "  file.save(path)",
        "RuntimeWarning: Enable tracemalloc to get the object allocation traceback",
    ]
    assert notable(log) == ("RuntimeWarning: coroutine 'FileStorage.save' was never awaited",)


def test_the_servers_print_each_runtime_warning_not_only_the_first() -> None:
    # Python's default prints a warning once per line of code: the second request that makes it would say nothing
    assert "always::RuntimeWarning" in server_environment(every_warning=True)["PYTHONWARNINGS"].split(",")
    # a bench measures the app as it is served: its warnings as the environment has them
    assert server_environment().get("PYTHONWARNINGS") == os.environ.get("PYTHONWARNINGS")


def test_over_http_a_coroutine_never_awaited_fails_the_run_as_a_note() -> None:
    # a server prints the warning when it frees the coroutine, maybe during a later request: not the case's own
    answer = observe(Exchange(200, (), b"saved"), Case("GET", "/save"), "http://127.0.0.1:1")
    unawaited = "RuntimeWarning: coroutine 'FileStorage.save' was never awaited"
    outcome = judge(Case("GET", "/save"), answer, answer, quart_said=(unawaited,), said_is_the_cases=False)
    assert outcome.verdict is Verdict.MATCH
    assert outcome.note == f"quart only logged: {unawaited}"
    comparison = Comparison("flask", "quart", "over HTTP", CORPUS, [outcome])
    assert comparison.failed
    assert "so the exit status is 1" in report.text(comparison, only_differences=True)


# how the report reads: what a reader of the walk-through met


def static_outcome() -> Outcome:
    """The static-file difference of a Flask app and its Quart port, as they answered it."""
    flask_headers = (
        ("accept-ranges", "bytes"),
        ("cache-control", "no-cache"),
        ("content-disposition", "inline; filename=style.css"),
        ("etag", '"1796127379.8380616-152-1663832166"'),
        ("last-modified", "Tue, 01 Dec 2026 12:16:19 GMT"),
        ("vary", "Cookie"),
    )
    quart_headers = (
        ("cache-control", "public, max-age=43200"),
        ("etag", '"1796127435.056219-152-3527807730"'),
        ("expires", "Wed, 02 Dec 2026 00:17:18 GMT"),
        ("last-modified", "Tue, 01 Dec 2026 12:17:15 GMT"),
    )
    case = Case("GET", "/static/style.css")
    return judge(
        case,
        observe(Exchange(200, flask_headers, b"body{}"), case, "http://localhost"),
        observe(Exchange(200, quart_headers, b"body{}"), case, "http://localhost"),
    )


def test_a_long_header_difference_is_named_in_its_row_and_shown_whole_below() -> None:
    outcome = static_outcome()
    assert outcome.diff == (
        "other headers: flask only accept-ranges, content-disposition, vary; quart only expires;"
        " not the same: cache-control, etag, last-modified (side by side below)"
    )
    comparison = Comparison("flask", "quart", "in-process", CORPUS, [outcome])
    shown = report.text(comparison, only_differences=False)
    assert max(len(line) for line in shown.splitlines()[2:]) <= 240  # it ran past 400
    assert "content-disposition: inline; filename=style.css" in shown  # side by side, whole


def test_a_session_cookie_is_folded_between_its_parts_not_inside_them() -> None:
    cookie = 'session={"_flashes":[{" t":["message","Hello, Ada!"]}],"name":"Ada"}.(varies); HttpOnly; Path=/'
    case = Case("POST", "/hello")
    outcome = judge(
        case,
        observe(Exchange(302, (("set-cookie", cookie),)), case, "http://localhost"),
        observe(Exchange(302, (("set-cookie", 'session={"name":"Ada"}.(varies); HttpOnly; Path=/'),)), case, "x"),
    )
    lines = report.side_by_side(outcome)
    flask_column = [line[16 : 16 + report.SIDE_WIDTH].rstrip() for line in lines[2:]]
    assert flask_column == [
        'set-cookie: session={"_flashes":[{" t":["message",',
        '"Hello, Ada!"]}],"name":"Ada"}.(varies); HttpOnly;',
        "Path=/",
    ]


def test_over_http_the_header_names_only_what_is_left_out_there() -> None:
    over_http = report.text(Comparison("flask", "quart", "over HTTP", CORPUS, []), only_differences=False)
    in_process = report.text(Comparison("flask", "quart", "in-process", CORPUS, []), only_differences=False)
    assert "the body of a HEAD answer" not in over_http.splitlines()[1]
    assert in_process.splitlines()[1].endswith("the body of a HEAD answer in --in-process mode")


async def test_json_with_only_differences_leaves_out_the_matching_cases() -> None:
    comparison = await compare_in_process(CORPUS, flask_app(), quart_port())
    whole, differences = report.as_json(comparison), report.as_json(comparison, only_differences=True)
    assert [case["target"] for case in whole["cases"]] == ["/save", "/warn", "/same"]
    assert [case["target"] for case in differences["cases"]] == ["/save", "/warn"]  # a MISMATCH and a note
    assert differences["summary"] == whole["summary"] and differences["only_differences"] is True
