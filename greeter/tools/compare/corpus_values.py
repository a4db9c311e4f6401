"""The values of a corpus file's tables, each checked as it is read: a mistake is one sentence naming where it is.

The base of the corpus reader (greeter/tools/compare/corpus.py), which knows the tables and their keys.
"""

from __future__ import annotations

import re
from typing import Any, TypeVar

from greeter.shared.errors import GreeterError

T = TypeVar("T")
_KINDS: dict[type, str] = {str: "text", int: "a whole number", bool: "true or false", dict: "a table"}


class CorpusError(GreeterError):
    """A corpus file that cannot be used: one sentence naming the file and the entry, exit status 2."""


class TableReader:
    """Reads values out of a file's tables; every mistake one sentence: `FILE: [[request]] 3 (/x) ...`."""

    keys: dict[str, set[str]]  # the keys each kind of table may have

    def __init__(self, shown: str) -> None:
        self.shown = shown

    def fail(self, where: str, problem: str) -> CorpusError:
        return CorpusError(f"{self.shown}: {where} {problem}.")

    def status(self, entry: dict[str, Any], key: str, where: str) -> int | None:
        status = self.typed(entry, key, int, where, None)
        if status is not None and not 100 <= status <= 599:
            raise self.fail(where, f"has {key} = {status}, which is not an HTTP status (100 to 599)")
        return status

    def pattern(self, text: str, where: str, key: str) -> re.Pattern[str]:
        try:
            return re.compile(text)
        except re.error as error:
            raise self.fail(where, f"has a {key} that is not a regular expression ({error})") from None

    def body_pattern(self, text: str, where: str, key: str) -> re.Pattern[bytes]:
        try:
            return re.compile(text.encode())
        except re.error as error:
            raise self.fail(where, f"has a {key} that is not a regular expression ({error})") from None

    def strings(self, entry: dict[str, Any], key: str, where: str, *, required: bool = True) -> list[str] | None:
        if key not in entry and not required:
            return None
        value = entry.get(key)
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise self.fail(where, f"needs {key}, a list of texts")
        return value

    _MISSING: Any = object()

    def typed(self, entry: dict[str, Any], key: str, kind: type[T], where: str, default: Any = _MISSING) -> T:
        if key not in entry:
            if default is self._MISSING:
                raise self.fail(where, f"has no {key}")
            return default  # type: ignore[no-any-return]
        value = entry[key]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise self.fail(where, f"has a {key} that is not {_KINDS.get(kind, kind.__name__)}")
        return value

    def tables(self, entry: dict[str, Any], key: str, where: str) -> list[dict[str, Any]]:
        tables = entry.get(key, [])
        if not isinstance(tables, list) or not all(isinstance(table, dict) for table in tables):
            raise self.fail(where, f"has {key} that is not a list of tables: write each as [[{key}]]")
        return tables

    def known_keys(self, entry: dict[str, Any], kind: str, where: str) -> None:
        unknown = sorted(set(entry) - self.keys[kind])
        if unknown:
            raise self.fail(where, f"has {_an_unknown(unknown)}; the keys are {', '.join(sorted(self.keys[kind]))}")

    @staticmethod
    def about(entry: dict[str, Any], key: str = "path") -> str:
        value = entry.get(key)
        return f" ({value[:60]})" if isinstance(value, str) else ""


def _an_unknown(keys: list[str]) -> str:
    return f"an unknown key {keys[0]!r}" if len(keys) == 1 else f"unknown keys {', '.join(map(repr, keys))}"
