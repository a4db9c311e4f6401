"""The headers and bodies of the differential fuzzer's requests (tests/fuzz_requests.py draws the rest).

Headers that ask for a protocol switch or a 100 Continue, say a proxy is in front, or break the grammar (a space
in a name, a control byte in a value, an obsolete line folding, 17 KB and 70 KB values); bodies framed by
Content-Length or chunked, well and badly, and not framed at all.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st


def weighted(*choices: tuple[int, Any]) -> st.SearchStrategy[Any]:
    """One of the values or strategies, chosen with the given weights (hypothesis shrinks towards the first)."""
    strategies = [choice if isinstance(choice, st.SearchStrategy) else st.just(choice) for _, choice in choices]
    indices = [index for index, (weight, _) in enumerate(choices) for _ in range(weight)]
    return st.sampled_from(indices).flatmap(lambda index: strategies[index])


CONNECTION = st.sampled_from([b"close", b"keep-alive", b"Close", b"upgrade", b"close, te", b"x", b""])
ODD_HEADERS = [
    (b"X-A", b"1\r\n 2"),
    (b"X-A", b"1\r\n\t2"),
    (b"X A", b"1"),
    (b"X-A ", b"1"),
    (b"", b"x"),
    (b"X-A", b"a\x00b"),
    (b"X-A", b"a\rb"),
    (b"X-A", "é".encode()),
    (b"X-A", b"\xff"),
    (b"X-A", b" padded "),
    (b"X(A)", b"1"),
    (b"X-A", b"a" * 9000),
    (b"X-A", b"a" * 17000),
    (b"X-A", b"a" * 70000),
    (b"Garbage-No-Colon", None),
]
HEADER = weighted(
    (6, st.tuples(st.just(b"Connection"), CONNECTION)),
    (2, st.just((b"Expect", b"100-continue"))),
    (2, st.sampled_from([(b"Upgrade", b"h2c"), (b"Upgrade", b"websocket"), (b"Upgrade", b"WebSocket")])),
    (
        2,
        st.sampled_from(
            [
                (b"X-Forwarded-For", b"1.2.3.4"),
                (b"X-Forwarded-Host", b"evil"),
                (b"Forwarded", b"for=x"),
                (b"X-Forwarded-Prefix", b"/p"),
                (b"X_Forwarded_For", b"1.2.3.4"),
            ]
        ),
    ),
    (
        2,
        st.sampled_from(
            [
                (b"X_Y", b"1"),
                (b"Accept", b"*/*"),
                (b"User-Agent", b"fuzz"),
                (b"Cookie", b"a=b"),
                (b"Accept-Encoding", b"gzip"),
                (b"Sec-WebSocket-Key", b"dGhlIHNhbXBsZSBub25jZQ=="),
                (b"Sec-WebSocket-Version", b"13"),
                (b"If-None-Match", b"*"),
                (b"Range", b"bytes=0-1"),
            ]
        ),
    ),
    (3, st.sampled_from(ODD_HEADERS)),
)
Headers = list[tuple[bytes, bytes | None]]


@st.composite
def body_framing(draw: st.DrawFn, method: bytes) -> tuple[Headers, bytes, list[str]]:
    """Content-Length or Transfer-Encoding headers and the body's bytes, with and without framing."""
    kind = draw(
        weighted(
            (20 if method in (b"GET", b"HEAD") else 4, "none"),
            (4, "length"),
            (2, "length-short"),
            (1, "length-long"),
            (2, "length-odd"),
            (3, "chunked"),
            (2, "chunked-bad"),
            (2, "te-odd"),
            (2, "te-and-length"),
            (1, "unframed"),
        )
    )
    data = draw(st.sampled_from([b"", b"x", b"hello=world", b"a" * 100]))
    tags = [f"body:{kind}"]
    chunked = (b"%x\r\n%s\r\n" % (len(data), data) if data else b"") + b"0\r\n\r\n"
    if kind == "none":
        return [], b"", []
    if kind == "length":
        return [(b"Content-Length", str(len(data)).encode())], data, tags
    if kind == "length-short":  # says less than is sent: the rest reads as the next request
        return [(b"Content-Length", b"0")], b"x" + data, tags
    if kind == "length-long":  # says more than is sent: the server waits for the rest
        return [(b"Content-Length", str(len(data) + 5).encode())], data, tags
    if kind == "length-odd":
        value = draw(st.sampled_from([b"-1", b"abc", b" 1", b"1 ", b"+1", b"0x1", b"9" * 20, b"1,1", b"1, 2", b""]))
        twice = draw(st.booleans())
        headers: Headers = [(b"Content-Length", value)]
        headers += [(b"Content-Length", b"1")] * twice
        return headers, b"x", tags + ["twice"] * twice
    if kind == "chunked":
        return [(b"Transfer-Encoding", b"chunked")], chunked, tags
    if kind == "chunked-bad":
        bad = draw(
            st.sampled_from(
                [
                    b"zz\r\nx\r\n0\r\n\r\n",
                    b"1\r\nxx\r\n0\r\n\r\n",
                    b"5\r\nab",
                    b"-1\r\n\r\n",
                    b"1;ext=1\r\nx\r\n0\r\n\r\n",
                    b"0\r\nTrailer: x\r\n\r\n",
                    b"1\nx\n0\n\n",
                ]
            )
        )
        return [(b"Transfer-Encoding", b"chunked")], bad, tags
    if kind == "te-odd":
        value = draw(
            st.sampled_from(
                [
                    b"gzip",
                    b"gzip, chunked",
                    b"chunked, gzip",
                    b"identity",
                    b"Chunked",
                    b" chunked",
                    b"chunked, chunked",
                    b"x",
                ]
            )
        )
        return [(b"Transfer-Encoding", value)], chunked, tags
    if kind == "te-and-length":
        return [(b"Transfer-Encoding", b"chunked"), (b"Content-Length", b"3")], chunked, tags
    return [], data or b"junk", tags  # unframed: bytes after the head with nothing saying how many
