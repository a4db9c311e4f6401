"""A corpus: the requests both apps are sent, what differs on purpose and what is masked, read from a TOML file.

docs/comparing.md ("A corpus file") documents the format and docs/example/corpus.toml shows every key; greeter's
own corpus is corpus.toml beside this module. Every mistake in a file is one sentence naming where it is.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from greeter.tools.compare.case import ALL_METHODS, RAW, Case
from greeter.tools.compare.corpus_values import CorpusError as CorpusError  # raised here, so named here too
from greeter.tools.compare.corpus_values import TableReader
from greeter.tools.compare.differences import IntendedDifference
from greeter.tools.compare.multipart import multipart_body
from greeter.tools.compare.observe import COMPARED, Mask
from greeter.tools.compare.raw_case import raw_bytes

CORPUS_TOML = Path(__file__).with_name("corpus.toml")
DEFAULT_METHODS = ("GET", "HEAD")
METHOD = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # a token, as HTTP defines one
HEADER_NAME = METHOD
FRAMING_HEADERS = ("content-length", "transfer-encoding", "connection")
TARGET = re.compile(r"/[\x21-\x7e]*")  # what a request line can carry: printable ASCII, no space
KEYS = {
    "top": {"url_map", "request", "sequence", "intended", "mask"},
    "request": {
        "path",
        "method",
        "methods",
        "headers",
        "form",
        "json",
        "body",
        "content_type",
        "files",
        "repeat",
        "raw",
        "why",
    },
    "sequence": {"name", "why", "request"},
    "intended": {
        "title",
        "reason",
        "path",
        "methods",
        "differs_in",
        "flask_status",
        "quart_status",
        "other_headers",
        "set_aside",
        "raw",
    },
    "mask": {"why", "path", "header", "body"},
    "file": {"field", "filename", "content", "source", "content_type"},
}


@dataclass(frozen=True)
class Corpus:
    """Every case in the order sent, with the intended differences and masks that judge the answers."""

    source: str  # where the cases come from, for the title: a file, or the URL map of an app
    cases: tuple[Case, ...]
    intended: tuple[IntendedDifference, ...] = ()
    masks: tuple[Mask, ...] = ()
    notes: tuple[str, ...] = ()  # what a corpus derived from a URL map left out, and why
    url_map: bool = False  # the file asks for the cases derived from the Flask app's URL map, before its own

    def with_cases_first(self, derived: Corpus) -> Corpus:
        """This corpus with a derived one's cases (and notes) before its own."""
        return Corpus(
            f"{derived.source} and {self.source}",
            derived.cases + self.cases,
            self.intended,
            self.masks,
            derived.notes + self.notes,
        )


def load_corpus(path: Path = CORPUS_TOML) -> Corpus:
    """A corpus file, read and checked; CorpusError says what is wrong and where."""
    shown = _shown(path)
    try:
        with path.open("rb") as file:
            data = tomllib.load(file)
    except FileNotFoundError:
        raise CorpusError(f"there is no corpus file {shown}.") from None
    except IsADirectoryError:
        raise CorpusError(f"the corpus {shown} is a folder, not a file.") from None
    except tomllib.TOMLDecodeError as error:
        raise CorpusError(f"{shown} is not valid TOML: {error}.") from None
    except (OSError, UnicodeDecodeError) as error:
        raise CorpusError(
            f"cannot read the corpus file {shown}: {getattr(error, 'strerror', None) or error}."
        ) from None
    reader = _Reader(shown, path.parent)
    return reader.corpus(data)


def _shown(path: Path) -> str:
    """A path as the person would write it: relative to the current folder when it is inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


class _Reader(TableReader):
    """Reads one file's tables into a Corpus, every mistake one sentence: `FILE: [[request]] 3 (/x) ...`."""

    keys = KEYS

    def __init__(self, shown: str, folder: Path) -> None:
        super().__init__(shown)
        self.folder = folder

    def corpus(self, data: dict[str, Any]) -> Corpus:
        self.known_keys(data, "top", "the file")
        url_map = self.typed(data, "url_map", bool, "the file", False)
        cases: list[Case] = []
        for number, entry in enumerate(self.tables(data, "request", "the file"), start=1):
            cases += self.requests(entry, f"[[request]] {number}{self.about(entry)}")
        names: set[str] = set()
        for number, entry in enumerate(self.tables(data, "sequence", "the file"), start=1):
            where = f"[[sequence]] {number}{self.about(entry, 'name')}"
            sequence = self.sequence(entry, where)
            if sequence[0].sequence in names:
                raise self.fail(where, "has the name of an earlier sequence; give each its own")
            names.add(sequence[0].sequence)
            cases += sequence
        if not cases and not url_map:
            raise self.fail("the file", "has no [[request]] and no [[sequence]], and does not set url_map = true")
        intended = tuple(
            self.intended(entry, f"[[intended]] {number}{self.about(entry, 'title')}")
            for number, entry in enumerate(self.tables(data, "intended", "the file"), start=1)
        )
        masks = tuple(
            self.mask(entry, f"[[mask]] {number}")
            for number, entry in enumerate(self.tables(data, "mask", "the file"), start=1)
        )
        return Corpus(self.shown, tuple(cases), intended, masks, url_map=url_map)

    # the entries

    def requests(self, entry: dict[str, Any], where: str, *, sequence: str = "", step: int = 0) -> list[Case]:
        self.known_keys(entry, "request", where)
        if "raw" in entry:
            return [self.raw_request(entry, where, sequence=sequence)]
        target = self.target(entry, where)
        body, sends, content_type = self.body(entry, where)
        headers = self.headers(entry, where)
        if content_type is not None and not any(name.lower() == "content-type" for name, _ in headers):
            headers = (*headers, ("Content-Type", content_type))
        methods = self.methods(entry, where, body_default=bool(sends), single=bool(sequence))
        why = self.typed(entry, "why", str, where, "")
        return [Case(method, target, why, headers, body, sends, sequence, step) for method in methods]

    def raw_request(self, entry: dict[str, Any], where: str, *, sequence: str) -> Case:
        if sequence:
            raise self.fail(where, "has raw: a request of a sequence is sent with its cookies, so it cannot be raw")
        others = sorted(set(entry) - {"raw", "why"})
        if others:
            raise self.fail(where, f"has raw and {', '.join(others)}: a raw request is its bytes alone (and a why)")
        data = raw_bytes(entry["raw"])
        if isinstance(data, str):
            raise self.fail(where, f"has a raw {data}")
        return Case(RAW, "", self.typed(entry, "why", str, where, ""), raw=data)

    def sequence(self, entry: dict[str, Any], where: str) -> list[Case]:
        self.known_keys(entry, "sequence", where)
        name = self.typed(entry, "name", str, where)
        if not name.strip():
            raise self.fail(where, "has an empty name")
        steps = self.tables(entry, "request", where)
        if not steps:
            raise self.fail(where, "has no [[sequence.request]]")
        cases = []
        for step, request in enumerate(steps, start=1):
            (case,) = self.requests(request, f"{where}, request {step}", sequence=name, step=step)
            cases.append(case)
        why = self.typed(entry, "why", str, where, "")
        return [Case(c.method, c.target, c.why or why, c.headers, c.body, c.sends, c.sequence, c.step) for c in cases]

    def intended(self, entry: dict[str, Any], where: str) -> IntendedDifference:
        self.known_keys(entry, "intended", where)
        parts = self.strings(entry, "differs_in", where, required=False)
        if not parts or any(part not in COMPARED for part in parts):
            raise self.fail(where, f"needs differs_in, a list of some of: {', '.join(COMPARED)}")
        methods = self.strings(entry, "methods", where, required=False)
        other_headers = self.strings(entry, "other_headers", where, required=False)
        set_aside = self.typed(entry, "set_aside", str, where, None)
        raw = self.typed(entry, "raw", str, where, None)
        path = self.typed(entry, "path", str, where, None)
        if (raw is None) == (path is None) or (raw is not None and methods is not None):
            raise self.fail(where, "needs either path (and methods, if any) or raw (for raw requests)")
        return IntendedDifference(
            title=self.typed(entry, "title", str, where),
            reason=self.typed(entry, "reason", str, where),
            path=None if path is None else self.pattern(path, where, "path").pattern,
            raw=None if raw is None else self.pattern(raw, where, "raw"),
            parts=frozenset(parts),
            methods=None if methods is None else frozenset(self.method(m, where) for m in methods),
            flask_status=self.status(entry, "flask_status", where),
            quart_status=self.status(entry, "quart_status", where),
            other_headers=None if other_headers is None else frozenset(name.lower() for name in other_headers),
            set_aside=None if set_aside is None else self.body_pattern(set_aside, where, "set_aside"),
        )

    def mask(self, entry: dict[str, Any], where: str) -> Mask:
        self.known_keys(entry, "mask", where)
        path = self.typed(entry, "path", str, where, None)
        header = self.typed(entry, "header", str, where, None)
        body = entry.get("body")
        patterns = [body] if isinstance(body, str) else body
        if (header is None) == (body is None):
            raise self.fail(where, "needs either header (a name) or body (a regular expression, or a list of them)")
        if header is not None and not HEADER_NAME.fullmatch(header):
            raise self.fail(where, f"has a header name with a character no header name has: {header!r}")
        if patterns is not None and (not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns)):
            raise self.fail(where, "has a body that is neither a regular expression nor a list of them")
        return Mask(
            why=self.typed(entry, "why", str, where, ""),
            path=None if path is None else self.pattern(path, where, "path").pattern,
            header=header,
            body=tuple(self.body_pattern(pattern, where, "body") for pattern in patterns or ()),
        )

    # the parts of a request

    def target(self, entry: dict[str, Any], where: str) -> str:
        target = self.typed(entry, "path", str, where)
        repeat = entry.get("repeat")
        if repeat is not None:
            if not (
                isinstance(repeat, list)
                and len(repeat) == 2
                and isinstance(repeat[0], str)
                and isinstance(repeat[1], int)
                and 0 < repeat[1] <= 100_000
            ):
                raise self.fail(where, "has a repeat that is not [text, times] (times from 1 to 100,000)")
            target += repeat[0] * repeat[1]
        if not TARGET.fullmatch(target):
            raise self.fail(
                where,
                "has a path that is not a request target: it starts with / and has no space or non-ASCII character"
                " (percent-encode them, as a browser does: %20, %C3%A9)",
            )
        return target

    def methods(self, entry: dict[str, Any], where: str, *, body_default: bool, single: bool) -> tuple[str, ...]:
        if "method" in entry and "methods" in entry:
            raise self.fail(where, "has both method and methods; give one")
        if single and "methods" in entry:
            raise self.fail(where, "has methods: a request of a sequence has one method (method = ...)")
        if "method" in entry:
            return (self.method(entry["method"], where),)
        methods = entry.get("methods", ("POST",) if body_default else ("GET",) if single else DEFAULT_METHODS)
        if methods == "all":
            return ALL_METHODS
        if not isinstance(methods, list | tuple) or not methods:
            raise self.fail(where, 'has methods that are neither "all" nor a list of methods')
        found = tuple(self.method(method, where) for method in methods)
        if len(set(found)) != len(found):
            raise self.fail(where, "names a method twice")
        return found

    def method(self, method: object, where: str) -> str:
        if not isinstance(method, str) or not METHOD.fullmatch(method):
            raise self.fail(where, f"has {method!r} for a method, which is not one (GET, POST, ...)")
        return method

    def headers(self, entry: dict[str, Any], where: str) -> tuple[tuple[str, str], ...]:
        headers = self.typed(entry, "headers", dict, where, {})
        for name, value in headers.items():
            if not HEADER_NAME.fullmatch(name):
                raise self.fail(where, f"has a header name with a character no header name has: {name!r}")
            if not isinstance(value, str) or not value.isprintable() or not value.isascii():
                raise self.fail(where, f"has a value for {name} that is not one line of ASCII text")
            if name.lower() in FRAMING_HEADERS:
                raise self.fail(where, f"sets {name}, which greeter sets from the body it sends; leave it out")
        return tuple(headers.items())

    def body(self, entry: dict[str, Any], where: str) -> tuple[bytes, str, str | None]:
        """The body, what it is in a few words, and the Content-Type it goes with."""
        given = [key for key in ("form", "json", "body", "files") if key in entry]
        if len(given) > 1 and set(given) != {"form", "files"}:
            raise self.fail(where, f"has {' and '.join(given)}: a request has one body (form goes with files)")
        content_type = self.typed(entry, "content_type", str, where, None)
        if content_type is not None and "body" not in entry:
            raise self.fail(where, "has a content_type without a body (form, json and files set their own)")
        form = self.form(entry, where)
        if "files" in entry:
            return multipart_body(form, self.files(entry, where))
        if "form" in entry:
            return urlencode(form, doseq=True).encode(), "a form", "application/x-www-form-urlencoded"
        if "json" in entry:
            return json.dumps(entry["json"], ensure_ascii=False).encode(), "JSON", "application/json"
        if "body" in entry:
            return self.typed(entry, "body", str, where).encode(), "a body", content_type
        return b"", "", None

    def form(self, entry: dict[str, Any], where: str) -> list[tuple[str, str]]:
        fields: list[tuple[str, str]] = []
        for name, value in self.typed(entry, "form", dict, where, {}).items():
            values = value if isinstance(value, list) else [value]
            if not all(isinstance(item, str) for item in values):
                raise self.fail(where, f"has a form field {name} that is neither text nor a list of texts")
            fields += [(name, item) for item in values]
        return fields

    def files(self, entry: dict[str, Any], where: str) -> list[tuple[str, str, str, bytes]]:
        """Each file as (field, file name, content type, content)."""
        files = entry["files"]
        if not isinstance(files, list) or not files or not all(isinstance(file, dict) for file in files):
            raise self.fail(where, "has files that are not a list of tables ({ field = ..., filename = ... })")
        found = []
        for number, file in enumerate(files, start=1):
            at = f"{where}, file {number}"
            self.known_keys(file, "file", at)
            if ("content" in file) == ("source" in file):
                raise self.fail(at, "needs either content (text) or source (a file, from the corpus file's folder)")
            if "source" in file:
                source = self.folder / self.typed(file, "source", str, at)
                try:
                    content = source.read_bytes()
                except OSError as error:
                    raise self.fail(at, f"has a source that cannot be read: {error.strerror} ({source})") from None
            else:
                content = self.typed(file, "content", str, at).encode()
            found.append(
                (
                    self.typed(file, "field", str, at),
                    self.typed(file, "filename", str, at),
                    self.typed(file, "content_type", str, at, "application/octet-stream"),
                    content,
                )
            )
        return found
