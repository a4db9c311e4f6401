"""The cookies one side keeps through a sequence, as a browser keeps them: the standard library's CookieJar.

Each side of each sequence has its own jar, over HTTP and in-process alike, so both apps are sent the same
cookies in both modes; a case outside any sequence has none. The test clients' own cookie handling is off:
Flask's keeps every cookie for the client's whole life, and Quart's `request()` neither keeps nor sends one.
"""

from __future__ import annotations

import email.message
import urllib.request
from collections.abc import Iterable
from http.cookiejar import CookieJar


class Browser:
    """One side's cookies: set by its answers, sent with each later request they match (path, expiry, Secure)."""

    def __init__(self, origin: str) -> None:
        self.origin = origin  # scheme://host:port of the side
        self._jar = CookieJar()

    def cookie_header(self, target: str) -> str | None:
        """The Cookie header a browser would send with a request for `target`, or None when no cookie matches."""
        request = self._request(target)
        self._jar.add_cookie_header(request)
        return request.get_header("Cookie")

    def keep(self, target: str, headers: Iterable[tuple[str, str]]) -> None:
        """Keep (or drop, when they say so) the cookies of an answer to a request for `target`."""
        message = email.message.Message()
        for name, value in headers:
            if name.lower() in ("set-cookie", "set-cookie2"):
                message[name] = value
        self._jar.extract_cookies(_Answer(message), self._request(target))  # type: ignore[arg-type]

    def _request(self, target: str) -> urllib.request.Request:
        return urllib.request.Request(self.origin + target)


class _Answer:
    """What CookieJar reads of an answer: its headers, as urllib's responses give them."""

    def __init__(self, headers: email.message.Message) -> None:
        self._headers = headers

    def info(self) -> email.message.Message:
        return self._headers
