"""The worked example of docs/comparing.md: a Flask app, its Quart port and a port with three mistakes, compared by
the `greeter compare` command a Flask developer runs in docs/example, over real servers and in-process."""

from __future__ import annotations

import difflib
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import DOCS, command_path, scaled

from greeter.tools.compare.comparison import compare_in_process
from greeter.tools.compare.report import text as report_text
from greeter.tools.compare.url_map import derive_corpus
from greeter.tools.compare.verdict import Verdict
from greeter.tools.user_apps import load_flask_app, load_quart_app

EXAMPLE = DOCS / "example"
COMPARE_TIMEOUT = scaled(120.0)
FAITHFUL = ["--flask", "flask_app", "--quart", "quart_app", "--corpus", "corpus.toml"]
BROKEN = ["--flask", "flask_app", "--quart", "broken_port", "--corpus", "corpus.toml"]
DERIVED = ["--flask", "flask_app", "--quart", "quart_app"]
MODES = [pytest.param([], id="over-http"), pytest.param(["--in-process"], id="in-process")]
# what the corpus file accepts as different: the framework's name, Quart's caching of static files, get_json()
STATIC = {(method, target) for method in ("GET", "HEAD") for target in ("/static/style.css", "/static/style.css/")}
INTENDED = STATIC | {("GET", "/about"), ("HEAD", "/about"), ("POST", "/api/notes"), ("POST", "/api/notes (a body)")}
# and over real servers, the raw request (in-process leaves it out): Hypercorn refuses its byte
RAW = ("RAW", "GET /caf\xe9 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")


def intended(mode: list[str]) -> set[tuple[str, str]]:
    return INTENDED if mode else INTENDED | {RAW}


# each mistake of broken_port.py, and the cases that show it
AWAITED_ARGS = {
    (method, target)
    for method in ("GET", "HEAD")
    for target in ("/api/notes", "/api/notes?q=MILK", "/api/notes?q=" + "x" * 2000)
}
FILES_NOT_AWAITED = {("POST", "/upload"), ("POST", "/upload (a file, list.txt)"), ("POST", "/upload (a file, no name)")}
FLASH_NOT_AWAITED = {("POST", "/hello (a form; 'say hello' step 1)"), ("GET", "/ ('say hello' step 2)")}


def compare(*arguments: str) -> subprocess.CompletedProcess[str]:
    """`greeter compare ...` run as a person runs it, from the example's folder."""
    return subprocess.run(
        [command_path("greeter"), "compare", *arguments],
        cwd=EXAMPLE,
        capture_output=True,
        text=True,
        timeout=COMPARE_TIMEOUT,
    )


def report(*arguments: str) -> tuple[int, dict[str, Any]]:
    done = compare(*arguments, "--json")
    assert done.stdout.startswith("{"), done.stdout[-2000:] + done.stderr
    # what the apps log (Quart's tracebacks, in-process) is the report's `said`, not a flood before it
    assert done.stderr == ""
    return done.returncode, json.loads(done.stdout)


def label(case: dict[str, Any]) -> tuple[str, str]:
    """A case as the table names it: its method, and its target with what else it carries (a raw one: RAW and its
    bytes)."""
    if case["raw"]:
        return case["method"], case["raw"]
    parts = [case["sends"]] if case["sends"] else []
    if case["sequence"]:
        parts.append(f"{case['sequence']!r} step {case['step']}")
    context = f" ({'; '.join(parts)})" if parts else ""
    return case["method"], case["target"] + context


def verdicts(result: dict[str, Any], verdict: str) -> set[tuple[str, str]]:
    return {label(case) for case in result["cases"] if case["verdict"] == verdict}


@pytest.mark.parametrize("mode", MODES)
def test_the_faithful_port_answers_as_the_flask_app(mode: list[str]) -> None:
    status, result = report(*FAITHFUL, *mode)
    assert verdicts(result, "MISMATCH") == set()
    assert verdicts(result, "intended") == intended(mode)
    assert status == 0
    assert result["summary"]["requests"] == len(result["cases"]) > 60
    assert result["corpus"] == "the URL map of flask_app:create_app() and corpus.toml"
    # nothing logged by one side only: in-process, Flask's answers with a file (static) are closed once read
    assert [
        (label(case), case["flask"]["said"], case["quart"]["said"]) for case in result["cases"] if case["note"]
    ] == []
    assert result["summary"]["noted"] == 0


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.filterwarnings("ignore:coroutine .* was never awaited:RuntimeWarning")  # the mistakes, in-process
def test_the_broken_port_fails_on_exactly_its_mistakes(mode: list[str]) -> None:
    status, result = report(*BROKEN, *mode)
    assert status == 1
    assert verdicts(result, "MISMATCH") == AWAITED_ARGS | FILES_NOT_AWAITED | FLASH_NOT_AWAITED
    assert verdicts(result, "intended") == intended(mode)
    said = {label(case): case["quart"]["said"] for case in result["cases"] if case["verdict"] == "MISMATCH"}
    assert said[("GET", "/api/notes")] == ["TypeError: object ImmutableMultiDict can't be used in 'await' expression"]
    assert (
        said[("POST", "/upload (a file, list.txt)")][0] == "AttributeError: 'coroutine' object has no attribute 'get'"
    )
    # a coroutine dropped at once is warned of during its own request, over HTTP too (where a server may also
    # print then the warning of an earlier one it has just collected)
    assert (
        "RuntimeWarning: coroutine 'flash' was never awaited" in said[("POST", "/hello (a form; 'say hello' step 1)")]
    )
    # one held by a traceback is freed when Python collects it: in-process, at the end of its case; on a server,
    # whenever, so there it is a note beside some later case, and the run fails for it whatever the verdicts
    unawaited_files = "RuntimeWarning: coroutine 'Request.files' was never awaited"
    if mode:
        assert unawaited_files in said[("POST", "/upload (a file, list.txt)")]
        assert [case["note"] for case in result["cases"] if case["note"]] == []
    else:
        notes = [case["note"] for case in result["cases"] if case["note"]]
        assert notes and all(note == f"quart only logged: {unawaited_files}" for note in notes)


@pytest.mark.parametrize("mode", MODES)
def test_a_sequence_carries_the_session_cookie_on_both_sides(mode: list[str]) -> None:
    _, result = report(*FAITHFUL, *mode)
    counter = [case for case in result["cases"] if case["sequence"] == "a session counter"]
    for side in ("flask", "quart"):
        visits = [re.search(r"Visit number (\d+)", case[side]["body"]) for case in counter]
        assert [int(found.group(1)) for found in visits if found] == [1, 2, 3], side
    hello = [case for case in result["cases"] if case["sequence"] == "say hello"]
    for side in ("flask", "quart"):
        assert hello[0][side]["status"] == 302 and hello[0][side]["location"] == "/"
        assert '<p class="flash">Hello, Ada!</p>' in hello[1][side]["body"]
        assert "Hello, Ada." in hello[1][side]["body"]  # g.visitor, from the session, in the footer
        assert '"visitor":"Ada"' in hello[2][side]["body"]
        assert "Goodbye!" in hello[4][side]["body"] and "Hello, guest." in hello[4][side]["body"]


@pytest.mark.parametrize("mode", MODES)
def test_a_case_alone_carries_no_cookie(mode: list[str]) -> None:
    # the fix: Flask's test client used to keep every cookie for the whole run, Quart's request() none
    _, result = report(*DERIVED, *mode)
    pages = [case for case in result["cases"] if case["target"] == "/" and case["method"] == "GET"]
    assert pages
    for case in pages:
        for side in ("flask", "quart"):
            assert "Visit number 1 in" in case[side]["body"], (side, case["target"])


def test_without_a_corpus_file_the_url_map_shows_what_the_file_then_declares() -> None:
    status, result = report(*DERIVED)
    assert status == 1
    mismatches = verdicts(result, "MISMATCH")
    assert mismatches == STATIC | {("GET", "/about"), ("HEAD", "/about"), ("POST", "/api/notes")} | {
        ("GET", "/status"),  # the time and the pid, which the file masks
        ("HEAD", "/status"),  # its X-Request-Id
    }
    assert result["corpus"] == "the URL map of flask_app:create_app()"


def test_the_page_gives_the_url_maps_figures() -> None:
    page = (DOCS / "comparing.md").read_text()
    _, result = report(*DERIVED)
    summary = result["summary"]
    said = f"{summary['match']} match, {summary['intended']} intended difference(s), {summary['mismatch']} MISMATCH"
    assert f"`greeter compare --flask flask_app --quart quart_app` in `docs/example` gives\n{said}." in page


@pytest.fixture
def in_the_example(monkeypatch: pytest.MonkeyPatch) -> None:
    """The current folder is the example's, as for its commands; sys.path is put back afterwards."""
    monkeypatch.chdir(EXAMPLE)
    monkeypatch.setattr(sys, "path", list(sys.path))


@pytest.mark.usefixtures("in_the_example")
async def test_without_its_vary_hook_the_port_differs_on_every_answer_that_read_the_session() -> None:
    flask_app, quart_app = load_flask_app("flask_app"), load_quart_app("quart_app")
    hooks = quart_app.app.after_request_funcs[None]
    hooks[:] = [hook for hook in hooks if hook.__name__ != "vary_on_the_session"]
    comparison = await compare_in_process(derive_corpus(flask_app.app, flask_app.shown), flask_app.app, quart_app.app)
    mismatches = [outcome for outcome in comparison.outcomes if outcome.verdict is Verdict.MISMATCH]
    page = (DOCS / "comparing.md").read_text()
    assert f"the same comparison gave {len(mismatches)} MISMATCH" in page
    assert all(("vary", "Cookie") in outcome.twin.other_headers for outcome in comparison.outcomes)
    # Quart says it only where the session changed: the counter, the name, the goodbye
    changed = {
        (o.case.method, o.case.target) for o in comparison.outcomes if ("vary", "Cookie") in o.quart.other_headers
    }
    assert changed == {("GET", "/"), ("HEAD", "/"), ("POST", "/hello"), ("POST", "/bye")}
    # said once, with the hook that fixes it, not left to be read out of every row
    shown = report_text(comparison, only_differences=True)

    def but_vary(headers: tuple[tuple[str, str], ...]) -> list[tuple[str, str]]:
        return [header for header in headers if header[0] != "vary"]

    only = sum(
        1
        for o in mismatches
        if o.differing == ("other headers",) and but_vary(o.twin.other_headers) == but_vary(o.quart.other_headers)
    )
    assert shown.count("Vary: Cookie: ") == 1
    said = f"Vary: Cookie: {only} of the {len(mismatches)} MISMATCH differ only by it (and "
    assert said in shown and said in page.replace("\n", " ")
    assert (
        '\n    @app.after_request\n    async def vary_on_the_session(response):\n        response.vary.add("Cookie")'
        in shown
    )


def documented_runs() -> list[tuple[str, str, str]]:
    """Each `$ greeter compare ...` block of docs/comparing.md: the folder it runs in, the command, its output."""
    page = (DOCS / "comparing.md").read_text()
    runs = re.findall(r"<!-- output, from (\S+) -->\n```text\n\$ (greeter compare[^\n]*)\n(.*?)```", page, re.DOTALL)
    assert len(runs) >= 3
    return runs


@pytest.mark.parametrize(("folder", "command", "output"), documented_runs(), ids=lambda value: str(value)[:60])
@pytest.mark.filterwarnings("ignore:coroutine .* was never awaited:RuntimeWarning")
def test_the_page_shows_each_command_and_its_output_as_printed(folder: str, command: str, output: str) -> None:
    where = (DOCS.parent / folder).resolve()
    assert where.is_dir(), folder
    done = subprocess.run(
        [command_path("greeter"), *command.split()[1:]],
        cwd=where,
        capture_output=True,
        text=True,
        timeout=COMPARE_TIMEOUT,
    )
    assert done.stdout == output, f"update docs/comparing.md: run `{command}` in {folder}"
    assert done.returncode == (1 if "MISMATCH\n" in output and not output.endswith(" 0 MISMATCH\n") else 0)


def test_the_page_links_each_file_of_the_example() -> None:
    page = (DOCS / "comparing.md").read_text()
    for name in ("flask_app.py", "quart_app.py", "broken_port.py", "corpus.toml"):
        assert (EXAMPLE / name).is_file(), name
        assert f"](example/{name})" in page, name


def test_the_broken_port_is_the_faithful_one_with_three_mistakes() -> None:
    def code(name: str) -> list[str]:  # what follows the module's docstring
        return (EXAMPLE / name).read_text().split('"""', 2)[2].splitlines()

    faithful, broken = code("quart_app.py"), code("broken_port.py")
    changes = [
        opcode for opcode in difflib.SequenceMatcher(None, faithful, broken).get_opcodes() if opcode[0] != "equal"
    ]
    assert [(tag, end - start, broken_end - broken_start) for tag, start, end, broken_start, broken_end in changes] == [
        ("replace", 1, 1)
    ] * 3
    marks = {re.search(r"  # mistake (\d): (not )?awaited$", broken[at]) for _, _, _, at, _ in changes}
    assert sorted(mark.group(1) for mark in marks if mark) == ["1", "2", "3"]


def test_the_example_runs_in_its_own_folder_only() -> None:
    # imported from the current folder, as flask --app does: elsewhere the modules are not found
    done = subprocess.run(
        [command_path("greeter"), "compare", *FAITHFUL],
        cwd=Path(EXAMPLE).parent,
        capture_output=True,
        text=True,
        timeout=COMPARE_TIMEOUT,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == (
        f"greeter: --flask flask_app: there is no module flask_app in {EXAMPLE.parent} (run greeter from the folder"
        " that holds it: it imports from the current folder, as flask --app does).\n"
    )


def test_the_page_shows_how_each_app_keeps_its_own_state() -> None:
    page = (DOCS / "comparing.md").read_text()
    state = page.split("### Each app its own state", 1)[1].split("\n## ", 1)[0]
    assert "Two apps that share one store give false MISMATCHes" in state
    assert "State left from a previous run can hide a bug" in state
    quoted, factory = re.findall(r"```python\n(.*?)```", state, re.DOTALL)
    for name in ("flask_app.py", "quart_app.py"):  # the example's apps each keep their own, as the page says
        assert quoted in (EXAMPLE / name).read_text(), name
    namespace: dict[str, Any] = {"__name__": "todo"}  # as a module of that name would run it
    exec(compile(factory, "docs/comparing.md", "exec"), namespace)
    made = [namespace["create_app"]() for _ in range(2)]
    folders = [Path(app.config["UPLOAD_FOLDER"]) for app in made]
    try:
        assert folders[0] != folders[1] and all(folder.is_dir() and not any(folder.iterdir()) for folder in folders)
        assert made[0].config["DATABASE"] == str(folders[0] / "todo.sqlite")
        named = namespace["create_app"]({"UPLOAD_FOLDER": str(folders[0])})  # a test or a run names its own
        assert named.config["DATABASE"] == str(folders[0] / "todo.sqlite")
    finally:
        for folder in folders:
            folder.rmdir()
