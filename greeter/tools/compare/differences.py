"""Where the Quart app answers differently from the Flask app on purpose: a corpus file says which, and why.

greeter's own are in corpus.toml beside this module; the "Differences from the Flask version" of
docs/comparing.md is made from them (`greeter compare --differences` prints it, tests/test_compare.py checks it).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from greeter.tools.compare.case import Case
from greeter.tools.compare.observe import NOT_COMPARED, Mask, Observed


@dataclass(frozen=True)
class IntendedDifference:
    """A difference that is meant: which requests, which compared parts, and what must hold for it to be only that."""

    title: str
    reason: str
    path: str | None  # a regular expression the whole path matches; None: raw requests only, those `raw` finds
    parts: frozenset[str]  # of observe.COMPARED: the parts that may differ
    methods: frozenset[str] | None = None  # None: every method
    flask_status: int | None = None  # the status the Flask app must answer, if any
    quart_status: int | None = None
    other_headers: frozenset[str] | None = None  # the only other headers that may differ (names); None: any
    # taken out of both bodies, what is left must be the same; None: the bodies may differ in any way
    set_aside: re.Pattern[bytes] | None = None
    # searched in a raw request's bytes, each byte one character (latin-1)
    raw: re.Pattern[str] | None = None

    def applies_to(self, case: Case) -> bool:
        if self.path is None:  # a difference of raw requests
            return self.raw is not None and bool(case.raw) and self.raw.search(case.raw.decode("latin-1")) is not None
        return (
            not case.raw
            and (self.methods is None or case.method in self.methods)
            and re.fullmatch(self.path, case.path) is not None
        )

    def covers(self, case: Case, differing: frozenset[str], flask: Observed, quart: Observed) -> bool:
        return (
            self.applies_to(case)
            and differing <= self.parts
            and self.flask_status in (None, flask.status)
            and self.quart_status in (None, quart.status)
            and (self.other_headers is None or self._headers_but(flask) == self._headers_but(quart))
            and (self.set_aside is None or self.without(flask.body) == self.without(quart.body))
        )

    def without(self, body: bytes) -> bytes:
        """The body with the intended part taken out."""
        return body if self.set_aside is None else self.set_aside.sub(b"", body)

    def _headers_but(self, observed: Observed) -> list[tuple[str, str]]:
        allowed = self.other_headers or frozenset()
        return [header for header in observed.other_headers if header[0] not in allowed]


def differences_markdown(
    intended: Sequence[IntendedDifference], masks: Sequence[Mask] = (), cases: Sequence[Case] = ()
) -> str:
    """Every intended difference with its reason (and, for raw requests, the first of the cases it applies to, as
    an example), what is masked, then what is never compared: Markdown."""
    lines = []
    for difference in intended:
        parts = ", ".join(sorted(difference.parts))
        example = next((case for case in cases if case.raw and difference.applies_to(case)), None)
        shown = "" if example is None else f" For example: `{example.shown(200)}`."
        lines.append(f"- **{difference.title}** (differs in: {parts}). {difference.reason}{shown}")
    if not intended:
        lines.append("- None: every answer is expected to be the same.")
    if masks:
        lines += ["", "Masked (replaced by `(varies)` on both sides before comparing):", ""]
        lines += [f"- {mask_scope(mask)}" + (f": {mask.why.rstrip('.')}." if mask.why else ".") for mask in masks]
    lines += ["", "Not compared, on any request:", ""]
    lines += [f"- {what}: {why}." for what, why in NOT_COMPARED.items()]
    return "\n".join(lines) + "\n"


def mask_scope(mask: Mask) -> str:
    """What a mask covers, in a few words: `the X-Request-Id header`, `parts of the body on /process/`."""
    what = f"the {mask.header} header" if mask.header is not None else "parts of the body"
    return what if mask.path is None else f"{what} on {mask.path}"
