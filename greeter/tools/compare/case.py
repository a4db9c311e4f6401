"""One request of a corpus, as a client sends it: a method, a target, headers, a body, and its place in a sequence."""

from __future__ import annotations

from dataclasses import dataclass

ALL_METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS")
RAW = "RAW"  # the method column of a raw case: its bytes say the rest


@dataclass(frozen=True)
class Case:
    """One request. `headers` are sent after the client's own (Host, User-Agent), replacing any of the same name.

    Cases of one `sequence` are sent in order, each side keeping the cookies its answers set, as a browser does;
    a case with no sequence is sent with no cookie. A raw case is its `raw` bytes alone, sent on a socket as they
    are (greeter/tools/compare/raw_case.py); its method is RAW and its target empty.
    """

    method: str
    target: str
    why: str = ""
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    sends: str = ""  # what the body is, in a few words: "a form", "JSON", "a file"; "" for none
    sequence: str = ""
    step: int = 0  # its place in its sequence, from 1
    raw: bytes = b""

    @property
    def path(self) -> str:
        return self.target.partition("?")[0]

    @property
    def query(self) -> str:
        return self.target.partition("?")[2]

    def header(self, name: str) -> str | None:
        """The value the corpus gives a header, by its name in any case."""
        return next((value for key, value in self.headers if key.lower() == name.lower()), None)

    def shown(self, width: int = 48) -> str:
        """The target, shortened for a table: the long names of a corpus would fill a screen. A raw case's bytes,
        as Python writes them (`\\r\\n`, `\\x80`)."""
        if self.raw:
            escaped = [repr(bytes([byte]))[2:-1] for byte in self.raw]  # cut between two bytes, never in an escape
            if sum(map(len, escaped)) <= width:
                return "".join(escaped)
            shown = ""
            for piece in escaped:
                if len(shown) + len(piece) > width - 18:
                    break
                shown += piece
            return f"{shown}…({len(self.raw)} bytes)"
        if len(self.target) <= width:
            return self.target
        return f"{self.target[: width - 16]}…({len(self.target)} chars)"

    @property
    def context(self) -> str:
        """What else the request carries, and where it stands: `(a form; "a login" 2/3)`, or ""."""
        parts = [self.sends] if self.sends else []
        if self.sequence:
            parts.append(f"{self.sequence!r} step {self.step}")
        return f"({'; '.join(parts)})" if parts else ""
