"""A raw request of a corpus: bytes as sent on the socket, which no HTTP client would send, and both servers'
answers read leniently (greeter/tools/compare/raw_http.py), over real HTTP only.

In a corpus file `raw` is a string whose every character is one byte (U+0000 to U+00FF: `\\u0080` is the byte
0x80), or a list of such strings and `[text, times]` pairs, joined; `"\\r\\n"` ends a line, as on the wire.
"""

from __future__ import annotations

from greeter.tools.compare.exchange import Exchange, no_answer
from greeter.tools.compare.raw_http import RawExchange, exchange_raw

HTTP_09 = "an HTTP/0.9 answer: a body, no status line"
QUIET_SECONDS = 0.5  # once every request of the bytes has its answer: how long to wait for more, or a close
MOST_REPEATS = 100_000


def raw_bytes(value: object) -> bytes | str:
    """The bytes a corpus's `raw` value stands for, or what is wrong with it."""
    parts = value if isinstance(value, list) else [value]
    text = ""
    for part in parts:
        if isinstance(part, str):
            text += part
        elif (
            isinstance(part, list)
            and len(part) == 2
            and isinstance(part[0], str)
            and isinstance(part[1], int)
            and not isinstance(part[1], bool)
            and 0 < part[1] <= MOST_REPEATS
        ):
            text += part[0] * part[1]
        else:
            return "that is neither text nor a list of texts and [text, times] pairs (times from 1 to 100,000)"
    if not text:
        return "that is empty"
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError as error:
        return f"with a character that is no byte: {text[error.start]!r} (each is one byte, \\u0000 to \\u00ff)"


async def fetch_raw(host: str, port: int, data: bytes, timeout: float) -> Exchange:
    """Send the bytes on a new connection; the first answer as an Exchange, what else came in `others`."""
    try:
        raw = await exchange_raw(host, port, data, patience=timeout, quiet=QUIET_SECONDS, timeout=timeout)
    except TimeoutError:  # before OSError, whose subclass it is
        return no_answer(f"no connection within {timeout:g} s")
    except OSError as error:
        return no_answer(f"the connection failed: {error.strerror or error}")
    return as_exchange(raw, timeout)


def as_exchange(raw: RawExchange, timeout: float) -> Exchange:
    """The first final answer, and the rest in a few words each: interim answers, later answers, other bytes."""
    others = tuple(f"{status} before" for status in raw.interim)
    others += tuple(f"{answer.status or 'HTTP/0.9'} after" for answer in raw.answers[1:])
    if raw.leftover:
        others += ("bytes that are no HTTP/1 answer",)
    if not raw.answers:
        if raw.leftover:
            return Exchange(0, error="no HTTP/1 answer", others=others)
        if raw.closed:
            return Exchange(0, error="closed the connection without an answer", others=others)
        return Exchange(0, error=f"no answer within {timeout:g} s, the connection still open", others=others)
    first = raw.answers[0]
    if first.status is None:
        return Exchange(0, body=first.body, error=HTTP_09, others=others)
    return Exchange(first.status, first.headers, first.body, others=others)
