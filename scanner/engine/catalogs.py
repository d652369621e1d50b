"""Catalog data (rules/data/*.yaml): compatibility facts that rules look up by key or by pattern.

A catalog file is `{catalog: NAME, description: ..., entries: [{key: ..., match: REGEX?, ...}]}`.
Catalogs layer: a later directory's entry replaces an earlier one with the same key, so a user's
`--catalog DIR` overrides the shipped data entry by entry, and each finding names the file that
decided it.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from scanner.engine.regex import compile_linear
from scanner.errors import Problem
from scanner.schemas import validator
from scanner.yamlmarks import Located, schema_problems


class CatalogError(Exception):
    """A catalog entry cannot answer a lookup (e.g. a broken pattern)."""


@dataclass(frozen=True)
class Entry:
    key: str
    data: dict[str, Any]
    source: str  # file the entry came from
    pattern: re.Pattern[str] | None = None


@dataclass
class Catalog:
    name: str
    entries: dict[str, Entry] = field(default_factory=dict)  # casefolded key -> entry
    sources: list[str] = field(default_factory=list)
    digests: dict[str, str] = field(default_factory=dict)  # source file -> SHA-256 of its bytes, for the report

    @property
    def source(self) -> str:
        return ", ".join(self.sources)

    def entry(self, key: str) -> Entry | None:
        return self.entries.get(key.casefold())

    def match(self, value: str) -> Entry | None:
        """The entry whose key equals the value, else the first whose `match` regex finds it
        (entries of a later --catalog layer are tried before the shipped ones)."""
        exact = self.entry(value)
        if exact is not None:
            return exact
        for entry in self.entries.values():
            if entry.pattern is not None and entry.pattern.search(value):
                return entry
        return None



def add_layer(doc: Located, catalogs: dict[str, Catalog], *, sha256: str) -> list[Problem]:
    """Layer one parsed catalog file (scanner/rulefiles.py reads it) over catalogs; its problems, with
    file:line:column. sha256: the digest of the file's bytes, for the report."""
    problems = schema_problems(doc, validator("catalog.schema.json"))
    if problems:
        return problems
    name = doc.data["catalog"]
    catalog = catalogs.setdefault(name, Catalog(name))
    catalog.sources.append(doc.file)
    catalog.digests[doc.file] = sha256
    layer: dict[str, Entry] = {}
    for i, raw in enumerate(doc.data["entries"]):
        pattern = None
        if "match" in raw:
            try:
                pattern = compile_linear(raw["match"], ignore_case=True)
            except ValueError as exc:
                problems.append(doc.problem(("entries", i, "match"), f"bad regex {raw['match']!r}: {exc}"))
                continue
        key = str(raw["key"])
        if key.casefold() in layer:
            problems.append(doc.problem(("entries", i, "key"), f"duplicate key {key!r} in this catalog file"))
            continue
        layer[key.casefold()] = Entry(key, raw, doc.file, pattern)
    # The newer layer first: its entries replace same-key ones and its patterns are tried first.
    catalog.entries = {**layer, **{k: v for k, v in catalog.entries.items() if k not in layer}}
    return problems


def reference_problems(rules: Iterable[Any], catalogs: dict[str, Catalog]) -> list[Problem]:
    """Catalog names, literal keys and their fields that rules refer to but the catalogs lack
    (`rules validate`; at evaluation the same gaps are `error` findings). The conditions list
    their own references (Condition.catalog_refs)."""
    problems: list[Problem] = []
    for rule in rules:
        for cond in (rule.when, rule.check):
            for ref in cond.catalog_refs() if cond is not None else ():
                message = _reference_problem(ref.name, ref.key, ref.field, catalogs)
                if message:
                    problems.append(Problem(message, file=rule.file, line=rule.line, rule_id=rule.id))
    return problems


def _reference_problem(name: str, key: Any, field_path: str | None, catalogs: dict[str, Catalog]) -> str | None:
    catalog = catalogs.get(name)
    if catalog is None:
        return f"catalog {name!r} is not loaded"
    if field_path is None:  # not a lookup by a literal key: checked when it is evaluated
        return None
    entry = catalog.entry(str(key))
    if entry is None:
        return f"catalog {name!r} has no key {key!r}"
    if "{" not in field_path and _field(entry.data, field_path) is None:
        return f"catalog {name!r} entry {entry.key!r} has no {field_path!r}"
    return None


def _field(data: Any, path: str) -> Any:
    for part in path.split("."):
        data = data.get(part) if isinstance(data, dict) else None
    return data
