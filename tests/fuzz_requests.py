"""What the differential fuzzer sends (tests/test_fuzz.py): raw requests, drawn by hypothesis, byte by byte.

Here the requests, their lines, targets and Hosts; their other headers and bodies in tests/fuzz_headers.py.

Odd request lines and targets (every form: origin, absolute, authority, asterisk, relative, empty, a fragment),
percent-encodings of every byte class, invalid UTF-8, control bytes, raw non-ASCII, long names; methods and
versions h11 or http.server refuse; Host variants (none, two, IDNA-invalid, odd ports); headers that ask for a
protocol switch, a 100 Continue, or that break the grammar; bodies with and without framing; a second request
after the first, or after one that closes, and blank lines before.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fuzz_headers import HEADER, Headers, body_framing, weighted
from hypothesis import strategies as st


@dataclass(frozen=True)
class FuzzCase:
    """Raw bytes, the methods of the requests in them (an answer to HEAD has no body), and what went into them.

    `expected`: for a pinned case, the family its difference must be ("" for none: the same answers)."""

    data: bytes
    methods: tuple[str, ...]
    tags: tuple[str, ...] = ()
    expected: str | None = None

    def __repr__(self) -> str:
        return f"FuzzCase({self.data!r}, tags={list(self.tags)})"


def pct(byte: int, lower: bool = False) -> bytes:
    return (b"%%%02x" if lower else b"%%%02X") % byte


def encoded(text: str) -> bytes:
    return b"".join(pct(byte) for byte in text.encode())


NON_ASCII = st.characters(min_codepoint=0x80, max_codepoint=0x10FFFF, exclude_categories=["Cs"])
# the pieces a path or query is made of: every byte class, raw and percent-encoded
PIECE = weighted(
    (30, st.sampled_from([b"a", b"b", b"Z", b"0", b"9", b"x", b"name"])),
    (8, st.sampled_from([c.encode() for c in ";,=&+$!*'()@:~-._"])),
    (6, st.sampled_from([c.encode() for c in '<>"{}|\\^`[]'])),
    (6, st.sampled_from([b"/", b"?", b"#", b"%"])),
    (12, st.builds(pct, st.integers(0, 255), st.booleans())),
    (3, st.sampled_from([b"%2F", b"%2f", b"%3F", b"%23", b"%3B", b"%25", b"%00", b"%0A", b"%0D", b"%09", b"%20"])),
    (3, st.sampled_from([b"%", b"%G1", b"%4", b"%%", b"%zz", b"%-1"])),
    (3, st.sampled_from([b".", b"..", b"%2e", b"%2E%2E", b"./", b"../"])),
    (4, st.text(NON_ASCII, min_size=1, max_size=2).map(encoded)),
    (3, st.sampled_from([b"%C3", b"%C3%28", b"%E2%82", b"%F0%9F%98", b"%ED%A0%80", b"%C0%AF", b"%FF%FE", b"%80"])),
    (2, st.binary(min_size=1, max_size=2).filter(lambda data: all(byte >= 0x80 for byte in data))),
    (
        2,
        st.text(
            st.characters(min_codepoint=0x80, max_codepoint=0x3000, exclude_categories=["Cs"]), min_size=1, max_size=2
        ).map(str.encode),
    ),
    (1, st.sampled_from([bytes([byte]) for byte in [*range(0x20), 0x7F] if byte not in (0x0A, 0x0D)])),
    (1, st.sampled_from([b" ", b"\x85", b"\xa0", b"\x0b", b"\x0c", b"\x1c"])),
)


def pieces(max_size: int) -> st.SearchStrategy[bytes]:
    return st.lists(PIECE, max_size=max_size).map(b"".join)


ROUTE = weighted(
    (6, st.sampled_from([b"hello/", b"hello", b"", b"index", b"hail/", b"greet/", b"hello/x/"])),
    (2, st.sampled_from([b"static/", b"process/", b"wait/", b"wait/0", b"wait/x", b"nope/", b"HELLO/"])),
)
LONG_NAME = st.tuples(
    st.sampled_from([b"static/", b"hello/", b"static/a/", b""]),
    st.sampled_from([255, 256, 300, 4000, 4080, 4096, 4200, 8000, 9000, 16000, 17000]),
    st.sampled_from([b"a", b"%41", b"/"]),
).map(lambda parts: parts[0] + (parts[2] * parts[1])[: parts[1]])
HOST_NAME = weighted(
    (20, st.sampled_from([b"a", b"localhost", b"127.0.0.1", b"example.org"])),
    (3, st.sampled_from([b"EXAMPLE.Org", b"a.", b"a.b.c", b"xn--bcher-kva.de", b"1.2.3.4.5", b"256.0.0.1"])),
    (3, st.sampled_from([b"a" * 63, b"a" * 64, b"b." + b"a" * 64, b"a" * 64 + b".b", (b"a" * 63 + b".") * 4 + b"a"])),
    (3, st.sampled_from([b"a..b", b".a", b"..", b".", b"xn--", b"xn--zz", b"xn--a.b", b"a" * 300])),
    (3, st.sampled_from(["bücher.de".encode(), "ü".encode("latin-1"), b"\xff", "例え.テスト".encode()])),
    (3, st.sampled_from([b"[::1]", b"[::1", b"::1", b"[v1.x]", b"[::ffff:1.2.3.4]", b"[fe80::1%25eth0]"])),
    (
        3,
        st.sampled_from(
            [
                b"",
                b" ",
                b"a b",
                b"a_b",
                b"a~b",
                b"*",
                b"u@a",
                b"u:p@a",
                b"a/b",
                b"a%41",
                b"a?b",
                b"a#b",
                b"a,b",
                b"a\\b",
                b"-a",
                b"a-",
                b"_",
            ]
        ),
    ),
)
PORT = weighted(
    (12, b""),
    (4, st.sampled_from([b":80", b":8080", b":443", b":20000"])),
    (3, st.sampled_from([b":0", b":65535", b":65536", b":", b":abc", b":08080", b":00080", b":99999999", b":-1"])),
)
HOST = st.builds(lambda name, port: name + port, HOST_NAME, PORT)
SCHEME = st.sampled_from([b"http", b"http", b"https", b"HTTP", b"ftp", b"x-y"])
FORMS = (
    (30, "origin"),
    (2, "empty"),
    (2, "query-only"),
    (1, "asterisk"),
    (1, "fragment-only"),
    (4, "absolute"),
    (1, "absolute-no-path"),
    (1, "authority"),
    (2, "relative"),
    (2, "network-path"),
    (1, "scheme-only"),
    (2, "long"),
)


@st.composite
def target(draw: st.DrawFn) -> tuple[bytes, list[str]]:
    """A request target: origin form mostly, and every other form."""
    query = draw(weighted((6, b""), (3, pieces(5).map(lambda text: b"?" + text)), (1, st.just(b"?"))))
    fragment = draw(weighted((10, b""), (1, pieces(3).map(lambda text: b"#" + text))))
    path = draw(ROUTE) + draw(pieces(6))
    form = draw(weighted(*FORMS))
    tags = [f"target:{form}"] + (["query"] if query else []) + (["fragment"] if fragment else [])
    forms: dict[str, Callable[[], bytes]] = {
        "origin": lambda: b"/" + path + query + fragment,
        "empty": lambda: b"",
        "query-only": lambda: b"?" + query.removeprefix(b"?") + fragment,
        "asterisk": lambda: b"*" + draw(st.sampled_from([b"", b"/hello/", b"hello"])),
        "fragment-only": lambda: b"#" + fragment.removeprefix(b"#"),
        "absolute": lambda: draw(SCHEME) + b"://" + draw(HOST) + b"/" + path + query + fragment,
        "absolute-no-path": lambda: b"http://" + draw(HOST) + query + fragment,
        "authority": lambda: draw(HOST_NAME) + draw(st.sampled_from([b":80", b":443", b":8080", b""])),
        "relative": lambda: path + query + fragment,
        "network-path": lambda: draw(st.sampled_from([b"//", b"///", b"//a/"])) + path + query + fragment,
        "scheme-only": lambda: draw(st.sampled_from([b"http:/", b"http:", b"x:/", b"mailto:"])) + path + query,
        "long": lambda: b"/" + draw(LONG_NAME) + query,
    }
    return forms[form](), tags


METHOD = weighted(
    (30, b"GET"),
    (6, b"HEAD"),
    (4, st.sampled_from([b"POST", b"PUT", b"DELETE", b"OPTIONS", b"PATCH", b"TRACE", b"CONNECT"])),
    (3, st.sampled_from([b"get", b"Get", b"head", b"FOO", b"M-SEARCH", b"G#T", b"~!", b"GET" * 30, b"PRI"])),
    (1, st.sampled_from([b"GE(T", b"G\x80T", b"", b"GET:", b"G\x00T"])),
)
VERSION = weighted(
    (30, b"HTTP/1.1"),
    (6, b"HTTP/1.0"),
    (3, b""),  # HTTP/0.9: no version at all
    (
        2,
        st.sampled_from(
            [
                b"HTTP/1.10",
                b"HTTP/2.0",
                b"HTTP/0.9",
                b"http/1.1",
                b"HTTP/1",
                b"HTTP/3.0",
                b"HTTP/1.1x",
                b"HTTP/01.1",
                b"HTTP/1.2",
                b"HTTP /1.1",
                b"FOO",
            ]
        ),
    ),
)


@st.composite
def one_request(draw: st.DrawFn) -> tuple[bytes, bytes, list[str]]:
    """A request: its bytes, its method, its tags."""
    method = draw(METHOD)
    raw_target, tags = draw(target())
    version = draw(VERSION)
    tags.append(f"version:{version.decode('latin-1') or '0.9'}")
    separator = draw(weighted((30, b" "), (1, st.sampled_from([b"  ", b"\t", b" \t"]))))
    eol = draw(weighted((30, b"\r\n"), (2, b"\n"), (1, b"\r")))
    tags += [f"eol:{eol!r}"] * (eol != b"\r\n") + ["line:separator"] * (separator != b" ")
    line = method + separator + raw_target + (separator + version if version else b"")
    if draw(weighted((30, False), (1, True))):
        line += draw(st.sampled_from([b" ", b"\t"]))
        tags.append("line:trailing-space")
    if not version:  # HTTP/0.9: the request line, and the blank line http.server still reads headers up to
        return line + eol + draw(st.sampled_from([eol, b""])), method, tags
    headers: Headers = []
    host_kind = draw(weighted((30, "one"), (2, "none"), (2, "two"), (2, "odd-name"), (1, "spaced")))
    host = draw(HOST)
    tags.append(f"host:{host_kind}")
    if host_kind == "one":
        headers.append((b"Host", host))
    elif host_kind == "two":
        headers += [(b"Host", host), (b"Host", draw(st.sampled_from([host, b"a", b"b"])))]
    elif host_kind == "odd-name":
        headers.append((draw(st.sampled_from([b"host", b"HOST", b"Host ", b"Host\t", b" Host", b"Ho_st"])), host))
    elif host_kind == "spaced":
        headers.append((b"Host", draw(st.sampled_from([b" ", b"\t", b"  "])) + host + b" "))
    extra = draw(st.lists(HEADER, max_size=2))
    headers += extra
    tags += [f"header:{name.decode('latin-1')}" for name, _ in extra]
    if draw(weighted((40, False), (1, True))):
        headers += [(b"X-N%d" % number, b"1") for number in range(101)]
        tags.append("header:many")
    framing, body, body_tags = draw(body_framing(method))
    headers += framing
    tags += body_tags
    if draw(weighted((12, False), (1, True))):
        headers.reverse()
    head = b"".join(name + (b": " + value if value is not None else b"") + eol for name, value in headers)
    return line + eol + head + eol + body, method, tags


NEXT_REQUEST = b"GET /index HTTP/1.1\r\nHost: a\r\n\r\n"


@st.composite
def fuzz_case(draw: st.DrawFn) -> FuzzCase:
    """One or two requests on one connection, sometimes after blank lines, sometimes followed by more bytes."""
    kind = draw(weighted((40, "request"), (2, "preface"), (1, "random")))
    if kind == "preface":
        return FuzzCase(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", ("PRI",), ("h2-preface",))
    if kind == "random":
        return FuzzCase(draw(st.binary(min_size=1, max_size=40)) + b"\r\n\r\n", ("?",), ("random-bytes",))
    data, method, tags = draw(one_request())
    methods = [method.decode("latin-1")]
    if draw(weighted((20, False), (1, True))):
        data = draw(st.sampled_from([b"\r\n", b"\r\n\r\n", b"\n"])) + data
        tags.append("leading-blank-line")
    after = draw(weighted((12, "nothing"), (2, "request"), (1, "close-then-request"), (1, "garbage")))
    head, blank, rest = data.partition(b"\r\n\r\n")
    if after == "request":
        data += NEXT_REQUEST
        methods.append("GET")
        tags.append("pipelined")
    elif after == "close-then-request" and blank and b"\r\n" in head:
        # the first request asks to close: whatever comes after it must be ignored
        data = head + b"\r\nConnection: close" + blank + rest + NEXT_REQUEST
        methods.append("GET")
        tags.append("close-then-more")
    elif after == "garbage":
        data += draw(st.sampled_from([b"garbage\r\n\r\n", b"\x00\xff", b"GET"]))
        tags.append("trailing-garbage")
    return FuzzCase(data, tuple(methods), tuple(tags))
