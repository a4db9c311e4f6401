"""Send the corpus to both sides and judge each answer: over real HTTP, or in-process through the test clients."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from flask import Flask
from quart import Quart
from quart.testing import QuartClient

from greeter.tools.compare.corpus import Case
from greeter.tools.compare.http_client import fetch_over_http
from greeter.tools.compare.in_process import fetch_from_flask, fetch_from_quart
from greeter.tools.compare.observe import observe
from greeter.tools.compare.verdict import Outcome, judge
from greeter.tools.servers import RunningServer

REQUEST_TIMEOUT = 15.0  # longer than any wait of the corpus
TEST_CLIENT_ORIGIN = "http://localhost"  # where both test clients say they are


@dataclass(frozen=True)
class Comparison:
    """A finished comparison: what was compared, how, and every case's outcome."""

    twin_name: str
    quart_name: str
    mode: str  # "over HTTP" or "in-process"
    outcomes: list[Outcome]


async def compare_over_http(cases: list[Case], twin: RunningServer, quart: RunningServer) -> Comparison:
    """Each case to both servers at once, one case after another, each request on a connection of its own."""
    outcomes: list[Outcome] = []
    for case in cases:
        twin_answer, quart_answer = await asyncio.gather(
            fetch_over_http(*twin.host_and_port, case, REQUEST_TIMEOUT),
            fetch_over_http(*quart.host_and_port, case, REQUEST_TIMEOUT),
        )
        outcomes.append(judge(case, observe(twin_answer, case, twin.origin), observe(quart_answer, case, quart.origin)))
    return Comparison(twin.spec.name, quart.spec.name, "over HTTP", outcomes)


async def compare_in_process(cases: list[Case], twin_app: Flask, quart_app: Quart) -> Comparison:
    """Each case through both test clients; the Quart app runs its serving lifecycle (the ticker) meanwhile."""
    twin_client = twin_app.test_client()
    outcomes: list[Outcome] = []
    async with quart_app.test_app() as serving:
        quart_client = serving.test_client()
        assert isinstance(quart_client, QuartClient)  # the protocol test_client() declares names less
        for case in cases:
            twin_answer = fetch_from_flask(twin_client, case)
            quart_answer = await fetch_from_quart(quart_client, case, REQUEST_TIMEOUT)
            outcomes.append(
                judge(
                    case,
                    observe(twin_answer, case, TEST_CLIENT_ORIGIN),
                    observe(quart_answer, case, TEST_CLIENT_ORIGIN),
                )
            )
    return Comparison(
        "the Flask twin through Flask's test client",
        "the Quart app through Quart's test client",
        "in-process",
        outcomes,
    )
