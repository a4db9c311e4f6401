"""What both apps do for safety on every response: the security headers, and the Host check. Framework-free.

What a believed proxy may say (the scheme, the prefix and its account) is greeter/shared/forwarding.py.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Collection, Iterable, Mapping
from functools import lru_cache
from pathlib import Path

from werkzeug.sansio.utils import host_is_trusted

# the one inline <style> and <script> of the templates: the policy allows exactly these, by their hashes
INLINE_BLOCK = re.compile(r"<(?P<tag>style|script)>(?P<source>.*?)</(?P=tag)>", re.DOTALL)
# a name or IPv4 address, or an IPv6 address in brackets; then an optional port
WELL_FORMED_HOST = re.compile(r"(?P<name>[a-z0-9_.~-]+|\[[0-9a-f:.]+\])(?::(?P<port>[0-9]{1,5}))?")
NO_HOST = "Bad Request: the request has no Host header.\n"
MALFORMED_HOST = "Bad Request: the Host header is not a host name.\n"
UNTRUSTED_HOST = "Bad Request: this server does not answer for the host name '{host}'.\n"
UNBELIEVED_PROXY = (
    "The request came through a proxy whose X-Forwarded-* headers greeter does not believe:"
    " if one is in front, start greeter with --proxy-hops 1 (or GREETER_PROXY_HOPS=1).\n"
)
# what a proxy adds: seen by an app that believes no proxy, they say one is probably in front
FORWARDED_HEADERS = ("X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "X-Forwarded-Prefix", "Forwarded")
FORWARDED_NAMES = frozenset(name.lower() for name in FORWARDED_HEADERS)


def inline_source_hashes(
    templates_dir: Path | None, extra_pages: Mapping[str, str] | None = None
) -> dict[str, list[str]]:
    """CSP hash sources of every inline style and script block in the templates, by tag.

    extra_pages: other pages by name, as text (in debug mode, greeter's traceback page and live-reload script);
    templates_dir None: those alone.
    """
    hashes: dict[str, list[str]] = {"style": [], "script": []}
    found = sorted(templates_dir.glob("*.html")) if templates_dir is not None else []
    pages = {path.name: path.read_text(encoding="utf-8") for path in found}
    for name, text in {**pages, **(extra_pages or {})}.items():
        for block in INLINE_BLOCK.finditer(text):
            source = block["source"]
            if "{{" in source or "{%" in source:
                # a hash covers one fixed text; a block that changes per page would break the policy
                raise ValueError(f"{name}: an inline <{block['tag']}> must not contain template code")
            digest = base64.b64encode(hashlib.sha256(source.encode()).digest()).decode()
            hashes[block["tag"]].append(f"'sha256-{digest}'")
    return hashes


def security_headers(
    templates_dir: Path | None, extra_pages: Mapping[str, str] | None = None, *, report_uri: str | None = None
) -> Mapping[str, str]:
    """The headers every response carries: no sniffing, no framing, no referrer, and only our own inline code.

    report_uri (debug mode only): where the browser reports each violation, quoting what it blocked.
    """
    hashes = inline_source_hashes(templates_dir, extra_pages)
    # 'report-sample': the report quotes the start of the inline code blocked (`color: red`)
    sample = " 'report-sample'" if report_uri is not None else ""
    policy = {
        "default-src": "'none'",  # whatever is not allowed below is refused
        "style-src": " ".join(hashes["style"]) + sample if hashes["style"] else "'none'",
        "script-src": " ".join(hashes["script"]) + sample if hashes["script"] else "'none'",
        "connect-src": "'self'",  # /process/ reads its live stream
        "img-src": "data:",  # the empty icon that stops the browser asking for /favicon.ico
        "base-uri": "'none'",
        "form-action": "'none'",
        "frame-ancestors": "'none'",
    }
    if report_uri is not None:
        # report-uri, not report-to: Chromium sends a report-to report up to a minute later, report-uri at once
        policy["report-uri"] = report_uri
    return {
        "Content-Security-Policy": "; ".join(f"{name} {sources}" for name, sources in policy.items()),
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate it
        "Referrer-Policy": "no-referrer",
    }


def host_problem(
    host: str | None, trusted_hosts: Collection[str] | None, *, unbelieved_proxy: bool = False
) -> str | None:
    """Why the app will not answer a request's Host header, or None if it will.

    Any well-formed host is answered unless GREETER_TRUSTED_HOSTS names some; a missing or malformed one is
    refused, as it would otherwise end up in redirects as `http:///hello/`. An untrusted host that came through
    a proxy greeter does not believe is most often a forgotten --proxy-hops: the answer says so.
    """
    if not host:
        return NO_HOST
    host = host.lower()  # host names are case-insensitive; Werkzeug's check compares them as written
    well_formed = WELL_FORMED_HOST.fullmatch(host)
    if well_formed is None or not 0 < int(well_formed["port"] or 80) < 65536 or not is_idna(well_formed["name"]):
        return MALFORMED_HOST
    if trusted_hosts is not None and not host_is_trusted(host, trusted_hosts):
        # the host is well-formed (no quotes, no markup, no line breaks): safe to say back
        return UNTRUSTED_HOST.format(host=host) + (UNBELIEVED_PROXY if unbelieved_proxy else "")
    return None


@lru_cache(maxsize=1024)  # asked on every request, most often of the same few names; IDNA's codec is slow Python
def is_idna(name: str) -> bool:
    """Whether IDNA encodes and decodes the name, as Werkzeug does with a Host; an IPv6 address in brackets is one.

    Not one: an empty label (`a..b`, `.a`) or one longer than 63 characters, which make Werkzeug's Map.bind raise
    BadHost, and a punycode label that does not decode (`xn--`), which makes `request.url_root` raise UnicodeError
    (werkzeug/urls.py:191 catches only UnicodeDecodeError) on the process page of both apps.
    """
    if name.startswith("["):
        return True
    try:
        name.encode("idna").decode("idna")
    except UnicodeError:
        return False
    return True


def came_through_unbelieved_proxy(header_names: Iterable[str], proxy_hops: int) -> bool:
    """Whether a proxy's X-Forwarded-* headers came with a request that greeter believes no proxy for."""
    # Quart's headers are lower case, Werkzeug's as sent
    return proxy_hops == 0 and not FORWARDED_NAMES.isdisjoint(name.lower() for name in header_names)


def refusal_log_line(method: str, path: str, problem: str, status: int = 400) -> str:
    """The one line the app logs when it refuses a request: the access log is off, so this is the only trace."""
    reason = problem.removeprefix("Bad Request: ").removeprefix("Misdirected Request: ")
    return f"{status} for {method} {path}: " + " ".join(reason.split())
