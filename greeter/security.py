"""What both apps do for safety on every response: the security headers, and the Host check. Framework-free."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Collection, Mapping
from pathlib import Path

from werkzeug.sansio.utils import host_is_trusted

# the one inline <style> and <script> of the templates: the policy allows exactly these, by their hashes
INLINE_BLOCK = re.compile(r"<(?P<tag>style|script)>(?P<source>.*?)</(?P=tag)>", re.DOTALL)
UNTRUSTED_HOST_MESSAGE = "Bad Request: this server does not answer for that host name.\n"


def inline_source_hashes(templates_dir: Path) -> dict[str, list[str]]:
    """CSP hash sources of every inline style and script block in the templates, by tag."""
    hashes: dict[str, list[str]] = {"style": [], "script": []}
    for template in sorted(templates_dir.glob("*.html")):
        for block in INLINE_BLOCK.finditer(template.read_text(encoding="utf-8")):
            source = block["source"]
            if "{{" in source or "{%" in source:
                # a hash covers one fixed text; a block that changes per page would break the policy
                raise ValueError(f"{template.name}: an inline <{block['tag']}> must not contain template code")
            digest = base64.b64encode(hashlib.sha256(source.encode()).digest()).decode()
            hashes[block["tag"]].append(f"'sha256-{digest}'")
    return hashes


def security_headers(templates_dir: Path) -> Mapping[str, str]:
    """The headers every response carries: no sniffing, no framing, no referrer, and only our own inline code."""
    hashes = inline_source_hashes(templates_dir)
    policy = {
        "default-src": "'none'",  # whatever is not allowed below is refused
        "style-src": " ".join(hashes["style"]) or "'none'",
        "script-src": " ".join(hashes["script"]) or "'none'",
        "connect-src": "'self'",  # /process/ reads its live stream
        "img-src": "data:",  # the empty icon that stops the browser asking for /favicon.ico
        "base-uri": "'none'",
        "form-action": "'none'",
        "frame-ancestors": "'none'",
    }
    return {
        "Content-Security-Policy": "; ".join(f"{name} {sources}" for name, sources in policy.items()),
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate it
        "Referrer-Policy": "no-referrer",
    }


def host_is_served(host: str | None, trusted_hosts: Collection[str] | None) -> bool:
    """Whether a request's Host is one the app answers for: any host unless GREETER_TRUSTED_HOSTS names some."""
    # host names are case-insensitive; Werkzeug's check compares them as written
    return trusted_hosts is None or host_is_trusted(host.lower() if host else host, trusted_hosts)
