"""Waivers: an accepted, justified and time-bound exception for findings of one rule.

A waiver names a rule (id or glob), a subject selector (glob over the finding's subject, and
optionally its node), a justification, who approved it and the day it expires. While it is valid
it turns a matching `fail`, `unknown` or `manual` finding into `waived`; the finding keeps its
evidence and gains `waiver` (with the status it had). On its expiry day it stops applying and is
reported under `expired`; one that waives nothing is reported under `stale`.

`error` findings are never waived: an error means the rule or its catalog is broken, and hiding
that would hide every future result of the rule. A waiver that only matches errors is reported as
stale with that reason.

The file format, the subject selector and the shared YAML loading (file:line problems, dates
normalised) are used by attestations too.
"""
from __future__ import annotations

import datetime as dt
import fnmatch
import functools
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import jsonschema

from scanner import paths
from scanner.errors import InputError, Problem
from scanner.model import Finding
from scanner.yamlmarks import Located, read_located, schema_problems

WAIVABLE = ("fail", "unknown", "manual")


@dataclass(frozen=True)
class Selector:
    """Which findings an entry is about: rule id or glob, subject glob, optional node glob."""

    rule: str
    subject: str
    node: str | None = None

    def matches(self, finding: Finding) -> bool:
        if not _glob(finding.rule_id, self.rule):
            return False
        if not _glob(finding.subject, self.subject):
            return False
        return self.node is None or (finding.node is not None and _glob(finding.node, self.node))


def _glob(value: str, pattern: str) -> bool:
    return fnmatch.fnmatchcase(value.casefold(), pattern.casefold())


@dataclass(frozen=True)
class Waiver:
    selector: Selector
    justification: str
    approved_by: str
    expires: dt.date
    id: str | None = None
    ticket: str | None = None
    file: str = ""
    line: int | None = None

    def valid_on(self, today: dt.date) -> bool:
        """Valid up to the day before `expires`: on the expiry day it no longer hides anything."""
        return today < self.expires

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "id": self.id, "rule": self.selector.rule, "subject": self.selector.subject, "node": self.selector.node,
            "justification": self.justification, "approved_by": self.approved_by,
            "expires": self.expires.isoformat(), "ticket": self.ticket, "file": self.file, "line": self.line,
        }
        return {k: v for k, v in d.items() if v is not None}


# ---------------------------------------------------------------- loading (shared with attestations)

@functools.lru_cache(maxsize=None)
def validator(schema_name: str) -> jsonschema.protocols.Validator:
    schema = json.loads((paths.SCHEMAS_DIR / schema_name).read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


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


# ---------------------------------------------------------------- applying

def _ref(f: Finding) -> dict[str, Any]:
    return {"rule_id": f.rule_id, "subject": f.subject, "status": f.status}


def apply_waivers(findings: Sequence[Finding], waivers: Sequence[Waiver], today: dt.date,
                  rule_ids: Iterable[str] = ()) -> tuple[list[Finding], dict[str, list[dict[str, Any]]]]:
    """Findings with valid waivers applied (first matching waiver wins), and the report:
    `applied` (with the findings each one waived), `expired`, `stale` (each with a reason)."""
    known = list(rule_ids)
    valid = [w for w in waivers if w.valid_on(today)]
    waived_by: dict[int, list[Finding]] = {id(w): [] for w in waivers}
    out: list[Finding] = []
    for f in findings:
        if f.status in WAIVABLE:
            waiver = next((w for w in valid if w.selector.matches(f)), None)
            if waiver is not None:
                waived_by[id(waiver)].append(f)
                f = replace(f, status="waived", waiver={**waiver.to_dict(), "original_status": f.status})
        out.append(f)
    report: dict[str, list[dict[str, Any]]] = {"applied": [], "expired": [], "stale": []}
    for w in waivers:
        matched = [f for f in findings if w.selector.matches(f)]
        if not w.valid_on(today):
            hidden = [_ref(f) for f in matched if f.status in WAIVABLE]
            report["expired"].append({**w.to_dict(), "findings": hidden})
        elif waived_by[id(w)]:
            report["applied"].append({**w.to_dict(), "findings": [_ref(f) for f in waived_by[id(w)]]})
        else:
            report["stale"].append({**w.to_dict(), "reason": _stale_reason(w, matched, known)})
    return out, report


def _stale_reason(w: Waiver, matched: list[Finding], known: list[str]) -> str:
    if known and not any(_glob(r, w.selector.rule) for r in known):
        return f"no rule {w.selector.rule!r} in the rule pack"
    if not matched:
        return "matches no finding of this evaluation (subject, node or phase differ)"
    statuses = {f.status for f in matched}
    if "error" in statuses and not statuses & set(WAIVABLE):
        return "matches only error findings; errors are never waived (fix the rule or its catalog)"
    if statuses & set(WAIVABLE):
        return "every matching finding was already waived by an earlier waiver"
    return "every matching finding passes or does not apply: the waiver can be removed"
