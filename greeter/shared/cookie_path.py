"""Cookies under the app's own prefix: on a course server every student's app is on one origin, and a cookie with
`Path=/` (Werkzeug's default, and the session's) would go with every request to every classmate's app.

A cookie's path is a path of the app, as the app sees its URLs (`/` its root), so under a prefix it goes under the
prefix, as url_for's URLs do: `/` becomes `/~ann/greeter`, `/hello/` becomes `/~ann/greeter/hello/`. Both apps'
guards apply it to every Set-Cookie a view or hook made, and their session interfaces to the session cookie.
"""

from __future__ import annotations

from werkzeug.datastructures import Headers


def cookie_path_under(prefix: str, path: str) -> str:
    """The path a cookie gets when the app is served under `prefix` ("" at the root of a site: unchanged)."""
    prefix = prefix.rstrip("/")
    # a path already under the prefix (the app computed it from request.root_path) stays as it is; one that is not
    # a path at all is ignored by browsers (RFC 6265 5.2.4), which then take the request's folder, under the prefix
    if not prefix or not path.startswith("/") or path == prefix or path.startswith(f"{prefix}/"):
        return path
    return prefix if path == "/" else prefix + path


def scope_cookies(headers: Headers, prefix: str) -> None:
    """Every Set-Cookie of a response with its Path put under the prefix; one without a Path is left to the browser,
    whose default is the request's folder (already under the prefix)."""
    cookies = headers.getlist("Set-Cookie")
    if prefix.rstrip("/") and cookies:
        headers.setlist("Set-Cookie", [_scoped(cookie, prefix) for cookie in cookies])


def _scoped(cookie: str, prefix: str) -> str:
    """One Set-Cookie value with its Path attribute under the prefix (Werkzeug quotes a `;` in a value)."""
    name_value, *attributes = cookie.split(";")
    for index, attribute in enumerate(attributes):
        name, _, value = attribute.strip().partition("=")
        if name.lower() == "path":
            attributes[index] = f" Path={cookie_path_under(prefix, value.strip())}"
    return ";".join([name_value, *attributes])
