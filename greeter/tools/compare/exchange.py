"""What a server answered to one request of the corpus, as it came, before any comparing."""

from __future__ import annotations

from dataclasses import dataclass

EVENT_STREAM = "text/event-stream"
# the methods whose requests carry a (here empty) body, so clients send Content-Length: 0 with them
METHODS_WITH_BODY = ("POST", "PUT", "PATCH")


@dataclass(frozen=True)
class Exchange:
    """One answer: the status, the headers (names lower-case, in order) and the body.

    A live stream never ends, so its body is only the first event. `error` is set when no answer came at all.
    """

    status: int
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    error: str | None = None

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
