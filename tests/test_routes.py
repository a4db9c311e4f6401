"""The Quart app's routes, exactly: status, body, content type, Location, Allow."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from quart.testing import QuartClient

HTML = "text/html; charset=utf-8"
HAIL = b"<h1>Hail</h1>\n<p>Greetings and Felicitations, <em>honored</em> guest!</p>"


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/", b"Hello World!"),
        ("/index", b"Hello World!"),
        ("/?q=1", b"Hello World!"),
        ("/hello/", b"Greetings and Felicitations"),
        ("/hello/Scott", b"Hello Scott, nice to meet you!"),
        ("/hello/Scott%20Anderson", b"Hello Scott Anderson, nice to meet you!"),
        ("/hello/%C3%A9lodie", "Hello élodie, nice to meet you!".encode()),
        ("/hello/index", b"Hello index, nice to meet you!"),
        ("/hail/", HAIL),
    ],
)
async def test_page(client: QuartClient, path: str, body: bytes) -> None:
    response = await client.get(path)
    assert response.status_code == 200
    assert response.content_type == HTML
    assert await response.get_data() == body


@pytest.mark.parametrize(
    ("name", "escaped"),
    [
        ("<script>alert(1)<%2Fscript>", None),  # %2F is a path separator: no such route
        ("<script>alert(1)", b"&lt;script&gt;alert(1)"),
        ("\"quoted\" & 'single'", b"&#34;quoted&#34; &amp; &#39;single&#39;"),
        ("<img src=x onerror=alert(1)>", b"&lt;img src=x onerror=alert(1)&gt;"),
    ],
)
async def test_name_is_escaped(client: QuartClient, name: str, escaped: bytes | None) -> None:
    response = await client.get(f"/hello/{name}")
    if escaped is None:
        assert response.status_code == 404
        return
    assert response.status_code == 200
    assert await response.get_data() == b"Hello " + escaped + b", nice to meet you!"


@pytest.mark.parametrize(
    ("path", "location"),
    [
        ("/hello", "http://localhost/hello/"),
        ("/hello?x=1&y=%C3%A9", "http://localhost/hello/?x=1&y=%C3%A9"),
        ("/hail", "http://localhost/hail/"),
        ("/greet?lang=fr", "http://localhost/greet/?lang=fr"),
        ("/hello//Scott", "http://localhost/hello/Scott"),  # Werkzeug merges repeated slashes
    ],
)
async def test_missing_slash_redirects_permanently(client: QuartClient, path: str, location: str) -> None:
    response = await client.get(path)
    assert response.status_code == 308
    assert response.headers["Location"] == location


# a rule without a trailing slash matches only itself: these are the other half of the canonical-URL lesson
@pytest.mark.parametrize("path", ["/index/", "/hello/Scott/", "/HELLO/", "/nope", "/hello/a/b"])
async def test_not_found(client: QuartClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 404
    assert response.content_type == HTML
    assert b"<title>404 Not Found</title>" in await response.get_data()


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
@pytest.mark.parametrize("path", ["/", "/hello/", "/hello/Scott", "/hail/", "/greet/"])
async def test_wrong_method_is_405_with_allow(client: QuartClient, method: str, path: str) -> None:
    response = await client.open(path, method=method)
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}


@pytest.mark.parametrize("path", ["/", "/hello/Scott", "/greet/"])
async def test_head_has_the_get_headers(client: QuartClient, path: str) -> None:
    get, head = await client.get(path), await client.head(path)
    assert head.status_code == 200
    assert head.content_type == get.content_type
    assert head.headers["Content-Length"] == get.headers["Content-Length"]


async def test_options_lists_the_methods(client: QuartClient) -> None:
    response = await client.options("/hello/")
    assert response.status_code == 200
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}
    assert await response.get_data() == b""


class _Outline(HTMLParser):
    """What a test needs to know of a page: its doctype, metas, title, headings, paragraphs and style."""

    def __init__(self) -> None:
        super().__init__()
        self.doctype = ""
        self.metas: list[dict[str, str | None]] = []
        self.text_of: dict[str, list[str]] = {}
        self._open: list[str] = []

    def handle_decl(self, decl: str) -> None:
        self.doctype = decl

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "meta":
            self.metas.append(dict(attrs))
        else:
            self._open.append(tag)
            self.text_of.setdefault(tag, []).append("")

    def handle_endtag(self, tag: str) -> None:
        if self._open and self._open[-1] == tag:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        for tag in self._open:
            self.text_of[tag][-1] += data


async def test_greet_is_a_whole_document_from_the_template(client: QuartClient) -> None:
    response = await client.get("/greet/")
    assert response.status_code == 200
    assert response.content_type == HTML
    page = _Outline()
    page.feed(await response.get_data(as_text=True))
    assert page.doctype == "doctype html"
    assert {"charset": "utf-8"} in page.metas
    names = {meta.get("name"): meta.get("content") for meta in page.metas if "name" in meta}
    assert names["viewport"] == "width=device-width, initial-scale=1"
    assert names["description"]
    assert page.text_of["title"] == ["Hail · greeter"]
    assert page.text_of["h1"] == ["Hail"]
    assert page.text_of["p"] == ["Greetings and Felicitations, honored guest!"]
    assert "h1 { color: purple; }" in page.text_of["style"][0]
