"""Where the Quart app answers differently from the Flask twin on purpose, each with its reason: the one list.

The "Differences from the Flask version" of docs/comparing.md is made from this list (tests/test_compare.py
checks it is up to date: `greeter compare --differences` prints it).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from greeter.tools.compare.corpus import Case
from greeter.tools.compare.observe import NOT_COMPARED, Observed

LIVE_PARTS = re.compile(
    rb' On one event loop, it serves every waiting client at once\.|<p id="live".*?</p>\n|<script>.*?</script>\n',
    re.DOTALL,
)


@dataclass(frozen=True)
class IntendedDifference:
    """A difference that is meant: which requests, which compared parts, and the check that it is only that."""

    title: str
    path: str  # a regular expression the whole path matches
    parts: frozenset[str]  # of observe.COMPARED: the parts that may differ
    reason: str
    holds: Callable[[Observed, Observed], bool]  # (twin, quart): true when the difference is the intended one
    # the intended part taken out of a body, and what is left must be the same; None: the bodies may differ
    set_aside: Callable[[bytes], bytes] | None = None

    def applies_to(self, case: Case) -> bool:
        return re.fullmatch(self.path, case.path) is not None

    def covers(self, case: Case, differing: frozenset[str], twin: Observed, quart: Observed) -> bool:
        return (
            self.applies_to(case)
            and differing <= self.parts
            and self.holds(twin, quart)
            and (self.set_aside is None or self.set_aside(twin.body) == self.set_aside(quart.body))
        )


def _stream_only_in_quart(twin: Observed, quart: Observed) -> bool:
    return twin.status == 404


def _live_parts_set_aside(body: bytes) -> bytes:
    return LIVE_PARTS.sub(b"", body)


def _same_headers_but_the_length(twin: Observed, quart: Observed) -> bool:
    # a HEAD answer's Content-Length is the length of the page, which the live parts change
    def without_length(observed: Observed) -> list[tuple[str, str]]:
        return [header for header in observed.other_headers if header[0] != "content-length"]

    return without_length(twin) == without_length(quart)


INTENDED = (
    IntendedDifference(
        title="/process/stream exists only in the Quart app",
        path="/process/stream",
        parts=frozenset({"status", "content type", "allow", "other headers", "body"}),
        reason=(
            "The live stream is what async adds: one event loop keeps every viewer's connection open without a "
            "thread each. The twin has no such route (on Werkzeug each viewer would hold a thread for as long as "
            "it watched), so it answers 404 to every method, where the Quart app streams to GET, answers HEAD and "
            "OPTIONS, and refuses other methods with 405."
        ),
        holds=_stream_only_in_quart,
    ),
    IntendedDifference(
        title="/process/ updates live in the Quart app",
        path="/process/",
        parts=frozenset({"other headers", "body"}),
        reason=(
            "The Quart page links its live stream and carries the script that reads it; the twin's page says to "
            "reload instead. Everything else on the page is the same template. The figures (pid, server, uptime, "
            "counts) change from request to request, so they are masked on both sides and never compared."
        ),
        holds=_same_headers_but_the_length,
        set_aside=_live_parts_set_aside,
    ),
)


def differences_markdown() -> str:
    """That section's body: every intended difference with its reason, then what is not compared."""
    lines = []
    for difference in INTENDED:
        parts = ", ".join(sorted(difference.parts))
        lines.append(f"- **{difference.title}** (differs in: {parts}). {difference.reason}")
    lines += ["", "Not compared, on any request:", ""]
    lines += [f"- {what}: {why}." for what, why in NOT_COMPARED.items()]
    return "\n".join(lines) + "\n"
