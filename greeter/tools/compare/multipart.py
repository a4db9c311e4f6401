"""multipart/form-data as a browser sends it: the body of a corpus case that uploads files."""

from __future__ import annotations

import hashlib


def multipart_body(form: list[tuple[str, str]], files: list[tuple[str, str, str, bytes]]) -> tuple[bytes, str, str]:
    """multipart/form-data as a browser sends it, with a boundary made of the contents (the same bytes each run)."""
    parts = [(f'name="{_quoted(name)}"'.encode(), b"", value.encode()) for name, value in form]
    parts += [
        (f'name="{_quoted(field)}"; filename="{_quoted(filename)}"'.encode(), kind.encode(), content)
        for field, filename, kind, content in files
    ]
    digest = hashlib.sha256(b"".join(b"".join(part) for part in parts)).hexdigest()
    boundary = f"greeter-compare-{digest[:32]}".encode()
    body = b""
    for disposition, kind, content in parts:
        body += b"--" + boundary + b"\r\nContent-Disposition: form-data; " + disposition + b"\r\n"
        body += (b"Content-Type: " + kind + b"\r\n" if kind else b"") + b"\r\n" + content + b"\r\n"
    body += b"--" + boundary + b"--\r\n"
    sends = f"a file, {files[0][1] or 'no name'}" if len(files) == 1 else f"{len(files)} files"
    return body, sends, f"multipart/form-data; boundary={boundary.decode()}"


def _quoted(name: str) -> str:
    """A name in a multipart header, as browsers write it: quotes and line breaks percent-encoded."""
    return name.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")
