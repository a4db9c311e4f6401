"""Differential fuzzing over raw bytes: greeter on Hypercorn against its Flask twin on Werkzeug's server.

Each case is raw request bytes (tests/fuzz_requests.py) sent to both real servers at once; both answers are read
leniently and put in a family (tests/fuzz_families.py). The test fails on any 500 or traceback of greeter's, any
difference in what the two apps answered, and any server-layer difference that is not an intended difference of
greeter's corpus (greeter/tools/compare/corpus.toml, listed in docs/comparing.md), whose raw request of each
family is pinned here and must be found in its family.

GREETER_FUZZ chooses the profile:
- unset or `quick` (CI): QUICK_EXAMPLES cases, derandomized (the same every run), and the pinned ones;
- `long`: GREETER_FUZZ_EXAMPLES cases (default 20,000) drawn from GREETER_FUZZ_SEED (default 0), with a
  timeout of a second a case.
tests/fuzz_survey.py counts every family over many cases instead of stopping at the first failure.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest
from conftest import DOCS, StartServer, scaled
from fuzz_families import APP, SAME, SERVER, SERVER_FAMILIES, classify
from fuzz_requests import FuzzCase, fuzz_case
from fuzz_servers import Pair, run_case, start_pair
from hypothesis import HealthCheck, example, given, seed, settings

from greeter.tools.compare.case import Case
from greeter.tools.compare.corpus import load_corpus
from greeter.tools.compare.raw_http import request_methods

PROFILE = os.environ.get("GREETER_FUZZ", "quick")
QUICK_EXAMPLES = 300
LONG = PROFILE == "long"
LONG_EXAMPLES = int(os.environ.get("GREETER_FUZZ_EXAMPLES", "20000"))
# a case takes 0.05 to 0.5 s (WAITING, tests/fuzz_servers.py): a second each only catches a run that hangs
TIMEOUT = scaled(LONG_EXAMPLES * 1.0) if LONG else scaled(600)
WERKZEUG = "What Werkzeug's server raises on"
CORPUS = load_corpus()
RAW_DIFFERENCES = [difference for difference in CORPUS.intended if difference.path is None]
RAW_CASES = [case for case in CORPUS.cases if case.raw]


def family_of(case: Case) -> str:
    """The intended difference of the corpus a raw request of it shows."""
    return next(difference.title for difference in RAW_DIFFERENCES if difference.applies_to(case))


def pinned(data: bytes, expected: str = "") -> FuzzCase:
    return FuzzCase(data, tuple(request_methods(data)), ("pinned",), expected)


def corpus_examples(test: Callable[..., Any]) -> Callable[..., Any]:
    """Each raw request of the corpus, pinned: the fuzzer must find it in the family the corpus says."""
    for case in RAW_CASES:
        test = example(case=pinned(case.raw, family_of(case)))(test)
    return test


def profile(test: Callable[..., Any]) -> Callable[..., Any]:
    common: dict[str, Any] = {"deadline": None, "database": None, "suppress_health_check": list(HealthCheck)}
    if LONG:
        return seed(int(os.environ.get("GREETER_FUZZ_SEED", "0")))(settings(max_examples=LONG_EXAMPLES, **common)(test))
    return settings(max_examples=QUICK_EXAMPLES, derandomize=True, **common)(test)


@pytest.fixture(scope="module")
def pair(start_module_server: StartServer) -> Pair:
    return start_pair(start_module_server)


@pytest.mark.timeout(TIMEOUT)
@profile
@given(case=fuzz_case())
@corpus_examples
# the first of each family the fuzzer found that greeter now answers as its twin does (each was a 500 or a
# different answer before greeter/plumbing/request_target.py, flask_routing.py, locations.py and the Host rule)
@example(case=pinned(b"GET ? HTTP/1.1\r\nHost: a\r\n\r\n"))  # an empty path: IndexError in Quart
@example(case=pinned(b"GET #x HTTP/1.1\r\nHost: a\r\n\r\n"))  # empty after the fragment: / not redirected
@example(case=pinned(b"GET http://h?x HTTP/1.1\r\nHost: a\r\n\r\n"))  # an absolute URL with no path
@example(case=pinned(b"GET / HTTP/1.1\r\nHost: " + b"a" * 64 + b"\r\n\r\n"))  # BadHost out of Quart's context
@example(case=pinned(b"GET /process/ HTTP/1.1\r\nHost: xn--\r\n\r\n"))  # url_root's UnicodeError, both apps
@example(case=pinned(b"GET /static/" + b"a" * 8000 + b" HTTP/1.1\r\nHost: a\r\n\r\n"))  # ENAMETOOLONG
@example(case=pinned(b"GET /hello?v=,< HTTP/1.1\r\nHost: a\r\n\r\n"))  # a Location not sent as a URI
@example(case=pinned(b"GET hello/; HTTP/1.1\r\nHost: a\r\n\r\n"))  # urlparse dropped ;params
@example(case=pinned(b"GET hello/a%3Fb%0A HTTP/1.1\r\nHost: a\r\n\r\n"))  # urlparse of the decoded path
@example(case=pinned(b"GET http://h/hello HTTP/1.1\r\nHost: a\r\n\r\n"))  # the authority is the Host
@example(case=pinned(b"GET /hello#x HTTP/1.1\r\nHost: a\r\n\r\n"))  # a fragment in the path: a 404
@example(case=pinned(b"GET /hello/# HTTP/1.1\r\nHost: a\r\n\r\n"))  # ... taken for a name
@example(case=pinned(b"GET /hello?a#b HTTP/1.1\r\nHost: a\r\n\r\n"))  # ... or kept in the query
# Werkzeug's request log raises before the status line: no answer comes, and the fuzzer does not wait for one
@example(case=pinned(b"GET http://xn--a/ HTTP/1.1\r\nHost: a\r\n\r\n", WERKZEUG))
# ... and then answers the next request on the connection, which is not the app's answer to the first: both apps
# refuse the Host `::1` (no brackets) and `xn--` alike (their guards log the same line)
@example(case=pinned(b"GET http://::1/ HTTP/1.1\r\nHost: a\r\n\r\nGET /index HTTP/1.1\r\nHost: a\r\n\r\n", WERKZEUG))
@example(
    case=pinned(
        b"CONNECT http://xn--? HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\n\r\nxGET /index HTTP/1.1\r\n\r\n", WERKZEUG
    )
)
# Werkzeug's 100 Continue to HTTP/0.9, then an answer without a status line: no answer a reader takes
@example(
    case=pinned(
        b"CONNECT /hello** HTTP/0.9\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 0\r\n\r\n",
        "Expect: 100-continue on HTTP/0.9 written out",
    )
)
# http.server's HTTP/0.9 answer to HEAD has no status line and no body: the twin only closes (the long run of seed 200)
@example(
    case=pinned(
        b"HEAD /indexxnamea..?#_ HTTP/0.9\r\nHost: localhost\r\nConnection: close\r\nConnection: close\r\n\r\n",
        "The version HTTP/0.9 written out",
    )
)
def test_greeter_answers_raw_requests_as_its_twin(pair: Pair, case: FuzzCase) -> None:
    finding = classify(run_case(pair, case))
    said = f"\n  request: {case.data[:300]!r}\n  greeter: {finding.greeter}\n  twin:    {finding.twin}"
    if case.expected is not None:
        assert (finding.kind, finding.family) == ((SERVER, case.expected) if case.expected else (SAME, "")), said
    assert finding.kind == SAME or (finding.kind == SERVER and finding.family in SERVER_FAMILIES), (
        f"{finding.kind}: {finding.family}{said}"
        + ("\n  greeter must answer as its twin does, or the corpus list the difference" if finding.kind == APP else "")
    )


def test_every_family_is_an_intended_difference_of_the_corpus_with_a_raw_request() -> None:
    assert sorted(difference.title for difference in RAW_DIFFERENCES) == sorted(SERVER_FAMILIES)
    shown = [family_of(case) for case in RAW_CASES]
    assert sorted(shown) == sorted(SERVER_FAMILIES), "one raw request of the corpus for each family"


def test_the_maintainers_page_gives_the_quick_profile_as_it_is() -> None:
    page = " ".join((DOCS / "maintaining.md").read_text().split())
    assert f"CI runs the quick profile: {QUICK_EXAMPLES} cases, derandomized" in page
