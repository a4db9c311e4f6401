"""A security policy violation, as the browser reports it, said in one line: what was blocked, on which page, and how
to do it instead. Under --debug the policy asks the browser for these reports (greeter/plumbing/policy_reports.py);
otherwise only the browser's console would say why a `<p style="color: red">` renders black. No framework.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from greeter.shared.paths import shown_path

MOST_SHOWN = 60  # characters of a sample or an address: the line stays one line
STYLE_BLOCK = (
    "a <style> block of the page's template (base.html has the pages' own), which greeter allows by its hash,"
    " recomputed from the template"
)
SCRIPT_BLOCK = "a <script> block of the page's template, which greeter allows by its hash, recomputed from the template"
WHAT_IT_ALLOWS = "docs/production.md#security says what the policy allows"
# what each directive governs, for a file from an address: "a stylesheet from https://..."
LOADED = {
    "style-src-elem": "a stylesheet",
    "style-src": "a stylesheet",
    "script-src-elem": "a script",
    "script-src": "a script",
    "img-src": "an image",
    "font-src": "a font",
    "connect-src": "a connection",
    "media-src": "a sound or video",
    "frame-src": "a frame",
    "child-src": "a frame",
    "object-src": "a plugin",
    "manifest-src": "a manifest",
    "worker-src": "a worker",
}


def shown(text: object) -> str:
    """What the browser sent, safe for a terminal: no control characters (an escape sequence is shown, never run)."""
    value = "".join(char if char.isprintable() else repr(char)[1:-1] for char in str(text).strip())
    return value if len(value) <= MOST_SHOWN else value[: MOST_SHOWN - 3] + "..."


def page_of(report: Mapping[str, Any]) -> str:
    """The page's path and query, as the student typed it in the address bar."""
    address = urlsplit(str(report.get("document-uri", "")))
    return shown(address.path + (f"?{address.query}" if address.query else "")) or "a page"


def found_in(needle: str, sources: Iterable[Path], attribute: bool) -> tuple[Path, int] | None:
    """The first file of the page's sources (its templates before its code) and line that hold what was blocked.

    The browser's line counts the page as served (base.html's lines, then the block's), not the template's."""
    wanted = next((line.strip() for line in needle.splitlines() if line.strip()), "")
    if not wanted:
        return None
    for path in sorted(sources, key=lambda path: (path.suffix == ".py", str(path))):
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            continue
        for number, text in enumerate(lines, 1):
            # a style attribute's value, never the same words in a <style> block (`.soon { color: red; }`)
            if wanted in text and (not attribute or "style=" in text):
                return path, number
    return None


def violation_line(report: Mapping[str, Any], sources: Iterable[Path] = ()) -> str:
    """One line for one report (the "csp-report" object the browser posts: report-uri's format); sources: the
    files the page came from, searched for what was blocked, to name the file and line to edit."""
    # effective-directive is the one that applied (style-src-attr, not the style-src it fell back on)
    words = str(report.get("effective-directive") or report.get("violated-directive") or "").split()
    kind = words[0] if words else "an unnamed directive"
    blocked = str(report.get("blocked-uri", ""))
    page = page_of(report)
    line = report.get("line-number")
    raw_sample = str(report.get("script-sample", ""))
    sample = shown(raw_sample)
    needle = raw_sample if blocked == "inline" else blocked if kind in LOADED else ""
    where = found_in(needle, sources, attribute=kind == "style-src-attr")
    if where is not None:
        at = f" in {shown_path(where[0])}, line {where[1]}"  # greeter's own file: said whole
    else:
        at = f", line {line} of the page as served" if isinstance(line, int) and line > 0 else ""
    if blocked == "inline":
        return _inline(kind, page, sample, at)
    if blocked in ("eval", "wasm-eval"):
        return f"the page {page} ran code from a string (eval or new Function{at}), which the security policy blocks."
    if kind == "form-action":
        return (
            f"the page {page} submitted a form to {shown(blocked) or 'an address'}, which the security policy blocks"
            " (form-action 'none': greeter's pages have no form); to add one, allow its address in form-action in"
            " greeter/shared/security.py."
        )
    if kind in LOADED:
        source = f" from {shown(blocked)}" if blocked else ""
        allowed = {
            "img-src": "only images written into the page (data: addresses)",
            "connect-src": "only connections to greeter itself",
        }.get(kind, "none from another site, nor from greeter itself")
        instead = {
            "style-src-elem": f": put the styles in {STYLE_BLOCK}.",
            "style-src": f": put the styles in {STYLE_BLOCK}.",
            "script-src-elem": f": put the script in {SCRIPT_BLOCK}.",
            "script-src": f": put the script in {SCRIPT_BLOCK}.",
        }.get(kind, f"; {WHAT_IT_ALLOWS}.")
        return (
            f"the page {page} asked for {LOADED[kind]}{source}{at}, which the security policy blocks:"
            f" it allows {allowed}{instead}"
        )
    what = shown(blocked) or "something"
    return f"the page {page}: the security policy blocked {what} ({kind}{at}); {WHAT_IT_ALLOWS}."


def _inline(kind: str, page: str, sample: str, at: str) -> str:
    """An inline style or script that is not one of the templates' blocks."""
    if kind == "style-src-attr":
        said = f' (style="{sample}"{at})' if sample else _where(at)
        return (
            f"the page {page} has a style attribute{said}, which the security policy blocks: give the element a"
            f" class, and style the class in {STYLE_BLOCK}."
        )
    said = f" ({sample}{at})" if sample else _where(at)
    if kind in ("style-src-elem", "style-src"):
        return (
            f"the page {page} has a <style> block that is in no template{said}, which the security policy blocks:"
            f" move it into {STYLE_BLOCK}."
        )
    if kind == "script-src-attr":
        return (
            f"the page {page} has an event handler attribute such as onclick={said}, which the security policy"
            f" blocks: give the element an id, and add the handler with addEventListener in {SCRIPT_BLOCK}."
        )
    return (
        f"the page {page} has a <script> block that is in no template{said}, which the security policy blocks:"
        f" move it into {SCRIPT_BLOCK}."
    )


def _where(at: str) -> str:
    """ ", line 9 of the page as served" as " (line 9 of the page as served)"; nothing for nothing."""
    return f" ({at.removeprefix(', ').removeprefix(' ')})" if at else ""
