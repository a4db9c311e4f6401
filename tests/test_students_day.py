"""The students' page, done as written: its page /bye/<name> (the template, both views and the test, each code block
applied to a copy of the checkout) passes its test and the twins' test, forgetting the twin fails in the sentence
the page quotes, and the mistakes the page breaks it with say what the page says they say."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from as_cloned import copy_as_cloned
from conftest import DOCS, REPO_ROOT, command_path, require_root, scaled

STUDENTS = DOCS / "students.md"
RUN_TIMEOUT = scaled(300)
# run inside the copy: what the page's mistakes make greeter say there (its own greeter, as `python -m` imports it)
MISTAKES = r"""
import asyncio, contextlib, importlib, io, json, logging, os, traceback
from pathlib import Path

from greeter import create_app, views as views_module

views = Path("greeter/views.py")
good = views.read_text()
said = {}

# a style attribute in the template: what --debug prints for the browser's report of it (its line is the page's
# as served, where the <p> is on line 21; greeter names the template's)
template = Path("templates/bye.html")
template.write_text(template.read_text().replace("</h1>", '</h1>\n<p style="color: red">Come back soon!</p>'))
os.environ["GREETER_DEBUG"] = "true"
report = {"document-uri": "http://127.0.0.1:6543/bye/Kim", "blocked-uri": "inline", "line-number": 21,
          "effective-directive": "style-src-attr", "script-sample": "color: red"}

async def report_the_style():
    client = create_app().test_client()
    await client.get("/bye/Kim")
    printed = io.StringIO()
    with contextlib.redirect_stderr(printed):
        await client.post("/greeter-debug/policy-report", json={"csp-report": report})
    return printed.getvalue().strip()

said["style"] = asyncio.run(report_the_style())
del os.environ["GREETER_DEBUG"]

# the template misspelt: the line the app logs (Flask's and Quart's own format, less the time)
views.write_text(good.replace('"bye.html"', '"by.html"'))
importlib.reload(views_module)
app = create_app()
lines = []
handler = logging.Handler()
handler.emit = lambda record: lines.append(f"{record.levelname} in {record.module}: {record.getMessage()}")
app.logger.addHandler(handler)
asyncio.run(app.test_client().get("/bye/Kim"))
said["missing_template"] = lines

# a parenthesis left open: Python's own lines for the file (it reads the line from the file)
views.write_text(good.replace("name=name)", "name=name", 1))
try:
    compile(views.read_text(), str(views.resolve()), "exec")
except SyntaxError as error:
    said["syntax_error"] = "".join(traceback.format_exception_only(error)).splitlines()
views.write_text(good)
print(json.dumps(said))
"""


def code_blocks(section: str) -> list[tuple[str, str]]:
    """The page's code blocks under a heading, (language, code) in order; not its quotes of the terminal."""
    text = STUDENTS.read_text().split(f"## {section}\n", 1)[1].split("\n## ", 1)[0]
    return [block for block in re.findall(r"```(\w+)\n(.*?)```", text, re.DOTALL) if block[0] != "text"]


def quoted(text: str) -> list[str]:
    """The lines of the page's text blocks that contain the text."""
    blocks = re.findall(r"```text\n(.*?)```", STUDENTS.read_text(), re.DOTALL)
    return [line for block in blocks for line in block.splitlines() if text in line]


# what the copy needs: the app, its templates, and the test the page runs with the student's
COPIED = ["greeter", "templates", "pyproject.toml", "hypercorn.toml", "tests/conftest.py", "tests/test_flask_twin.py"]


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """greeter as the student cloned it: not the checkout as it is, which may hold the student's page already."""
    checkout = tmp_path / "greeter"
    print(f"the copy: {copy_as_cloned(REPO_ROOT, checkout, COPIED)}")
    return checkout


def run(copy: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    # `python -m` puts the copy first on sys.path: its greeter is the one imported, as an editable install's is
    return subprocess.run(
        argv, cwd=copy, capture_output=True, text=True, timeout=RUN_TIMEOUT, stdin=subprocess.DEVNULL, check=False
    )


def append(path: Path, code: str) -> None:
    path.write_text(path.read_text() + "\n\n" + code)


@pytest.mark.timeout(RUN_TIMEOUT * 2)
def test_the_page_is_added_as_the_students_page_says(copy: Path) -> None:
    (html, template), (_, sync_view), (_, async_view), (_, test) = code_blocks("Add a page")
    assert html == "html" and "async def" not in sync_view and "async def" in async_view and "def test_" in test
    (copy / "templates" / "bye.html").write_text(template)
    append(copy / "greeter" / "views.py", async_view)
    (copy / "tests" / "test_bye.py").write_text(test)
    pytest_run = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "error"]

    # the twin forgotten: the failure the page quotes
    forgotten = run(copy, *pytest_run, "tests/test_flask_twin.py::test_same_rules_and_view_names")
    assert forgotten.returncode == 1, forgotten.stdout + forgotten.stderr
    sentence = next(line for line in forgotten.stdout.splitlines() if "has no view for" in line)
    page_line = quoted("FAILED tests/test_flask_twin.py::test_same_rules_and_view_names")
    assert page_line == [f"FAILED tests/test_flask_twin.py::test_same_rules_and_view_names - Failed: {sentence}"]

    append(copy / "greeter" / "flask_twin" / "views.py", sync_view)
    done = run(copy, *pytest_run, "tests/test_bye.py", "tests/test_flask_twin.py")
    assert done.returncode == 0, done.stdout + done.stderr
    # the suite's ruff checks the student's files too: the page's code is laid out as ruff wants it
    edited = ["greeter/views.py", "greeter/flask_twin/views.py", "tests/test_bye.py"]
    for lint in (["check"], ["format", "--check"]):
        linted = run(copy, command_path("ruff"), *lint, "--config", str(REPO_ROOT / "pyproject.toml"), *edited)
        assert linted.returncode == 0, linted.stdout + linted.stderr

    # what the page's mistakes make greeter say, there as the page quotes it
    mistakes = run(copy, sys.executable, "-c", MISTAKES)
    assert mistakes.returncode == 0, mistakes.stderr
    said = json.loads(mistakes.stdout)
    [logged] = said["missing_template"]
    assert [line.split("] ", 1)[1] for line in quoted("ERROR in app: Exception on request GET /bye/Kim:")] == [logged]
    python_said = [line.replace(str(copy), "/home/kim/greeter") for line in said["syntax_error"]]
    assert all(line in quoted(line.strip()) for line in python_said), python_said
    assert quoted("has a style attribute") == [said["style"]]


# the tests that add views of their own to greeter's apps, and the one above, which applies the page to a copy
ADDING_VIEWS = [
    "tests/test_debug_page.py",
    "tests/test_security_browser.py::test_the_debug_page_is_styled_with_zero_violations",
    "tests/test_cookie_path.py",
    "tests/test_security_headers.py",
    "tests/test_students_day.py::test_the_page_is_added_as_the_students_page_says",
]
# pages a student may add besides the page's, by the commonest names (a test's view at one of them would lose it)
OTHER_PAGES = ["/page/", "/form/", "/hi/<name>", "/remember/", "/plain/", "/broken", "/nope", "/spin/"]
GIT_AS = ["-c", "user.name=Kim", "-c", "user.email=kim@example.invalid"]


def other_page(path: str, sync: bool) -> str:
    name = re.sub(r"\W+", "_", path.split("<")[0]).strip("_")
    parameters = "name: str" if "<name>" in path else ""
    return f'@bp.route("{path}")\n{"" if sync else "async "}def {name}({parameters}) -> str:\n    return "{name}"\n'


def git(folder: Path, *args: str) -> None:
    subprocess.run(["git", *GIT_AS, *args], cwd=folder, check=True, capture_output=True, timeout=RUN_TIMEOUT)


@pytest.mark.timeout(RUN_TIMEOUT * 2)
def test_greeters_own_tests_pass_in_a_checkout_that_followed_the_page(tmp_path: Path) -> None:
    # the course's repository, and a student's clone of it where the page was done as written and committed,
    # then other pages added in both apps and left uncommitted
    course = tmp_path / "course"
    copy_as_cloned(REPO_ROOT, course, ["greeter", "templates", "tests", "docs", "pyproject.toml", "hypercorn.toml"])
    git(course, "init", "-q", "-b", "main")
    git(course, "add", "-A")
    git(course, "commit", "-q", "-m", "greeter as the course gives it")
    git(tmp_path, "clone", "-q", str(course), "student")
    student = tmp_path / "student"
    (_, template), (_, sync_view), (_, async_view), (_, test) = code_blocks("Add a page")
    (student / "templates" / "bye.html").write_text(template)
    append(student / "greeter" / "flask_twin" / "views.py", sync_view)
    append(student / "greeter" / "views.py", async_view)
    (student / "tests" / "test_bye.py").write_text(test)
    base = student / "templates" / "base.html"
    base.write_text(
        base.read_text().replace(
            "    h1 { color: purple; }\n", "    h1 { color: purple; }\n    .soon { color: red; }\n"
        )
    )
    git(student, "add", "-A")
    git(student, "commit", "-q", "-m", "a page /bye/<name>")
    for views, sync in (("greeter/flask_twin/views.py", True), ("greeter/views.py", False)):
        for path in OTHER_PAGES:
            append(student / views, other_page(path, sync))

    # run there with the student's greeter: `python -m` imports it first, the servers the tests start too
    env = {**os.environ, "PYTHONPATH": str(student)}
    pytest_run = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "error"]
    done = subprocess.run(
        [*pytest_run, "tests/test_bye.py", *ADDING_VIEWS],
        cwd=student,
        env=env,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert " passed" in done.stdout and "skipped" not in done.stdout, done.stdout


def test_the_page_installs_pytest_before_it_first_runs_it() -> None:
    # every command the page has the student type, in order: its shell blocks, and the `$ ` lines it quotes
    blocks = re.findall(r"```(sh|text)\n(.*?)```", STUDENTS.read_text(), re.DOTALL)
    typed = [
        line.removeprefix("$ ")
        for kind, block in blocks
        for line in block.splitlines()
        if kind == "sh" or line.startswith("$ ")
    ]
    first_pytest = next(index for index, line in enumerate(typed) if "-m pytest" in line)
    installs = [index for index, line in enumerate(typed) if "pip install -e '.[test]'" in line]
    assert installs and installs[0] < first_pytest, typed[: first_pytest + 1]


def test_the_page_says_what_to_run_when_git_finds_the_clone_dubious(tmp_path: Path) -> None:
    require_root("to make a repository another account owns")
    # a checkout of another account's, cloned: git's own words, and the one line it says to run, on the page
    theirs = tmp_path / "theirs"
    git(tmp_path, "init", "-q", str(theirs))
    subprocess.run(["chown", "-R", "65534:65534", str(theirs)], check=True, timeout=RUN_TIMEOUT)
    cloned = subprocess.run(
        ["git", "clone", str(theirs), str(tmp_path / "mine")], capture_output=True, text=True, timeout=RUN_TIMEOUT
    )
    assert cloned.returncode != 0
    said = [line.strip().replace(str(theirs), "/opt/greeter") for line in cloned.stderr.splitlines()]
    page = STUDENTS.read_text()
    assert "fatal: detected dubious ownership in repository at '/opt/greeter/.git'" in said
    assert "git config --global --add safe.directory /opt/greeter/.git" in said
    for line in ("fatal: detected dubious ownership", "git config --global --add safe.directory"):
        assert next(text for text in said if line in text) in page, line
    assert "production.md#" in page.split("dubious ownership", 1)[1].split("\n\n", 1)[0]  # the admin's recipe


def test_the_settings_the_access_log_recipe_writes_are_never_committed() -> None:
    # the student's own copy of the settings, in their checkout: git leaves it out, so `git add -A` does too
    [recipe] = quoted("accesslog")
    written = re.search(r">> (\S+)$", recipe)
    assert written is not None, recipe
    ignored = (REPO_ROOT / ".gitignore").read_text().splitlines()
    assert f"/{written[1]}" in ignored, ignored
