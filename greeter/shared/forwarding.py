"""What a believed proxy may say, in both apps: the scheme, and the path prefix it serves the app under. Framework-free.

Only X-Forwarded-* headers from believed proxies (--proxy-hops) reach these rules; both apps read them alike (the
Quart app in greeter/plumbing/proxy.py, the twin with Werkzeug's ProxyFix) and refuse, in their guard, before
routing's redirects, what would otherwise end up in a Location header: a scheme such as `javascript`, a prefix
that is not a path (`abc`), or another account's prefix written so that it does not look like one (`//~eve`,
`/%7Eeve`, `/~ann/../~eve`), which a browser, or Apache, resolves to `/~eve`.
"""

from __future__ import annotations

import re

SCHEMES = ("http", "https")
NOT_HTTP = "Bad Request: the proxy's X-Forwarded-Proto is neither http nor https.\n"
NOT_A_CANONICAL_PREFIX = (
    "Bad Request: the proxy's X-Forwarded-Prefix is not an absolute, canonical path such as /~ann/greeter.\n"
)
# a prefix that names an account, as the course server's do: /~ann/greeter
USER_PREFIX = re.compile(r"/~(?P<user>[^/]+)(?:/|$)")
PLAIN_PREFIX = re.compile(r"[A-Za-z0-9_.~$/-]{1,200}")  # safe to say back: no quotes, markup or line breaks
MISDIRECTED = (
    "Misdirected Request: the web server brought a request for {prefix}/ to {own}'s greeter,"
    " which answers only for {own}.\n"
)
UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")  # RFC 3986, 2.3
PERCENT_ENCODED = re.compile(r"%([0-9A-Fa-f]{2})")


def forwarding_problem(scheme: str, prefix: str, prefix_user: str | None) -> tuple[int, str] | None:
    """Why a request is refused for what its proxy said, with the status (400 or 421), or None.

    scheme: the request's, the proxy's X-Forwarded-Proto when one is believed; prefix: its root path, the proxy's
    X-Forwarded-Prefix without its trailing slashes (as Werkzeug's ProxyFix makes SCRIPT_NAME), "" for none.
    """
    if scheme.lower() not in SCHEMES:
        return 400, NOT_HTTP
    if not prefix:
        return None
    if not prefix.startswith("/"):  # Quart dropped it, Werkzeug kept it: a Location the browser reads relative
        return 400, NOT_A_CANONICAL_PREFIX
    resolved = resolved_prefix(prefix)
    if (problem := misdirected_problem(resolved, prefix_user, said=prefix)) is not None:
        return 421, problem
    if resolved != prefix or not PLAIN_PREFIX.fullmatch(prefix):
        return 400, NOT_A_CANONICAL_PREFIX
    return None


def resolved_prefix(prefix: str) -> str:
    """The path a browser (or Apache) makes of the prefix: unreserved characters percent-decoded, a backslash a
    slash (WHATWG URL), repeated slashes one, and `.` and `..` segments resolved. Other %XX stay as they are."""
    decoded = PERCENT_ENCODED.sub(
        lambda code: chr(int(code[1], 16)) if chr(int(code[1], 16)) in UNRESERVED else code[0], prefix
    )
    segments: list[str] = []
    for segment in decoded.replace("\\", "/").split("/"):
        if segment == "..":
            if segments:
                segments.pop()
        elif segment not in ("", "."):
            segments.append(segment)
    return "".join("/" + segment for segment in segments)


def misdirected_problem(prefix: str, prefix_user: str | None, *, said: str | None = None) -> str | None:
    """Why a request for another account's URL is refused (421), or None if it is this greeter's to answer.

    prefix: the path prefix the proxy forwarded (the request's root path), believed only from a believed proxy,
    resolved as a browser would; said: as the proxy wrote it, if otherwise. On the course server only the web
    server can connect to a socket, and it names the URL's account in the prefix, so a request for /~eve/ that
    reached bob's greeter came through eve's folder, where a link to bob's socket stands in for her own: bob's
    greeter refuses it, so eve's URL never serves bob's app.
    """
    named = USER_PREFIX.match(prefix)
    if prefix_user is None or named is None or named["user"] == prefix_user:
        return None
    said = prefix if said is None else said
    shown = said if PLAIN_PREFIX.fullmatch(said) else "another account's URL"
    return MISDIRECTED.format(prefix=shown, own=prefix_user)
