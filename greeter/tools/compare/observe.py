"""What is compared of an answer, and how: what a client acts on, made comparable across servers."""

from __future__ import annotations

import base64
import json
import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass

from greeter.tools.compare.case import Case
from greeter.tools.compare.exchange import Exchange

COMPARED = ("status", "location", "content type", "allow", "other headers", "body", "other answers")
# "other answers" only raw requests can have (greeter/tools/compare/raw_case.py): said only where there are some
RAW_ONLY = ("other answers",)
NOT_COMPARED = {
    "Date": "the time of the answer",
    "Server": "the server's name: `Werkzeug/3.1.9 Python/3.11.7` or `hypercorn-h11`",
    "the reason phrase": (
        "Hypercorn sends an empty one (`HTTP/1.1 200 `) and Werkzeug `HTTP/1.1 200 OK`. HTTP allows it and "
        "browsers, curl, httpx, wrk, Apache and nginx read the code, but `h2load --h1` (nghttp2-client) counts "
        "every such answer as failed. Hypercorn has no setting for it (its h11 protocol builds each response "
        "without a phrase, and ASGI has no field for one), so greeter leaves Hypercorn unpatched; over HTTP/2 "
        "there is no phrase at all"
    ),
    "header order and the case of names": "HTTP header names are case-insensitive, and their order carries nothing",
    "Content-Length, Connection, Transfer-Encoding, Keep-Alive": (
        "how the body is framed and the connection kept, not what is sent; the body is compared (and a HEAD "
        "answer's Content-Length, as it has no body)"
    ),
    "the times in a Set-Cookie and the order of a session's keys": (
        "a signed cookie (a session: Flask's and Quart's are the same format) carries the second it was signed, "
        "which differs from one server to the other, and so does its signature, and an Expires date counts from "
        "now; what a session holds is compared as JSON, whatever the order of its keys (Flask sorts them, Quart "
        "keeps the order they were set in), and what a cookie does shows in the answers after it in a sequence"
    ),
    "the body of a HEAD answer in --in-process mode": (
        "Quart's test client keeps it; Hypercorn sends none, as Werkzeug does (compared over real HTTP)"
    ),
}
IN_PROCESS_ONLY = frozenset({"the body of a HEAD answer in --in-process mode"})  # named only where it applies
# compared on their own, or not compared: every other header is compared by name and value
NOT_OTHER_HEADERS = frozenset(
    {
        "location",
        "content-type",
        "allow",
        "date",
        "server",
        "content-length",
        "connection",
        "transfer-encoding",
        "keep-alive",
    }
)
MASK = b"(varies)"  # in place of what a mask covers, on both sides
# itsdangerous's signed value: the payload, then the time it was signed and the signature, each base64
SIGNED_VALUE = re.compile(r"^(\.?[A-Za-z0-9_=-]+)\.[A-Za-z0-9_-]{4,12}\.[A-Za-z0-9_-]{20,}$")
EXPIRES = re.compile(r"(?i)(;\s*expires=)[^;]*")


@dataclass(frozen=True)
class Mask:
    """What a corpus says is never compared: one header, or parts of a body (all paths, or those `path` matches).

    A body pattern's groups mark what varies (each replaced by `(varies)` on both sides); with no group, the
    whole match is.
    """

    why: str
    path: str | None = None  # a regular expression the whole path matches; None: every path
    header: str | None = None  # a name, in any case
    body: tuple[re.Pattern[bytes], ...] = ()

    def applies_to(self, case: Case) -> bool:
        return self.path is None or re.fullmatch(self.path, case.path) is not None

    def masked(self, body: bytes) -> bytes:
        for pattern in self.body:
            body = _replace_varying(pattern, body)
        return body


def _replace_varying(pattern: re.Pattern[bytes], body: bytes) -> bytes:
    pieces, at = [], 0
    for match in pattern.finditer(body):
        spans = [match.span(group) for group in range(1, (pattern.groups or 0) + 1)] or [match.span()]
        for start, end in spans:
            if start < 0 or start < at:  # a group that took no part, or one inside another
                continue
            pieces += [body[at:start], MASK]
            at = end
    return b"".join([*pieces, body[at:]])


@dataclass(frozen=True)
class Observed:
    """One answer as compared. `status` is the error text when no answer came."""

    status: int | str
    location: str | None
    content_type: str | None
    allow: frozenset[str] | None
    other_headers: tuple[tuple[str, str], ...]  # sorted by name
    body: bytes
    other_answers: tuple[str, ...] = ()  # what else a raw request's connection carried, in order

    def value(self, name: str) -> object:
        return getattr(self, name.replace(" ", "_"))


def observe(exchange: Exchange, case: Case, origin: str, masks: Iterable[Mask] = ()) -> Observed:
    """What is compared of one answer. `origin` is the server's own scheme://host:port, which each side has."""
    applying = [mask for mask in masks if mask.applies_to(case)]
    masked_headers = {mask.header.lower() for mask in applying if mask.header is not None}
    allow = None if "allow" in masked_headers else exchange.header("allow")
    body = _own_links(exchange.body, origin)
    for mask in applying:
        body = mask.masked(body)
    return Observed(
        status=exchange.error or exchange.status,
        location=None if "location" in masked_headers else _own_location(exchange.header("location"), origin),
        content_type=None if "content-type" in masked_headers else exchange.header("content-type"),
        allow=None if allow is None else frozenset(method.strip() for method in allow.split(",")),
        other_headers=_other_headers(exchange, case, masked_headers),
        body=body,
        other_answers=exchange.others,
    )


def _other_headers(exchange: Exchange, case: Case, masked: set[str]) -> tuple[tuple[str, str], ...]:
    # a HEAD answer has no body to compare: its Content-Length, the length a GET would get, stands for it
    left_out = NOT_OTHER_HEADERS - {"content-length"} if case.method == "HEAD" else NOT_OTHER_HEADERS
    return tuple(
        sorted(
            (name, comparable_cookie(value) if name == "set-cookie" else value)
            for name, value in exchange.headers
            if name not in left_out and name not in masked
        )
    )


def comparable_cookie(set_cookie: str) -> str:
    """A Set-Cookie value without what differs between two servers setting the same cookie: the time and
    signature of a signed value (whose payload, a session's JSON, is shown decoded, its keys sorted), and an
    Expires date."""
    name_value, semicolon, attributes = set_cookie.partition(";")
    name, equals, value = name_value.partition("=")
    if signed := SIGNED_VALUE.match(value.strip().strip('"')):
        value = f"{_payload(signed.group(1))}.{MASK.decode()}"
    return EXPIRES.sub(r"\1" + MASK.decode(), f"{name}{equals}{value}{semicolon}{attributes}")


def _payload(text: str) -> str:
    """itsdangerous's payload (base64 JSON, or "." and base64 zlib-compressed JSON) as JSON with sorted keys;
    as it is when it is not that."""
    try:
        data = base64.urlsafe_b64decode(text.lstrip(".") + "=" * (-len(text.lstrip(".")) % 4))
        if text.startswith("."):
            data = zlib.decompress(data)
        return json.dumps(json.loads(data), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    except (ValueError, zlib.error):  # binascii.Error and json.JSONDecodeError are ValueErrors
        return text


def _own_location(location: str | None, origin: str) -> str | None:
    """A redirect to the server itself is compared by its path and query; one anywhere else, whole."""
    if location is not None and location.startswith(origin + "/"):
        return location[len(origin) :]
    return location


def _own_links(body: bytes, origin: str) -> bytes:
    """A link to the server itself in a body (a redirect's page) is compared by its path, as Location is."""
    return body.replace(origin.encode() + b"/", b"/")
