"""Security headers: on every answer of both apps, the same in both, and a policy that allows only our own code."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import DOCS, Fetch, fetcher, scaled
from flask import Flask
from quart import Quart
from quart.testing import QuartClient

from greeter import create_app
from greeter.flask_twin import create_flask_app
from greeter.plumbing.debug_mode import DEBUG_PAGES, debug_security_headers
from greeter.shared.paths import TEMPLATES_DIR
from greeter.shared.security import inline_source_hashes, security_headers
from greeter.tools.compare.corpus import load_corpus
from greeter.tools.compare.in_process import fetch_from_flask, fetch_from_quart

CORPUS_TIMEOUT = scaled(10.0)
EXPECTED = security_headers(TEMPLATES_DIR)


def test_the_headers_say_what_they_should() -> None:
    assert EXPECTED["X-Content-Type-Options"] == "nosniff"
    assert EXPECTED["X-Frame-Options"] == "DENY"
    assert EXPECTED["Referrer-Policy"] == "no-referrer"
    policy = dict(directive.split(" ", 1) for directive in EXPECTED["Content-Security-Policy"].split("; "))
    assert policy["default-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["connect-src"] == "'self'"  # the live stream
    # exactly one hash each: the base template's style and the process page's script, nothing inline else
    assert policy["style-src"].startswith("'sha256-") and " " not in policy["style-src"]
    assert policy["script-src"].startswith("'sha256-") and " " not in policy["script-src"]
    assert "unsafe-inline" not in EXPECTED["Content-Security-Policy"]


async def test_every_answer_to_the_corpus_carries_them_in_both_apps() -> None:
    quart_client, flask_client = create_app().test_client(), create_flask_app().test_client()
    assert isinstance(quart_client, QuartClient)  # the protocol Quart declares lacks open()'s defaults
    # not the raw requests: they are bytes for a socket, sent to real servers only, most of them refused by a server
    # before any app could add its headers
    for case in (case for case in load_corpus().cases if not case.raw):
        for side, answer in (
            ("quart", await fetch_from_quart(quart_client, case, CORPUS_TIMEOUT)),
            ("flask", fetch_from_flask(flask_client, case)),
        ):
            assert answer.error is None, (side, case.target)
            for name, value in EXPECTED.items():
                assert answer.header(name) == value, (side, case.method, case.target, answer.status, name)


@pytest.mark.parametrize("factory", [create_app, create_flask_app])
async def test_error_pages_and_refusals_carry_them_too(factory: Callable[..., Quart | Flask]) -> None:
    app = factory({"STREAM_MAX_VIEWERS": 0, "TRUSTED_HOSTS": ["localhost"]})  # not TESTING: errors become pages

    def broken() -> str:
        raise RuntimeError("a bug in a view")

    app.add_url_rule("/test-security-headers/broken", view_func=broken)  # no student's route
    fetch: Fetch = fetcher(app)
    for path, headers, status in (
        ("/test-security-headers/broken", None, 500),
        ("/wait/never", None, 400),
        ("/", {"Host": "elsewhere.example"}, 400),
        ("/no/such/page", None, 404),
        ("/hello", None, 308),
    ):
        answer = await fetch(path, headers=headers)
        assert answer.status == status, path
        assert {name: answer.headers.get(name) for name in EXPECTED} == EXPECTED, path
    answer = await fetch("/", method="DELETE")
    assert answer.status == 405
    assert answer.headers.get("Content-Security-Policy") == EXPECTED["Content-Security-Policy"]


def directives(policy: str) -> dict[str, list[str]]:
    return {name: sources for name, *sources in (directive.split() for directive in policy.split("; "))}


async def test_the_debug_traceback_page_carries_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GREETER_DEBUG", "true")  # as `greeter --debug` sets it
    app = create_app()

    def broken() -> str:
        raise RuntimeError("a bug in a view")

    app.add_url_rule("/test-security-headers/broken", view_func=broken)  # no student's route
    answer = await fetcher(app)("/test-security-headers/broken")
    assert answer.status == 500
    assert '<h1>RuntimeError <span class="message">a bug in a view</span></h1>' in answer.text  # greeter's debug page
    # the same policy, allowing debug mode's own inline code by its hash, and asking for each violation's report
    debug_code = inline_source_hashes(None, DEBUG_PAGES)
    expected = directives(EXPECTED["Content-Security-Policy"])
    expected["style-src"] += [*debug_code["style"], "'report-sample'"]
    expected["script-src"] += [*debug_code["script"], "'report-sample'"]
    expected["report-uri"] = ["/greeter-debug/policy-report"]
    assert directives(answer.headers.get("Content-Security-Policy") or "") == expected
    assert {name: answer.headers.get(name) for name in EXPECTED if name != "Content-Security-Policy"} == {
        name: value for name, value in EXPECTED.items() if name != "Content-Security-Policy"
    }
    missing = await fetcher(app)("/no/such/page")  # still a 404 page, not a traceback
    assert (missing.status, missing.headers.get("X-Frame-Options")) == (404, "DENY")


@pytest.mark.parametrize("debug", [False, True], ids=["production", "debug"])
def test_the_security_section_quotes_the_policy(debug: bool) -> None:
    policy = (debug_security_headers if debug else security_headers)(TEMPLATES_DIR)["Content-Security-Policy"]
    quoted = re.findall(r"^  default-src .*$", (DOCS / "production.md").read_text(), re.MULTILINE)
    assert re.sub(r"'sha256-[^']+'", "'sha256-…'", policy) == quoted[debug].strip()


def test_outside_debug_the_policy_is_what_it_was() -> None:
    # spelt out: the debug mode's additions must never leak into the policy every other answer carries
    style, script = (inline_source_hashes(TEMPLATES_DIR)[tag] for tag in ("style", "script"))
    assert EXPECTED["Content-Security-Policy"] == (
        f"default-src 'none'; style-src {' '.join(style)}; script-src {' '.join(script)}; connect-src 'self';"
        " img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )


async def test_the_streams_refusal_carries_them(app: Quart) -> None:
    app.config["STREAM_MAX_VIEWERS"] = 0
    response = await app.test_client().get("/process/stream")
    assert response.status_code == 503
    assert {name: response.headers.get(name) for name in EXPECTED} == EXPECTED


def test_the_hashes_follow_the_templates(tmp_path: Path) -> None:
    (tmp_path / "a.html").write_text("<style>h1 { color: purple; }</style><script>go();</script>")
    before = inline_source_hashes(tmp_path)
    assert len(before["style"]) == len(before["script"]) == 1
    (tmp_path / "a.html").write_text("<style>h1 { color: red; }</style><script>go();</script>")
    after = inline_source_hashes(tmp_path)
    assert after["style"] != before["style"]
    assert after["script"] == before["script"]


def test_template_code_inside_an_inline_block_is_refused(tmp_path: Path) -> None:
    (tmp_path / "a.html").write_text("<script>const name = {{ name|tojson }};</script>")
    with pytest.raises(ValueError, match="must not contain template code"):
        inline_source_hashes(tmp_path)
