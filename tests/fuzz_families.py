"""The family of a difference between greeter's answers and its twin's to the same raw bytes (tests/test_fuzz.py).

- a crash: greeter answered 500, or its log has a traceback; never allowed;
- a server-layer family: h11 under Hypercorn and http.server under Werkzeug read or refuse the bytes differently,
  before any app (tests/fuzz_models.py says which and why, on the same bytes). Each is an intended difference
  of greeter's corpus (greeter/tools/compare/corpus.toml, whose raw request shows it), by the same title;
- an app-level difference: both apps answered (their answers carry the security headers), differently. greeter
  must answer as its twin does, unless the corpus lists the difference;
- unexplained: a server-layer difference no family explains. Never allowed: a new family gets its reason first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import h11
from fuzz_models import (
    HYPERCORN_HEAD_LIMIT,
    Refusal,
    h11_after_head,
    h11_head,
    head_length,
    hosts_differ_by_whitespace,
    request_line_problem,
    target_of,
    werkzeug_answers,
    werkzeug_head,
)
from werkzeug.urls import iri_to_uri

from greeter.tools.compare.raw_http import RawAnswer, RawExchange

SECURITY_HEADER = "content-security-policy"  # on every answer either app makes, none a server makes
CRASH_MARKERS = ("Traceback (most recent call last)", "Error in ASGI Framework")
# socketserver's report of its handler's error; run_wsgi's of an error writing the answer (log_request's, say)
WERKZEUG_RAISED = ("Exception occurred during processing of request", "Error on request:")
PROCESS_PAGE = b'data-figure="pid"'
# greeter's line for a lower-case `head` whose answer h11 refused (greeter/plumbing/lower_case_head.py)
LOWER_CASE_HEAD_LINE = "came with its method in another case"

# the server-layer families: each the title of an intended difference of greeter's corpus.toml
NON_ASCII_TARGET = "h11 takes no raw byte above 0x7E in a target"
CONTROL_BYTE_TARGET = "h11 takes no control byte in a target"
SPACING = "h11 wants one space between the three parts of a request line"
METHOD_TOKEN = "h11 wants a token for a method"
VERSION_FORM = "h11 wants HTTP/d.d for a version"
HTTP_09_LINE = "A request line without a version (HTTP/0.9)"
BLANK_LINE = "A blank line before the request line"
TWO_HOSTS = "Two Host headers"
NO_HOST = "HTTP/1.1 without a Host"
HEADER_GRAMMAR = "A header line h11's grammar refuses"
HEAD_OVER_16_KIB = "A head over 16 KiB"
TRANSFER_CODING = "A Transfer-Encoding other than chunked"
CONTENT_LENGTH = "A Content-Length h11 refuses"
BAD_CHUNKS = "A malformed chunked body that no view reads"
AFTER_CLOSE = "Bytes after a request that closes the connection"
HTTP_2 = "HTTP/2: its preface, or Upgrade: h2c"
WEBSOCKET = "A WebSocket handshake Hypercorn finds invalid"
MANY_HEADERS = "More than 100 header lines"
VERSION_2_OR_3 = "HTTP/2.0 or HTTP/3.0 on an HTTP/1 request line"
EXPLICIT_09 = "The version HTTP/0.9 written out"
EXPECT_100_ON_09 = "Expect: 100-continue on HTTP/0.9 written out"
WERKZEUG_RAISES = "What Werkzeug's server raises on"
PIPELINED = "More than one request on a connection"
EXPECT_100 = "Expect: 100-continue"
HOST_WHITESPACE = "Whitespace around the Host"
LOWER_CASE_HEAD = "A lower-case head"
SERVER_FAMILIES = (
    NON_ASCII_TARGET,
    CONTROL_BYTE_TARGET,
    SPACING,
    METHOD_TOKEN,
    VERSION_FORM,
    HTTP_09_LINE,
    BLANK_LINE,
    TWO_HOSTS,
    NO_HOST,
    HEADER_GRAMMAR,
    HEAD_OVER_16_KIB,
    TRANSFER_CODING,
    CONTENT_LENGTH,
    BAD_CHUNKS,
    AFTER_CLOSE,
    HTTP_2,
    WEBSOCKET,
    MANY_HEADERS,
    VERSION_2_OR_3,
    EXPLICIT_09,
    EXPECT_100_ON_09,
    WERKZEUG_RAISES,
    PIPELINED,
    EXPECT_100,
    HOST_WHITESPACE,
    LOWER_CASE_HEAD,
)
# what h11 says, and the request line's problem, to the family
REQUEST_LINE = {
    "spaces": SPACING,
    "no version": HTTP_09_LINE,
    "method": METHOD_TOKEN,
    "non-ASCII": NON_ASCII_TARGET,
    "control byte": CONTROL_BYTE_TARGET,
    "version": VERSION_FORM,
}
H11_REFUSALS = {
    "no request line received": BLANK_LINE,
    "Found multiple Host": TWO_HOSTS,
    "Missing mandatory Host": NO_HOST,
    "illegal header line": HEADER_GRAMMAR,
    "continuation line at start": HEADER_GRAMMAR,
    "Receive buffer too long": HEAD_OVER_16_KIB,
    "Only Transfer-Encoding: chunked": TRANSFER_CODING,
    "bad Content-Length": CONTENT_LENGTH,
    "conflicting Content-Length": CONTENT_LENGTH,
    "Got data when expecting EOF": AFTER_CLOSE,
    "illegal chunk header": BAD_CHUNKS,
    "malformed chunk footer": BAD_CHUNKS,
}

SAME, SERVER, APP, CRASH, UNEXPLAINED = "same", "server", "app", "crash", "unexplained"


@dataclass(frozen=True)
class Seen:
    """One case as both servers took it: the bytes, each exchange, and what each server logged meanwhile."""

    data: bytes
    methods: tuple[str, ...]
    greeter: RawExchange
    twin: RawExchange
    greeter_log: str
    twin_log: str


@dataclass(frozen=True)
class Finding:
    """What the two answers make: `kind` (SAME, SERVER, APP, CRASH, UNEXPLAINED), the family, each side in a line."""

    kind: str
    family: str
    greeter: str = ""
    twin: str = ""


def from_app(answer: RawAnswer | None) -> bool:
    return answer is not None and answer.header(SECURITY_HEADER) is not None


def first(exchange: RawExchange) -> RawAnswer | None:
    return exchange.answers[0] if exchange.answers else None


def compared(answer: RawAnswer) -> tuple[Any, ...]:
    """What is compared of an answer: what a client acts on. Not the Date, the Server, the framing, the reason
    phrase, nor the process page's figures (each request's own)."""
    left_out = {"date", "server", "content-length", "connection", "transfer-encoding", "keep-alive"}
    headers = sorted((name, value) for name, value in answer.headers if name not in left_out)
    body = b"(the process page)" if PROCESS_PAGE in answer.body else answer.body
    if (allow := answer.header("allow")) is not None:  # Werkzeug's order is a set's, per process
        headers = [(n, ", ".join(sorted(allow.split(", "))) if n == "allow" else v) for n, v in headers]
    return answer.status, tuple(headers), body


def summary(exchange: RawExchange) -> str:
    """The first answer in a line: its status, whether the app made it, its Location, its body's start."""
    answer = first(exchange)
    if answer is None:
        what = "closed, no answer" if exchange.closed else "no answer, the connection still open"
        return what + (f", then {exchange.leftover[:30]!r}" if exchange.leftover else "")
    location = f" -> {answer.header('location')}" if answer.header("location") else ""
    more = f" (+{len(exchange.answers) - 1} more)" if len(exchange.answers) > 1 else ""
    made = "app" if from_app(answer) else "server"
    return f"{answer.status or 'HTTP/0.9'} from the {made}{location} {answer.body[:60]!r}{more}"


def classify(seen: Seen) -> Finding:
    """The difference's kind and family; SAME if greeter answered as its twin did."""
    greeter, twin = seen.greeter, seen.twin
    sides = summary(greeter), summary(twin)
    if any(marker in seen.greeter_log for marker in CRASH_MARKERS) or any(a.status == 500 for a in greeter.answers):
        return Finding(CRASH, crash_family(seen.greeter_log), *sides)
    if _same(greeter, twin):
        return Finding(SAME, "", *sides)
    if LOWER_CASE_HEAD_LINE in seen.greeter_log and any(m != "HEAD" and m.upper() == "HEAD" for m in seen.methods):
        return Finding(SERVER, LOWER_CASE_HEAD, *sides)
    family = server_family(seen)
    if family is not None:
        return Finding(SERVER, family, *sides)
    g_first, t_first = first(greeter), first(twin)
    if g_first is not None and t_first is not None and from_app(g_first) and from_app(t_first):
        return Finding(APP, app_family(seen, g_first, t_first), *sides)
    return Finding(UNEXPLAINED, f"greeter: {sides[0][:50]} / twin: {sides[1][:50]}", *sides)


def _same(greeter: RawExchange, twin: RawExchange) -> bool:
    return (
        [compared(answer) for answer in greeter.answers] == [compared(answer) for answer in twin.answers]
        and greeter.interim == twin.interim
        and bool(greeter.leftover) == bool(twin.leftover)
    )


def server_family(seen: Seen) -> str | None:
    """The family of a difference the servers made, before the apps; None if none explains it."""
    greeter, twin, data = seen.greeter, seen.twin, seen.data
    greeter_app, twin_app = from_app(first(greeter)), from_app(first(twin))
    explicit_09 = re.match(rb"\s*\S+[ \t]+\S+[ \t]+HTTP/0\.9", data) is not None
    if 101 in greeter.interim or greeter.sent.startswith(b"\x00\x00"):  # an HTTP/2 frame's length, then SETTINGS
        return HTTP_2
    greeter_first = first(greeter)
    if (
        greeter_first is not None
        and greeter_first.status == 431
        and not greeter_app
        and head_length(data) > HYPERCORN_HEAD_LIMIT
    ):
        return HEAD_OVER_16_KIB  # whether Hypercorn refuses it depends on how many reads the head came in
    head = h11_head(data)
    if isinstance(head, Refusal) and not greeter_app:
        return _h11_family(head, data)
    if head is None and not greeter.answers and request_line_problem(data) == "no version":
        return HTTP_09_LINE  # h11 waits for the rest of a head
    if isinstance(head, h11.Request) and not greeter_app:
        after = h11_after_head(data)
        if after is not None:
            return _h11_family(after, data)
        if re.search(rb"(?im)^upgrade:[ \t]*websocket", data):
            return WEBSOCKET
    environ = werkzeug_head(data)
    # Werkzeug's server raised and sent nothing for the first request: then whatever the twin answered is its
    # answer to a later request on the connection (the next pipelined one, or the body taken for one)
    if any(said in seen.twin_log for said in WERKZEUG_RAISED) and (not twin_app or not werkzeug_answers(data)):
        return WERKZEUG_RAISES
    if isinstance(environ, Refusal) and not twin_app:
        if environ.status == 431 and "Too many headers" in environ.reason:
            return MANY_HEADERS
        if environ.status == 505:
            return VERSION_2_OR_3
        if environ.status == -1:
            return WERKZEUG_RAISES
    twin_first = first(twin)
    if twin_first is None and explicit_09 and 100 in twin.interim and twin.leftover[:5] != b"HTTP/":
        return EXPECT_100_ON_09  # Werkzeug's `HTTP/1.1 100 Continue`, then http.server's answer without a status line
    if twin_first is not None and twin_first.status is None:  # an HTTP/0.9 answer: no status line
        return EXPLICIT_09 if explicit_09 else HTTP_09_LINE
    head_09 = re.match(rb"\s*HEAD[ \t]", data) is not None
    if explicit_09 and head_09 and twin_first is None and twin.closed and not twin.interim and not twin.leftover:
        return EXPLICIT_09  # http.server's HTTP/0.9 answer to HEAD: no status line and no body, so only the close
    if greeter_first is not None and twin_first is not None and compared(greeter_first) == compared(twin_first):
        if greeter.interim != twin.interim and set(greeter.interim + twin.interim) == {100}:
            return EXPECT_100
        if len(twin.answers) == 1 < len(greeter.answers):
            return PIPELINED
    if isinstance(head, h11.Request) and isinstance(environ, dict) and greeter_app and twin_app:
        return HOST_WHITESPACE if hosts_differ_by_whitespace(head, environ) else None
    return None


def _h11_family(refusal: Refusal, data: bytes) -> str | None:
    if refusal.reason.startswith("illegal request line"):
        return REQUEST_LINE.get(request_line_problem(data))
    return next((family for start, family in H11_REFUSALS.items() if refusal.reason.startswith(start)), None)


def app_family(seen: Seen, greeter: RawAnswer, twin: RawAnswer) -> str:
    """What in the request makes the apps answer differently: a name for the greeter's fix it needs."""
    target = target_of(seen.data.lstrip(b"\r\n"))
    g_location, t_location = greeter.header("location"), twin.header("location")
    if g_location and t_location and g_location != t_location and iri_to_uri(g_location) == t_location:
        return "a Location not sent as a URI"
    environ = werkzeug_head(seen.data)
    if isinstance(environ, dict) and environ["PATH_INFO"] == "":
        return "an empty path"
    if b"#" in target:
        return "a fragment in the target"
    if re.match(rb"[A-Za-z][A-Za-z0-9+.-]*://", target):
        return "an absolute-form target"
    if not target.startswith(b"/"):
        return "a target not in origin form"
    return f"the same target answered differently ({greeter.status} / {twin.status})"


def crash_family(log: str) -> str:
    """The exception, and the innermost frame in a library (and of all) of greeter's log's last traceback."""
    if not any(marker in log for marker in CRASH_MARKERS):
        return "a 500 without a traceback"
    frames = re.findall(r'File "([^"]+)", line (\d+), in (\S+)', log)
    errors = re.findall(r"^([A-Za-z_][\w.]*(?:Error|Exception|Host)\b)(:[^\n]*)?$", log, re.MULTILINE)
    error = errors[-1][0] + re.sub(r"'[^']*'|\d{3,}", "…", errors[-1][1])[:70] if errors else "an exception"
    if not frames:
        return error
    library = [frame for frame in frames if "site-packages" in frame[0] and "/hypercorn/" not in frame[0]] or frames
    file, line, function = library[-1]
    where = f" at {file.split('site-packages/')[-1]}:{line} ({function})"
    if frames[-1] != library[-1]:
        where += f" < {frames[-1][0].rsplit('/', 1)[-1]}:{frames[-1][1]}"
    return error + where
