"""Raw requests: bytes sent on a socket exactly as given, and what the server sends back, read leniently.

No HTTP client sends malformed bytes, and none reads every answer a server may give them: an HTTP/0.9 answer (a
body with no status line), interim 1xx answers, several answers on one connection, bytes after the last one. This
reads whatever comes, as far as it reads as HTTP/1.x answers, and keeps the rest.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass

READ_SIZE = 65_536
# the first word of a request, where a request may start: the beginning, or after the blank line ending a head
REQUEST_START = re.compile(rb"(?:\A|\r?\n\r?\n)\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+) ")


@dataclass(frozen=True)
class RawAnswer:
    """One answer as it came; status None for an HTTP/0.9 answer (the body alone). Header names lower-case."""

    status: int | None
    headers: tuple[tuple[str, str], ...]
    body: bytes
    complete: bool = True  # its body came whole, as its framing says

    def header(self, name: str) -> str | None:
        """Every value of a header, joined by commas, or None."""
        values = [value for key, value in self.headers if key == name]
        return ",".join(values) if values else None


@dataclass(frozen=True)
class RawExchange:
    """What a server did with the bytes: its answers, the interim ones, what was left, and whether it closed."""

    answers: tuple[RawAnswer, ...]
    interim: tuple[int, ...]  # 1xx statuses, in order
    leftover: bytes  # bytes after the last answer that read as no answer
    closed: bool  # the server closed the connection (or reset it); else it was still open at the end
    sent: bytes  # everything the server sent


def request_methods(data: bytes) -> list[str]:
    """The method of each request the bytes seem to hold: an answer to HEAD has no body whatever it announces."""
    return [match.decode("latin-1") for match in REQUEST_START.findall(data)] or ["GET"]


def read_answers(data: bytes, methods: Sequence[str], *, final: bool) -> tuple[list[RawAnswer], list[int], bytes]:
    """The answers in what a server sent, the interim statuses, and what is left. `final`: nothing more will come,
    so a body read to the connection's end is complete."""
    answers: list[RawAnswer] = []
    interim: list[int] = []
    rest = data
    if rest and not rest.startswith(b"HTTP/"):
        # no status line: an HTTP/0.9 answer once the server has closed (it ends there), or bytes of another kind
        return ([RawAnswer(None, (), rest)], interim, b"") if final else ([], interim, rest)
    while rest.startswith(b"HTTP/"):
        end = rest.find(b"\r\n\r\n")
        if end < 0:
            return answers, interim, rest
        head, rest = rest[:end], rest[end + 4 :]
        status_line, *lines = head.split(b"\r\n")
        try:
            status = int(status_line.split(b" ")[1])
        except (IndexError, ValueError):
            return answers, interim, head + b"\r\n\r\n" + rest
        if 100 <= status < 200:
            interim.append(status)
            continue
        headers = tuple(_header(line) for line in lines)
        method = methods[len(answers)] if len(answers) < len(methods) else "GET"
        body, rest, complete = _body(status, headers, rest, head_request=method == "HEAD", final=final)
        answers.append(RawAnswer(status, headers, body, complete))
    return answers, interim, rest


def _header(line: bytes) -> tuple[str, str]:
    name, _, value = line.partition(b":")
    return name.strip().lower().decode("latin-1"), value.strip().decode("latin-1")


def _body(
    status: int, headers: tuple[tuple[str, str], ...], rest: bytes, *, head_request: bool, final: bool
) -> tuple[bytes, bytes, bool]:
    """The answer's body, what follows it, and whether the body came whole."""
    if head_request or status in (204, 304):
        return b"", rest, True
    if any("chunked" in value.lower() for name, value in headers if name == "transfer-encoding"):
        return _dechunked(rest)
    lengths = [value for name, value in headers if name == "content-length"]
    if lengths and lengths[0].isdigit():
        length = int(lengths[0])
        return rest[:length], rest[length:], len(rest) >= length
    return rest, b"", final  # until the connection closes


def _dechunked(data: bytes) -> tuple[bytes, bytes, bool]:
    body = b""
    while True:
        line_end = data.find(b"\r\n")
        if line_end < 0:
            return body, b"", False
        try:
            size = int(data[:line_end].split(b";")[0], 16)
        except ValueError:
            return body, data, True
        data = data[line_end + 2 :]
        if size == 0:  # the last chunk: then trailer lines, if any, and a blank line
            if data.startswith(b"\r\n"):
                return body, data[2:], True
            end = data.find(b"\r\n\r\n")
            return (body, data[end + 4 :], True) if end >= 0 else (body, b"", False)
        if len(data) < size + 2:
            return body + data, b"", False
        body, data = body + data[:size], data[size + 2 :]


async def exchange_raw(
    host: str,
    port: int,
    data: bytes,
    *,
    methods: Sequence[str] | None = None,
    patience: float,
    quiet: float,
    timeout: float,
    between: float | None = None,
) -> RawExchange:
    """Send the bytes on a new connection and read until the server closes it, or has answered every request and
    then sent nothing for `quiet` seconds, or sent nothing for `patience` seconds (`between`, once it has answered
    a request but not all), or `timeout` has passed. `methods`: of the requests in the bytes, if known."""
    methods = request_methods(data) if methods is None else methods
    sent = b""
    closed = False
    deadline = time.monotonic() + timeout
    # a server whose backlog is full, or that reads none of a large request, holds these too: `timeout` bounds both
    reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    try:
        try:
            writer.write(data)
            await asyncio.wait_for(writer.drain(), max(0.0, deadline - time.monotonic()))
        except OSError:  # it closed before taking every byte, or took none by the deadline (TimeoutError): what it
            pass  # answered meanwhile is still read
        while (left := deadline - time.monotonic()) > 0:
            answers, _, leftover = read_answers(sent, methods, final=False)
            complete = [answer for answer in answers if answer.complete]
            other_protocol = not b"HTTP/".startswith(leftover[:5])  # no HTTP/1 answer begins so: HTTP/2 frames
            if other_protocol or (len(complete) >= len(methods) and not leftover):
                wait = quiet
            else:
                wait = patience if not complete or between is None else between
            try:
                chunk = await asyncio.wait_for(reader.read(READ_SIZE), min(wait, left))
            except TimeoutError:
                break
            except OSError:
                closed = True
                break
            if not chunk:
                closed = True
                break
            sent += chunk
    finally:
        writer.close()
    answers, interim, leftover = read_answers(sent, methods, final=closed)
    return RawExchange(tuple(answers), tuple(interim), leftover, closed, sent)
