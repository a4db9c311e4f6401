"""Location and Content-Location sent as URIs, as a Werkzeug response sends them.

Werkzeug runs both headers through `iri_to_uri` as a response goes out (werkzeug/wrappers/response.py:480-493,
get_wsgi_headers), so the twin's redirect of `GET /hello?v=,<` says `Location: http://host/hello/?v=,%3C`. Quart
sends them as the view or the router made them (`?v=,<`), which a strict client refuses.
"""

from __future__ import annotations

from werkzeug.urls import iri_to_uri

LOCATIONS = (b"location", b"content-location")


def locations_as_uris(headers: list[tuple[bytes, bytes]]) -> None:
    """Rewrite, in place, the Location and Content-Location of a response's encoded headers (names lower-case)."""
    for index, (name, value) in enumerate(headers):
        if name in LOCATIONS:
            headers[index] = (name, as_uri(value))


def as_uri(value: bytes) -> bytes:
    """The URI of a header's IRI; as it was when it is no URL iri_to_uri can read (a port that is not a number)."""
    try:
        return iri_to_uri(value.decode()).encode("ascii")
    except (UnicodeError, ValueError):
        return value
