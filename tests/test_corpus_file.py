"""A corpus file: every key read as docs/comparing.md says, bodies sent as a browser sends them, every mistake one
sentence; and the masks, the cookies and the logs that judge and explain the answers."""

from __future__ import annotations

import json
import re
import subprocess
import tomllib
from contextlib import closing
from pathlib import Path

import pytest
from conftest import DOCS, command_path
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from greeter.tools.compare.case import ALL_METHODS, Case
from greeter.tools.compare.cookies import Browser
from greeter.tools.compare.corpus import KEYS, CorpusError, load_corpus
from greeter.tools.compare.differences import differences_markdown
from greeter.tools.compare.exchange import Exchange
from greeter.tools.compare.logs import notable
from greeter.tools.compare.observe import Mask, comparable_cookie, observe

EXAMPLE_CORPUS = DOCS / "example" / "corpus.toml"
COMPARING = (DOCS / "comparing.md").read_text()


def corpus_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "corpus.toml"
    path.write_text(text)
    return path


def cases(tmp_path: Path, text: str) -> list[Case]:
    return list(load_corpus(corpus_file(tmp_path, text)).cases)


def parsed(case: Case) -> Request:
    """The case's body as Werkzeug reads a request: what the Flask app gets."""
    return Request(
        EnvironBuilder(method=case.method, path=case.path, headers=list(case.headers), data=case.body).get_environ()
    )


def test_the_example_uses_every_key() -> None:
    data = tomllib.loads(EXAMPLE_CORPUS.read_text())
    requests = data["request"] + [entry for sequence in data["sequence"] for entry in sequence["request"]]
    used = {
        "top": set(data),
        "request": {key for entry in requests for key in entry},
        "sequence": {key for entry in data["sequence"] for key in entry},
        "intended": {key for entry in data["intended"] for key in entry},
        "mask": {key for entry in data["mask"] for key in entry},
        "file": {key for entry in requests for file in entry.get("files", []) for key in file},
    }
    assert {kind: keys - used[kind] for kind, keys in KEYS.items()} == {kind: set() for kind in KEYS}


def test_the_page_describes_every_key() -> None:
    section = COMPARING.split("## A corpus file", 1)[1].split("\n## ", 1)[0]
    for keys in KEYS.values():
        for key in keys:
            assert f"`{key}" in section or f"{key} =" in section or f"[[{key}]]" in section, key


def test_the_example_loads(tmp_path: Path) -> None:
    corpus = load_corpus(EXAMPLE_CORPUS)
    assert corpus.url_map
    assert len(corpus.intended) == 4 and len(corpus.masks) == 2
    sequences = {case.sequence for case in corpus.cases if case.sequence}
    assert sequences == {"a session counter", "say hello", "an empty name"}


def test_a_request_target_is_sent_as_written(tmp_path: Path) -> None:
    (case, *_) = cases(tmp_path, '[[request]]\npath = "/a%20b/?x=%C3%A9&y"\nrepeat = ["z", 3]\n')
    assert case.target == "/a%20b/?x=%C3%A9&yzzz"
    assert case.path == "/a%20b/" and case.query == "x=%C3%A9&yzzz"


@pytest.mark.parametrize(
    ("entry", "methods"),
    [
        ("", ["GET", "HEAD"]),
        ('methods = "all"', list(ALL_METHODS)),
        ('methods = ["PUT", "PROPFIND"]', ["PUT", "PROPFIND"]),
        ('method = "DELETE"', ["DELETE"]),
        ("json = {a = 1}", ["POST"]),  # a body goes with POST unless told otherwise
        ('json = {a = 1}\nmethod = "PATCH"', ["PATCH"]),
    ],
)
def test_the_methods_of_a_request(tmp_path: Path, entry: str, methods: list[str]) -> None:
    found = cases(tmp_path, f'[[request]]\npath = "/x"\n{entry}\n')
    assert [case.method for case in found] == methods


def test_a_form_as_a_browser_sends_it(tmp_path: Path) -> None:
    (case,) = cases(tmp_path, '[[request]]\npath = "/f"\nform = {name = "Ada L", tag = ["a", "é"]}\n')
    assert case.header("Content-Type") == "application/x-www-form-urlencoded"
    assert case.body == b"name=Ada+L&tag=a&tag=%C3%A9"
    assert parsed(case).form.getlist("tag") == ["a", "é"] and case.sends == "a form"


def test_json_and_a_raw_body(tmp_path: Path) -> None:
    found = cases(
        tmp_path,
        '[[request]]\npath = "/j"\njson = {text = "é", n = [1, 2]}\n\n'
        '[[request]]\npath = "/r"\nbody = "plain words"\ncontent_type = "text/plain; charset=utf-8"\n\n'
        '[[request]]\npath = "/b"\nbody = "no type"\n',
    )
    assert [(c.header("Content-Type"), c.sends) for c in found] == [
        ("application/json", "JSON"),
        ("text/plain; charset=utf-8", "a body"),
        (None, "a body"),
    ]
    assert json.loads(found[0].body) == {"text": "é", "n": [1, 2]}
    assert found[1].body == b"plain words"


def test_files_with_form_fields(tmp_path: Path) -> None:
    (tmp_path / "photo.bin").write_bytes(b"\x00\xff binary")
    case_text = (
        '[[request]]\npath = "/up"\nform = {comment = "two"}\nfiles = [\n'
        '  {field = "doc", filename = "a.txt", content = "line\\n", content_type = "text/plain"},\n'
        '  {field = "photo", filename = "p.bin", source = "photo.bin"},\n]\n'
    )
    (case,) = cases(tmp_path, case_text)
    with closing(parsed(case)) as request:  # closed: Werkzeug keeps each file in a temporary one
        assert request.form.to_dict() == {"comment": "two"}
        assert request.files["doc"].read() == b"line\n" and request.files["doc"].mimetype == "text/plain"
        assert request.files["photo"].read() == b"\x00\xff binary"
        assert request.files["photo"].mimetype == "application/octet-stream"
    assert case.sends == "2 files"
    assert case.body == cases(tmp_path, corpus_file(tmp_path, case_text).read_text())[0].body  # the same bytes


def test_headers_are_the_cases_own(tmp_path: Path) -> None:
    (case, _) = cases(tmp_path, '[[request]]\npath = "/"\nheaders = {Accept = "application/json", X-Tag = "1"}\n')
    assert case.headers == (("Accept", "application/json"), ("X-Tag", "1"))


def test_a_sequence(tmp_path: Path) -> None:
    found = cases(
        tmp_path,
        '[[sequence]]\nname = "login"\nwhy = "a login then a page"\n\n'
        '[[sequence.request]]\nmethod = "POST"\npath = "/login"\nform = {user = "ann"}\n\n'
        '[[sequence.request]]\npath = "/"\nwhy = "the page, logged in"\n',
    )
    assert [(c.method, c.target, c.sequence, c.step, c.why) for c in found] == [
        ("POST", "/login", "login", 1, "a login then a page"),
        ("GET", "/", "login", 2, "the page, logged in"),
    ]


def test_a_raw_request_is_its_bytes(tmp_path: Path) -> None:
    (one, two) = cases(
        tmp_path,
        '[[request]]\nraw = "GET /\\u00e9 HTTP/1.1\\r\\n\\r\\n"\nwhy = "w"\n\n'
        '[[request]]\nraw = ["GET /", ["ab", 3], " HTTP/1.1\\r\\n\\r\\n"]\n',
    )
    assert (one.method, one.target, one.raw, one.why) == ("RAW", "", b"GET /\xe9 HTTP/1.1\r\n\r\n", "w")
    assert two.raw == b"GET /ababab HTTP/1.1\r\n\r\n"
    assert (
        one.shown(24) == "GET /…(19 bytes)"
        and one.shown(26) == "GET /\\xe9 HTTP/1.1\\r\\n\\r\\n"
        and two.shown() == "GET /ababab HTTP/1.1\\r\\n\\r\\n"
    )


def test_an_intended_difference_of_raw_requests(tmp_path: Path) -> None:
    corpus = load_corpus(
        corpus_file(
            tmp_path,
            '[[request]]\nraw = "GET /\\u00e9 HTTP/1.1\\r\\n\\r\\n"\n\n[[request]]\npath = "/%C3%A9"\n\n'
            '[[intended]]\ntitle = "t"\nreason = "r"\nraw = \'^GET /[\\x80-\\xff]\'\ndiffers_in = ["other answers"]\n',
        )
    )
    (intended,) = corpus.intended
    raw, plain = corpus.cases[0], corpus.cases[2]
    assert intended.path is None and intended.applies_to(raw) and not intended.applies_to(plain)
    markdown = differences_markdown(corpus.intended, cases=corpus.cases)
    assert markdown.startswith("- **t** (differs in: other answers). r For example: `GET /\\xe9 HTTP/1.1\\r\\n\\r\\n`.")


def test_intended_differences_and_masks(tmp_path: Path) -> None:
    corpus = load_corpus(
        corpus_file(
            tmp_path,
            '[[request]]\npath = "/"\n\n'
            '[[intended]]\ntitle = "t"\nreason = "r"\npath = "/a.*"\nmethods = ["GET"]\ndiffers_in = ["body"]\n'
            'flask_status = 200\nquart_status = 201\nother_headers = ["Content-Length"]\nset_aside = "x+"\n\n'
            '[[mask]]\nheader = "X-Id"\n\n[[mask]]\npath = "/s"\nbody = ["a(b)c", "d"]\nwhy = "w"\n',
        )
    )
    (intended,) = corpus.intended
    assert (intended.methods, intended.flask_status, intended.quart_status) == (frozenset({"GET"}), 200, 201)
    assert intended.other_headers == frozenset({"content-length"})
    assert intended.without(b"axxxb") == b"ab"
    header, body = corpus.masks
    assert (header.header, header.path, body.path, body.why) == ("X-Id", None, "/s", "w")
    assert body.masked(b"abc d abc") == b"a(varies)c (varies) a(varies)c"


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("[[request]\n", "corpus.toml is not valid TOML: "),
        ("", "corpus.toml: the file has no [[request]] and no [[sequence]], and does not set url_map = true."),
        ('[[request]]\npth = "/"\n', "corpus.toml: [[request]] 1 has an unknown key 'pth'; the keys are body, "),
        ("[[request]]\nwhy = 'x'\n", "corpus.toml: [[request]] 1 has no path."),
        ('[[request]]\npath = "/a b"\n', "corpus.toml: [[request]] 1 (/a b) has a path that is not a request target"),
        ('[[request]]\npath = "/é"\n', "has a path that is not a request target"),
        ('[[request]]\npath = "x"\n', "has a path that is not a request target: it starts with /"),
        ('[[request]]\npath = "/"\nmethod = "GET"\nmethods = ["GET"]\n', "has both method and methods; give one."),
        ('[[request]]\npath = "/"\nmethods = ["GET", "GET"]\n', "names a method twice."),
        ('[[request]]\npath = "/"\nmethods = "some"\n', 'has methods that are neither "all" nor a list of methods.'),
        ('[[request]]\npath = "/"\nmethod = "G T"\n', "has 'G T' for a method, which is not one (GET, POST, ...)."),
        ('[[request]]\npath = "/"\nform = {a = "1"}\njson = 1\n', "has form and json: a request has one body"),
        ('[[request]]\npath = "/"\ncontent_type = "text/plain"\n', "has a content_type without a body"),
        ('[[request]]\npath = "/"\nheaders = {Content-Length = "3"}\n', "sets Content-Length, which greeter sets"),
        ('[[request]]\npath = "/"\nheaders = {X = 1}\n', "has a value for X that is not one line of ASCII text."),
        ('[[request]]\npath = "/"\nform = {a = 1}\n', "has a form field a that is neither text nor a list of texts."),
        ('[[request]]\npath = "/"\nrepeat = ["a"]\n', "has a repeat that is not [text, times]"),
        ('[[request]]\npath = "/"\nfiles = [{field = "f", filename = "n"}]\n', "file 1 needs either content (text)"),
        ('[[request]]\npath = "/"\nfiles = [{field = "f", filename = "n", source = "gone"}]\n', "cannot be read"),
        ('[[request]]\npath = "/"\nwhy = 3\n', "corpus.toml: [[request]] 1 (/) has a why that is not text."),
        ("request = 3\n", "the file has request that is not a list of tables: write each as [[request]]."),
        ('[[sequence]]\nname = "s"\n', "corpus.toml: [[sequence]] 1 (s) has no [[sequence.request]]."),
        ('[[sequence]]\nname = "s"\n[[sequence.request]]\npath = "/"\nmethods = ["GET"]\n', "has methods: a reque"),
        (
            '[[sequence]]\nname = "s"\n[[sequence.request]]\npath = "/"\n'
            '[[sequence]]\nname = "s"\n[[sequence.request]]\npath = "/"\n',
            "[[sequence]] 2 (s) has the name of an earlier sequence; give each its own.",
        ),
        ('url_map = true\n[[intended]]\ntitle = "t"\nreason = "r"\npath = "/"\n', "needs differs_in, a list of some"),
        (
            'url_map = true\n[[intended]]\ntitle = "t"\nreason = "r"\npath = "("\ndiffers_in = ["body"]\n',
            "[[intended]] 1 (t) has a path that is not a regular expression (missing ), unterminated subpattern",
        ),
        (
            'url_map = true\n[[intended]]\ntitle = "t"\nreason = "r"\npath = "/"\ndiffers_in = ["body"]\n'
            "flask_status = 99\n",
            "has flask_status = 99, which is not an HTTP status (100 to 599).",
        ),
        ('[[request]]\nraw = "GET /"\npath = "/"\n', "[[request]] 1 (/) has raw and path: a raw request is its bytes"),
        ('[[request]]\nraw = ""\n', "[[request]] 1 has a raw that is empty."),
        ('[[request]]\nraw = "GET /\\u0100"\n', "has a raw with a character that is no byte: 'Ā' (each is one byte"),
        ("[[request]]\nraw = 3\n", "has a raw that is neither text nor a list of texts and [text, times] pairs"),
        ('[[request]]\nraw = ["a", ["b", 0]]\n', "has a raw that is neither text nor a list of texts and [text, ti"),
        ('[[sequence]]\nname = "s"\n[[sequence.request]]\nraw = "GET /"\n', "cannot be raw"),
        (
            'url_map = true\n[[intended]]\ntitle = "t"\nreason = "r"\nraw = "x"\npath = "/"\ndiffers_in = ["body"]\n',
            "[[intended]] 1 (t) needs either path (and methods, if any) or raw (for raw requests).",
        ),
        (
            'url_map = true\n[[intended]]\ntitle = "t"\nreason = "r"\nraw = "x"\nmethods = ["GET"]\n'
            'differs_in = ["body"]\n',
            "needs either path (and methods, if any) or raw",
        ),
        ('url_map = true\n[[mask]]\nwhy = "w"\n', "[[mask]] 1 needs either header (a name) or body"),
        ('url_map = true\n[[mask]]\nheader = "a b"\n', "has a header name with a character no header name has"),
        ('url_map = "yes"\n', "the file has a url_map that is not true or false."),
    ],
)
def test_every_mistake_is_one_sentence(tmp_path: Path, text: str, said: str) -> None:
    path = corpus_file(tmp_path, text)
    with pytest.raises(CorpusError) as raised:
        load_corpus(path)
    message = str(raised.value)
    assert said in message
    assert "\n" not in message and message.endswith(".") and raised.value.exit_status == 2


def test_no_such_file(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match=r"^there is no corpus file .*nothing\.toml\.$"):
        load_corpus(tmp_path / "nothing.toml")


def test_the_command_says_it_in_one_line_with_status_2(tmp_path: Path) -> None:
    corpus_file(tmp_path, '[[request]]\npath = "/"\nmetod = "GET"\n')
    done = subprocess.run(
        [command_path("greeter"), "compare", "--corpus", "corpus.toml", "--in-process"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == (
        "greeter: corpus.toml: [[request]] 1 (/) has an unknown key 'metod'; the keys are body, content_type,"
        " files, form, headers, json, method, methods, path, raw, repeat, why.\n"
    )


# what judges the answers


def exchange(body: bytes = b"", *headers: tuple[str, str]) -> Exchange:
    return Exchange(200, tuple(headers), body)


def test_a_mask_without_a_group_masks_the_whole_match() -> None:
    mask = Mask("why", body=(re.compile(rb"\d+ ms"),))
    assert mask.masked(b"took 12 ms, then 3 ms") == b"took (varies), then (varies)"


def test_masks_apply_where_they_say() -> None:
    masks = [Mask("ids", header="X-Request-Id"), Mask("time", path="/status", body=(re.compile(rb"t=(\d+)"),))]
    answer = exchange(b"t=123", ("x-request-id", "abc"), ("x-other", "1"))
    status = observe(answer, Case("GET", "/status"), "http://h", masks)
    other = observe(answer, Case("GET", "/other"), "http://h", masks)
    assert status.other_headers == other.other_headers == (("x-other", "1"),)
    assert (status.body, other.body) == (b"t=(varies)", b"t=123")


def test_a_session_cookie_is_compared_by_what_it_holds() -> None:
    # the same session, signed a second apart and with its keys in another order: the same cookie
    flask = "session=eyJhIjoxLCJiIjoyfQ.aSqMWA.3YgkVXTVzO6WgyW8mEKdV9eJ5gE; HttpOnly; Path=/"
    quart = "session=eyJiIjoyLCJhIjoxfQ.aSqMWQ.x8nqkX1M3vLvT4Jv2xH0nR5kQ2c; HttpOnly; Path=/"
    assert comparable_cookie(flask) == comparable_cookie(quart) == 'session={"a":1,"b":2}.(varies); HttpOnly; Path=/'
    other = "session=eyJhIjoyfQ.aSqMWA.3YgkVXTVzO6WgyW8mEKdV9eJ5gE; HttpOnly; Path=/"
    assert comparable_cookie(other) != comparable_cookie(flask)
    # a plain cookie is compared whole; an Expires date never
    assert comparable_cookie("theme=dark; Expires=Tue, 01 Dec 2026 10:00:00 GMT; Path=/") == (
        "theme=dark; Expires=(varies); Path=/"
    )


def test_a_browser_keeps_cookies_by_path_and_drops_expired_ones() -> None:
    browser = Browser("http://127.0.0.1:8000")
    browser.keep("/login", [("set-cookie", "session=1; Path=/"), ("set-cookie", "admin=1; Path=/admin")])
    browser.keep("/login", [("set-cookie", "secure=1; Secure; Path=/")])  # never sent over plain HTTP
    assert browser.cookie_header("/") == "session=1"
    assert browser.cookie_header("/admin/page") in ("admin=1; session=1", "session=1; admin=1")
    browser.keep("/logout", [("set-cookie", "session=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/")])
    assert browser.cookie_header("/") is None


def test_what_an_app_logged_is_the_end_of_each_traceback() -> None:
    log = [
        "[2026-12-01 10:00:00,000] ERROR in app: Exception on request GET /upload [POST]",
        "Traceback (most recent call last):",
        '  File "app.py", line 3, in upload',
        "    raise KeyError('x')",
        "KeyError: 'x'",
        '127.0.0.1 - - [01/Dec/2026 10:00:00] "POST /upload HTTP/1.1" 500 -',
        "Traceback (most recent call last):",
        '  File "app.py", line 9, in page',
        "jinja2.exceptions.TemplateNotFound: page.html",
        "/srv/app.py:12: RuntimeWarning: coroutine 'flash' was never awaited",  # a server's: not tied to its request
        "RuntimeWarning: coroutine 'flash' was never awaited",  # in-process: tied
        "RuntimeWarning: Enable tracemalloc to get the object allocation traceback",
    ]
    assert notable(log) == (
        "KeyError: 'x'",
        "jinja2.exceptions.TemplateNotFound: page.html",
        "RuntimeWarning: coroutine 'flash' was never awaited",
    )
