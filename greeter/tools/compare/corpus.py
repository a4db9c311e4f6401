"""The corpus: the requests both apps are sent, read from corpus.toml beside this module."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CORPUS_TOML = Path(__file__).with_name("corpus.toml")
ALL_METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS")
DEFAULT_METHODS = ("GET", "HEAD")


@dataclass(frozen=True)
class Case:
    """One request of the corpus: a method and a request target as a client sends it."""

    method: str
    target: str
    why: str = ""

    @property
    def path(self) -> str:
        return self.target.partition("?")[0]

    @property
    def query(self) -> str:
        return self.target.partition("?")[2]

    def shown(self, width: int = 48) -> str:
        """The target, shortened for a table: the long names of the corpus would fill a screen."""
        if len(self.target) <= width:
            return self.target
        return f"{self.target[: width - 16]}…({len(self.target)} chars)"


def load_corpus(path: Path = CORPUS_TOML) -> list[Case]:
    """Every case of the corpus, in the file's order, each path with each of its methods."""
    with path.open("rb") as file:
        entries: list[dict[str, Any]] = tomllib.load(file)["request"]
    cases = []
    for entry in entries:
        target = entry["path"]
        if "repeat" in entry:
            text, times = entry["repeat"]
            target += text * times
        methods = entry.get("methods", DEFAULT_METHODS)
        for method in ALL_METHODS if methods == "all" else methods:
            cases.append(Case(method, target, entry.get("why", "")))
    return cases
