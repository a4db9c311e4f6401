"""A template that is not there is one line in the terminal, in both apps and both modes: `ERROR in app`, the
template, the folders searched and the student's line that asked for it, not fifty lines of traceback."""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

import httpx
import pytest
from conftest import GREETER_READY, KEEP_ALIVE_LIMITS, StartServer, copy_of_the_package, scaled
from jinja2 import TemplateNotFound, TemplatesNotFound

from greeter.shared.missing_template import TEMPLATE_CUTOFF, close_names, missing_template_sentence

HTTP_TIMEOUT = scaled(10.0)
LOGGED_WITHIN = scaled(10.0)
# the time and the request, then the sentence: greeter's apps log it through Flask's and Quart's own logger
ERROR_LINE = re.compile(r"^\[[-0-9 :,]+\] ERROR in app: (?P<request>.*?): (?P<sentence>the template .*)$", re.M)


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A copy of the package and templates whose /greet/ asks for gret.html, in both apps."""
    copy = copy_of_the_package(tmp_path)
    for views in (copy / "greeter" / "views.py", copy / "greeter" / "flask_twin" / "views.py"):
        views.write_text(views.read_text().replace('"greet.html"', '"gret.html"'))
    return copy


def line_of(path: Path, text: str) -> int:
    return next(number for number, line in enumerate(path.read_text().splitlines(), 1) if text in line)


@pytest.mark.parametrize(
    ("args", "views", "request_said"),
    [
        (["0"], "greeter/views.py", "Exception on request GET /greet/"),
        (["0", "--debug"], "greeter/views.py", "Exception on request GET /greet/"),
        (["twin", "0"], "greeter/flask_twin/views.py", "Exception on /greet/ [GET]"),
    ],
    ids=["quart", "quart-debug", "flask-twin"],
)
async def test_a_missing_template_is_one_line(
    start_server: StartServer, checkout: Path, args: list[str], views: str, request_said: str
) -> None:
    server = start_server([sys.executable, "-m", "greeter", *args], GREETER_READY, cwd=checkout)
    async with httpx.AsyncClient(limits=KEEP_ALIVE_LIMITS, base_url=server.base_url, timeout=HTTP_TIMEOUT) as http:
        assert (await http.get("/greet/")).status_code == 500
    deadline = time.monotonic() + LOGGED_WITHIN
    while (found := ERROR_LINE.search(server.output())) is None:  # the line comes just after the answer
        assert time.monotonic() < deadline, server.output()
        time.sleep(0.05)
    assert server.stop() == 0
    line = line_of(checkout / views, '"gret.html"')
    assert found["request"] == request_said
    assert found["sentence"] == (
        f"the template gret.html is in none of the folders searched: templates/; asked for in {views}, line {line},"
        " in greet; did you mean greet.html?"
    )
    output = server.output()
    for noise in ("Traceback", "flask/templating.py", "jinja2", "ERROR in guard"):
        assert noise not in output, output


def test_the_sentence_without_folders_or_close_names(tmp_path: Path) -> None:
    assert missing_template_sentence(TemplateNotFound("bye.html"), []) == (
        "the template bye.html was asked for, but the app has no template folder."
    )
    (tmp_path / "base.html").write_text("")
    assert missing_template_sentence(TemplatesNotFound(["menu.txt", "list.txt"]), [tmp_path]) == (
        f"the template menu.txt or list.txt is in none of the folders searched: {tmp_path}/."
    )
    (tmp_path / "bye.html").write_text("")
    assert missing_template_sentence(TemplateNotFound("bye"), [tmp_path]).endswith("; did you mean bye.html?")


def test_close_names() -> None:
    assert close_names("gret.html", ["greet.html", "base.html"]) == ["greet.html"]
    assert close_names("Greet.html", ["greet.html"]) == ["greet.html"]
    assert close_names("zzz", ["greet.html"]) == []
    assert close_names("by.html", ["bye.html", "base.html"], TEMPLATE_CUTOFF) == ["bye.html"]
