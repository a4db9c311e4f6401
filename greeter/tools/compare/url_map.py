"""A corpus made from a Flask app's URL map, for `greeter compare --flask ... --quart ...` with no corpus file.

Every rule, with a sample value for each of its converters, sent with every method it allows and one it does not;
its trailing-slash variant; the files of each static folder and one that is not there; a path no rule matches.
A converter's sample: greeter's own for Werkzeug's converters (string, int, float, path, uuid, each item of any);
for a custom one, its `sample` attribute (a value, or a list of them, given to its to_url) if it has one, else the
first of the standard samples its to_url takes and its own regex and to_python accept. What cannot be built is
left out, and said.
"""

from __future__ import annotations

import itertools
import re
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from flask import Flask
from quart import Quart
from werkzeug.exceptions import HTTPException
from werkzeug.routing import BaseConverter, MapAdapter, Rule, ValidationError
from werkzeug.routing.converters import (
    AnyConverter,
    FloatConverter,
    IntegerConverter,
    PathConverter,
    UnicodeConverter,
    UUIDConverter,
)

from greeter.tools.compare.case import ALL_METHODS, Case
from greeter.tools.compare.corpus import Corpus

NO_SUCH_PATH = "/greeter-compare/no-such-page"
MISSING_STATIC_FILE = "greeter-compare-no-such-file.txt"
MOST_STATIC_FILES = 20  # of each static folder: enough to see how files are served
MOST_COMBINATIONS = 10  # of the samples of one rule's converters
SAMPLE_UUID = uuid.UUID("12345678-1234-5678-1234-567812345678")
# what a custom converter is offered when it has no `sample`: the standard converters' own samples
STANDARD_SAMPLES: tuple[object, ...] = ("sample", 1, 1.5, SAMPLE_UUID, "a/b", "x")
BROWSER_METHODS = ("GET", "HEAD")


def derive_corpus(app: Flask, shown: str, quart_app: Quart | None = None) -> Corpus:
    """The cases of the app's URL map, in the order its rules were added, and notes on what was left out."""
    cases: list[Case] = []
    notes: list[str] = []
    sent: set[tuple[str, str]] = set()

    def add(method: str, target: str, why: str) -> None:
        if (method, target) not in sent:
            sent.add((method, target))
            cases.append(Case(method, target, why))

    rules = list(app.url_map.iter_rules())
    for rule in rules:
        if rule.host or rule.subdomain:
            notes.append(f"{rule.rule}: a rule for a host or subdomain, left out (write its cases in a corpus file)")
            continue
        if _is_static(rule):
            targets = _static_targets(app, rule)
        else:
            samples = _samples_of_rule(rule)
            if isinstance(samples, str):
                notes.append(f"{rule.rule}: {samples}")
                continue
            targets = [target for values in samples if (target := _build(rule, values)) is not None]
            if not targets:
                notes.append(f"{rule.rule}: left out, as no URL could be built with the samples")
                continue
        allowed = _allowed(rules, targets[0], app)
        for target in targets:
            for method in allowed:
                add(method, target, f"{rule.rule} ({rule.endpoint})")
            refused = next((method for method in ALL_METHODS if method not in allowed), None)
            if refused is not None:
                add(refused, target, f"{rule.rule}: a method it does not allow")
            if target == "/":  # the root has no variant: // is the root again, on every server
                continue
            variant = target[:-1] if target.endswith("/") else target + "/"
            change = "added" if variant.endswith("/") else "taken off"
            for method in BROWSER_METHODS:
                add(method, variant, f"{rule.rule} with its trailing slash {change}")
    for method in BROWSER_METHODS:
        add(method, NO_SUCH_PATH, "a path no rule matches")
    if quart_app is not None:
        notes += _only_in_quart(app, quart_app)
    return Corpus(f"the URL map of {shown}", tuple(cases), notes=tuple(notes))


def _is_static(rule: Rule) -> bool:
    endpoint: str = rule.endpoint
    return endpoint == "static" or endpoint.endswith(".static")


def _static_targets(app: Flask, rule: Rule) -> list[str]:
    """The first files of the rule's static folder (the app's or its blueprint's), and one that is not there."""
    blueprint = rule.endpoint.rpartition(".")[0]
    scaffold = app.blueprints.get(blueprint) if blueprint else app
    folder = getattr(scaffold, "static_folder", None)
    files: list[str] = []
    if folder is not None and Path(folder).is_dir():
        found = sorted(
            path.relative_to(folder).as_posix()
            for path in Path(folder).rglob("*")
            if path.is_file() and not any(part.startswith(".") for part in path.relative_to(folder).parts)
        )
        files = found[:MOST_STATIC_FILES]
    argument = next(iter(rule.arguments))
    return [target for name in [*files, MISSING_STATIC_FILE] if (target := _build(rule, {argument: name}))]


def _samples_of_rule(rule: Rule) -> list[dict[str, Any]] | str:
    """Every combination of the converters' samples (a few at most), or why there is none."""
    converters: dict[str, BaseConverter] = rule._converters  # Werkzeug's own record of the rule's converters
    choices: list[list[tuple[str, object]]] = []
    for name, converter in converters.items():
        samples = converter_samples(converter)
        if not samples:
            kind = type(converter).__name__
            return (
                f"left out, as no sample fits its converter {kind} for <{name}> (give {kind} a `sample` attribute,"
                " or write the rule's cases in a corpus file)"
            )
        choices.append([(name, sample) for sample in samples])
    defaults = dict(rule.defaults or {})
    return [
        defaults | dict(combination) for combination in itertools.islice(itertools.product(*choices), MOST_COMBINATIONS)
    ]


def converter_samples(converter: BaseConverter) -> list[object]:
    """The values to build a rule's URL with for one converter: those its to_url, regex and to_python accept."""
    if hasattr(converter, "sample"):
        given = converter.sample
        candidates = list(given) if isinstance(given, list | tuple) else [given]
    elif isinstance(converter, AnyConverter):
        candidates = sorted(converter.items)
    elif isinstance(converter, IntegerConverter | FloatConverter):
        candidates = _numbers(converter)
    else:  # one sample: the first the converter takes
        candidates = next(([c] for c in _standard(converter) if _accepted(converter, c)), [])
    return [candidate for candidate in candidates if _accepted(converter, candidate)]


def _standard(converter: BaseConverter) -> Iterable[object]:
    if isinstance(converter, UUIDConverter):
        return [SAMPLE_UUID]
    if isinstance(converter, PathConverter):
        return ["a/b"]
    if isinstance(converter, UnicodeConverter):
        return ["sample", "x", "sample-name"]
    return STANDARD_SAMPLES


def _numbers(converter: IntegerConverter | FloatConverter) -> list[object]:
    number: float = 1 if isinstance(converter, IntegerConverter) else 1.5
    if converter.min is not None and number < converter.min:
        number = converter.min
    if converter.max is not None and number > converter.max:
        number = converter.max
    return [number]


def _accepted(converter: BaseConverter, value: object) -> bool:
    try:
        part = unquote(converter.to_url(value))
        if not re.fullmatch(converter.regex, part):
            return False
        converter.to_python(part)
    except (ValidationError, ValueError, TypeError, AttributeError):
        return False
    return True


def _build(rule: Rule, values: dict[str, Any]) -> str | None:
    try:
        built = rule.build(values, append_unknown=False)
    except (ValidationError, ValueError, TypeError, AttributeError, KeyError):
        return None
    if built is None:
        return None
    target = built[1]
    # as a browser sends it: what is not ASCII percent-encoded
    return quote(target, safe="/%:@!$&'()*+,;=-._~")


def _allowed(rules: list[Rule], target: str, app: Flask) -> tuple[str, ...]:
    """Every method the map takes for the target (whichever rule takes it), in the usual order, then any others."""
    adapter = app.url_map.bind("localhost")
    others = {method for rule in rules for method in rule.methods or () if method not in ALL_METHODS}
    allowed = {method for method in (*ALL_METHODS, *others) if _matches(adapter, target, method)}
    return tuple(m for m in ALL_METHODS if m in allowed) + tuple(sorted(allowed - set(ALL_METHODS)))


def _matches(adapter: MapAdapter, target: str, method: str) -> bool:
    try:
        adapter.match(unquote(target), method=method)
    except HTTPException:  # a 404, a 405, or a redirect (RequestRedirect is one): not taken as it is
        return False
    return True


def _only_in_quart(flask_app: Flask, quart_app: Quart) -> list[str]:
    flask_rules = {rule.rule for rule in flask_app.url_map.iter_rules()}
    return [
        f"{rule.rule}: only in the Quart app's URL map, not sent (the corpus is the Flask app's)"
        for rule in quart_app.url_map.iter_rules()
        if rule.rule not in flask_rules and not getattr(rule, "websocket", False)
    ]
