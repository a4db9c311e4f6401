"""What is compared of an answer, and how: what a client acts on, made comparable across servers."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from greeter.tools.compare.corpus import Case
from greeter.tools.compare.exchange import Exchange

COMPARED = ("status", "location", "content type", "allow", "other headers", "body")
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
    "the body of a HEAD answer in --in-process mode": (
        "Quart's test client keeps it; Hypercorn sends none, as Werkzeug does (compared over real HTTP)"
    ),
}
FIGURE = re.compile(rb'(data-figure="[a-z_]+"[^>]*>)[^<]*')
TEMPLATE_COUNTS = re.compile(rb"(<tr><td>[\w.]+</td><td>)\d+(</td><td>)\d+(</td></tr>)")
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
MASK = b"(varies)"  # in place of a figure, on both sides
TITLE = re.compile(rb"(<title>Process )\d+")


@dataclass(frozen=True)
class Observed:
    """One answer as compared. `status` is the error text when no answer came."""

    status: int | str
    location: str | None
    content_type: str | None
    allow: frozenset[str] | None
    other_headers: tuple[tuple[str, str], ...]  # sorted by name
    body: bytes

    def value(self, name: str) -> object:
        return getattr(self, name.replace(" ", "_"))


def observe(exchange: Exchange, case: Case, origin: str) -> Observed:
    """What is compared of one answer. `origin` is the server's own scheme://host:port, which each side has."""
    allow = exchange.header("allow")
    return Observed(
        status=exchange.error or exchange.status,
        location=_own_location(exchange.header("location"), origin),
        content_type=exchange.header("content-type"),
        allow=None if allow is None else frozenset(method.strip() for method in allow.split(",")),
        other_headers=_other_headers(exchange, case),
        body=DYNAMIC_PARTS.get(case.path, _as_is)(_own_links(exchange.body, origin)),
    )


def _other_headers(exchange: Exchange, case: Case) -> tuple[tuple[str, str], ...]:
    # a HEAD answer has no body to compare: its Content-Length, the length a GET would get, stands for it
    left_out = NOT_OTHER_HEADERS - {"content-length"} if case.method == "HEAD" else NOT_OTHER_HEADERS
    return tuple(sorted(header for header in exchange.headers if header[0] not in left_out))


def _own_location(location: str | None, origin: str) -> str | None:
    """A redirect to the server itself is compared by its path and query; one anywhere else, whole."""
    if location is not None and location.startswith(origin + "/"):
        return location[len(origin) :]
    return location


def _own_links(body: bytes, origin: str) -> bytes:
    """A link to the server itself in a body (a redirect's page) is compared by its path, as Location is."""
    return body.replace(origin.encode() + b"/", b"/")


def _as_is(body: bytes) -> bytes:
    return body


def mask_process_figures(body: bytes) -> bytes:
    """The process page without what changes from request to request: the figures and the template counts."""
    body = FIGURE.sub(rb"\1" + MASK, body)
    body = TEMPLATE_COUNTS.sub(rb"\1" + MASK + rb"\2" + MASK + rb"\3", body)
    return TITLE.sub(rb"\1" + MASK, body)


# pages whose bodies change between two requests to one server: only the other parts are compared
DYNAMIC_PARTS: dict[str, Callable[[bytes], bytes]] = {"/process/": mask_process_figures}
