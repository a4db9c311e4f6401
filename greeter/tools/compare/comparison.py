"""Send the corpus to both sides and judge each answer: over real HTTP, or in-process through the test clients."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, replace

from flask import Flask
from quart import Quart
from quart.testing import QuartClient

from greeter.shared.stop_request import StopRequest
from greeter.tools.compare.case import Case
from greeter.tools.compare.cookies import Browser
from greeter.tools.compare.corpus import Corpus
from greeter.tools.compare.http_client import fetch_over_http
from greeter.tools.compare.in_process import ORIGIN as TEST_CLIENT_ORIGIN
from greeter.tools.compare.in_process import fetch_from_flask, fetch_from_quart
from greeter.tools.compare.logs import LogTail, frozen_before, last_few, listening, notable, warnings_said
from greeter.tools.compare.observe import observe
from greeter.tools.compare.verdict import Outcome, Verdict, judge
from greeter.tools.servers import RunningServer

REQUEST_TIMEOUT = 15.0  # longer than any wait of greeter's corpus


@dataclass(frozen=True)
class Comparison:
    """A finished comparison: what was compared, how, with which corpus, and every case's outcome."""

    twin_name: str
    quart_name: str
    mode: str  # "over HTTP" or "in-process"
    corpus: Corpus
    outcomes: list[Outcome]

    @property
    def failed(self) -> bool:
        """Any MISMATCH, or a coroutine never awaited (a porting bug, whatever the answers) anywhere."""
        return any(outcome.verdict is Verdict.MISMATCH or outcome.never_awaited for outcome in self.outcomes)


def with_browsers(
    cases: tuple[Case, ...], flask_origin: str, quart_origin: str
) -> Iterator[tuple[Case, Browser | None, Browser | None]]:
    """Each case with each side's browser: new ones at the start of each sequence, none for a case alone."""
    flask_browser = quart_browser = None
    sequence = ""
    for case in cases:
        if case.sequence != sequence or case.step == 1:
            sequence = case.sequence
            flask_browser = Browser(flask_origin) if sequence else None
            quart_browser = Browser(quart_origin) if sequence else None
        yield case, flask_browser, quart_browser


async def compare_over_http(corpus: Corpus, twin: RunningServer, quart: RunningServer) -> Comparison:
    """Each case to both servers at once, one case after another, each request on a connection of its own."""
    outcomes: list[Outcome] = []
    twin_log, quart_log = LogTail(twin.log_path), LogTail(quart.log_path)
    twin_log.new_lines(), quart_log.new_lines()  # what they said as they started is no case's
    for case, twin_browser, quart_browser in with_browsers(corpus.cases, twin.origin, quart.origin):
        StopRequest.check()  # a Ctrl+C between two requests: the servers are stopped on the way out
        twin_answer, quart_answer = await asyncio.gather(
            fetch_over_http(*twin.host_and_port, case, REQUEST_TIMEOUT, twin_browser),
            fetch_over_http(*quart.host_and_port, case, REQUEST_TIMEOUT, quart_browser),
        )
        outcomes.append(
            judge(
                case,
                observe(twin_answer, case, twin.origin, corpus.masks),
                observe(quart_answer, case, quart.origin, corpus.masks),
                corpus.intended,
                twin_said=notable(twin_log.new_lines()),
                quart_said=notable(quart_log.new_lines()),
                said_is_the_cases=False,  # what a server printed meanwhile: a warning may be an earlier request's
            )
        )
    return Comparison(twin.spec.name, quart.spec.name, "over HTTP", corpus, outcomes)


async def compare_in_process(
    corpus: Corpus,
    twin_app: Flask,
    quart_app: Quart,
    names: tuple[str, str] = (
        "the Flask twin through Flask's test client",
        "the Quart app through Quart's test client",
    ),
) -> Comparison:
    """Each case through both test clients; the Quart app runs its serving lifecycle meanwhile, as when served.

    Raw requests are left out, and the corpus's notes say so: bytes on a socket need real servers."""
    raw = [case for case in corpus.cases if case.raw]
    if raw:
        corpus = replace(
            corpus,
            cases=tuple(case for case in corpus.cases if not case.raw),
            notes=(*corpus.notes, f"{len(raw)} raw request(s): bytes sent on a socket need real servers (over HTTP)"),
        )
    twin_client = twin_app.test_client(use_cookies=False)  # the cookies are the sequence's, as over HTTP
    outcomes: list[Outcome] = []
    with frozen_before(), listening(twin_app) as twin_log, listening(quart_app) as quart_log:
        async with quart_app.test_app():
            quart_client = quart_app.test_client(use_cookies=False)
            assert isinstance(quart_client, QuartClient)  # the protocol test_client() declares names less
            for case, twin_browser, quart_browser in with_browsers(
                corpus.cases, TEST_CLIENT_ORIGIN, TEST_CLIENT_ORIGIN
            ):
                StopRequest.check()  # a Ctrl+C between two requests
                with warnings_said() as twin_warned:
                    twin_answer = fetch_from_flask(twin_client, case, twin_browser)
                with warnings_said() as quart_warned:
                    quart_answer = await fetch_from_quart(quart_client, case, REQUEST_TIMEOUT, quart_browser)
                outcomes.append(
                    judge(
                        case,
                        observe(twin_answer, case, TEST_CLIENT_ORIGIN, corpus.masks),
                        observe(quart_answer, case, TEST_CLIENT_ORIGIN, corpus.masks),
                        corpus.intended,
                        twin_said=last_few(twin_log.taken() + twin_warned),
                        quart_said=last_few(quart_log.taken() + quart_warned),
                    )
                )
    return Comparison(*names, "in-process", corpus, outcomes)
