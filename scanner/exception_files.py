"""Exception files: waivers.yaml and attestations.yaml read into the engine's Waiver and
Attestation values. Schema-checked, dates parsed, every problem in every file reported at once
with file:line (exit 65). The engine applies them; it never reads them."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from scanner.engine.attestations import Attestation
from scanner.engine.waivers import Selector, Waiver
from scanner.errors import InputError, Problem
from scanner.schemas import validator
from scanner.yamlmarks import Located, read_located, schema_problems


def read_entries(file: str | Path, list_key: str, schema_name: str, date_keys: Sequence[str]) -> tuple[Located, list[dict[str, Any]]]:
    """Read a waivers/attestations file: schema-checked, dates parsed; all problems at once (file:line)."""
    doc = read_located(str(file))  # an impossible unquoted date (2026-02-30) is a located problem there
    doc = Located(dates_to_text(doc.data), doc.marks, doc.file)
    problems = schema_problems(doc, validator(schema_name))
    entries = doc.data.get(list_key) if isinstance(doc.data, dict) else None
    for i, raw in enumerate(entries if isinstance(entries, list) else []):
        for key in date_keys:
            value = raw.get(key) if isinstance(raw, dict) else None
            if not isinstance(value, str):
                continue
            try:
                raw[key] = dt.date.fromisoformat(value)
            except ValueError:
                problems.append(doc.problem((list_key, i, key), f"{list_key}/{i}/{key}: {value!r} is not a date (YYYY-MM-DD)"))
    if problems:
        raise InputError(sorted(problems, key=lambda p: (p.line or 0, p.column or 0)))
    assert isinstance(entries, list)  # the schema requires the list, and every problem was raised above
    return doc, entries


def dates_to_text(value: Any) -> Any:
    """Unquoted YAML dates arrive as date objects; the schemas (and messages) speak YYYY-MM-DD."""
    if isinstance(value, dict):
        return {k: dates_to_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [dates_to_text(v) for v in value]
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def selector_of(raw: dict[str, Any]) -> Selector:
    return Selector(rule=raw["rule"], subject=raw["subject"], node=raw.get("node"))


def load_waivers(files: Iterable[str | Path]) -> tuple[Waiver, ...]:
    """Waivers from one or more files. Every problem in every file is reported (exit 65)."""
    out: list[Waiver] = []
    problems: list[Problem] = []
    for file in files:
        try:
            doc, entries = read_entries(file, "waivers", "waiver.schema.json", ("expires",))
        except InputError as exc:
            problems += exc.problems
            continue
        for i, raw in enumerate(entries):
            out.append(Waiver(selector_of(raw), raw["justification"].strip(), raw["approved_by"], raw["expires"],
                              id=raw.get("id"), ticket=raw.get("ticket"), file=str(file), line=doc.mark(("waivers", i))[0]))
    if problems:
        raise InputError(problems)
    return tuple(out)


def load_attestations(files: Iterable[str | Path]) -> tuple[Attestation, ...]:
    out: list[Attestation] = []
    problems: list[Problem] = []
    for file in files:
        try:
            doc, entries = read_entries(file, "attestations", "attestation.schema.json", ("date", "expires"))
        except InputError as exc:
            problems += exc.problems
            continue
        for i, raw in enumerate(entries):
            if raw["expires"] <= raw["date"]:
                problems.append(doc.problem(("attestations", i, "expires"), "expires must be after date"))
                continue
            evidence = raw["evidence"] if isinstance(raw["evidence"], list) else [raw["evidence"]]
            out.append(Attestation(selector_of(raw), raw["statement"].strip(), raw["attested_by"], tuple(evidence),
                                   raw["date"], raw["expires"], raw.get("status", "pass"), id=raw.get("id"),
                                   file=str(file), line=doc.mark(("attestations", i))[0]))
    if problems:
        raise InputError(problems)
    return tuple(out)
