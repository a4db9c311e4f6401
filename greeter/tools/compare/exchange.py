"""What a server answered to one request of the corpus, as it came, before any comparing."""

from __future__ import annotations

from dataclasses import dataclass

from greeter.tools.compare.case import Case

EVENT_STREAM = "text/event-stream"
# the methods whose requests carry a body (empty unless the corpus gives one), so clients send Content-Length
METHODS_WITH_BODY = ("POST", "PUT", "PATCH")
USER_AGENT = "greeter-compare"  # the same on both sides, in both modes


@dataclass(frozen=True)
class Exchange:
    """One answer: the status, the headers (names lower-case, in order) and the body.

    A live stream never ends, so its body is only the first event. `error` is set when no answer came at all (or,
    to a raw request, one with no status line). `others`: what else a raw request's connection carried.
    """

    status: int
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    error: str | None = None
    others: tuple[str, ...] = ()  # interim answers, answers after this one, bytes that are no answer

    def header(self, name: str) -> str | None:
        """The first value of a header, by its name in any case."""
        name = name.lower()
        return next((value for key, value in self.headers if key == name), None)

    @property
    def is_stream(self) -> bool:
        return (self.header("content-type") or "").startswith(EVENT_STREAM)


def no_answer(reason: str) -> Exchange:
    return Exchange(status=0, error=reason)


def first_event(data: bytes) -> bytes | None:
    """The first server-sent event of a stream's data, or None while it is incomplete."""
    end = data.find(b"\n\n")
    return None if end < 0 else data[: end + 2]


def request_headers(case: Case, cookie: str | None) -> list[tuple[str, str]]:
    """What every client sends after Host: the same User-Agent, the body's length, the case's own, the cookies."""
    headers = [("User-Agent", USER_AGENT)]
    if case.body or case.method in METHODS_WITH_BODY:
        headers.append(("Content-Length", str(len(case.body))))
    given = {name.lower() for name, _ in case.headers}
    headers = [header for header in headers if header[0].lower() not in given] + list(case.headers)
    if cookie is not None and "cookie" not in given:
        headers.append(("Cookie", cookie))
    return headers
