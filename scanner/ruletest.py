"""Rule fixture cases (rules/tests/*.yaml): a base facts document, a few changes, an expected status.

A case file is `{cases: [{rule, name, expect, phase?, base?, target?, source?, subject?, set?,
unset?, attestations?, waivers?, today?}]}`. The base (rules/tests/bases/<phase>.yaml unless `base`
names another) is a complete, valid facts document; `set` assigns values at paths
(`cluster.nodes[1].state`, `nodes[*].features`, `nodes[NODE2].os.ubr`; null means "not collected"),
`unset` removes keys (absent). The result is schema-checked, evaluated with the one rule, and the
worst status of the rule's findings (only those whose subject matches `subject`, a glob) must equal
`expect` ("none" when the rule yields no finding). Every rule should have a pass, a fail and an
unknown case; `coverage` says which are missing.
"""
from __future__ import annotations

import copy
import datetime as dt
import fnmatch
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from scanner import paths
from scanner.engine.attestations import Attestation
from scanner.engine.catalogs import Catalog
from scanner.engine.loader import RulePack
from scanner.engine.run import evaluate_facts
from scanner.engine.verdict import SEVERITY_TABLE
from scanner.engine.waivers import Selector, Waiver
from scanner.errors import InputError, Problem
from scanner.exception_files import dates_to_text
from scanner.facts.document import check_facts
from scanner.facts.model import FactsDoc
from scanner.model import Finding
from scanner.schemas import validator
from scanner.yamlmarks import Located, read_located, schema_problems

TESTS_DIR = paths.RULES_DIR / "tests"
BASES_DIR = TESTS_DIR / "bases"
REQUIRED = ("pass", "fail", "unknown")  # an evidence-only (info) rule shows `info` where others `fail`
DEFAULT_TODAY = dt.date(2026, 11, 20)
WORST_FIRST = ("fail", "error", "unknown", "manual", "waived", "info", "pass", "not_applicable")
_PART = re.compile(r"^([A-Za-z0-9_-]+)(?:\[([^\]]+)\])?$")


@dataclass(frozen=True)
class Case:
    rule: str
    name: str
    expect: str
    raw: dict[str, Any]
    file: str
    line: int | None

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


@dataclass(frozen=True)
class Outcome:
    case: Case
    actual: str
    findings: tuple[Finding, ...] = ()
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None and self.actual == self.case.expect


@dataclass
class Report:
    outcomes: list[Outcome] = field(default_factory=list)
    missing: dict[str, list[str]] = field(default_factory=dict)  # rule id -> statuses without a case

    @property
    def ok(self) -> bool:
        return all(o.ok for o in self.outcomes) and not self.missing


def case_files(locations: Iterable[str | Path] | None = None) -> list[Path]:
    files: list[Path] = []
    for loc in locations or [TESTS_DIR]:
        p = Path(loc)
        files += sorted(f for f in p.glob("*.yaml") if f.is_file()) if p.is_dir() else [p]
    return files


def load_cases(files: Sequence[str | Path], pack: RulePack) -> list[Case]:
    """All cases of the files; every structural problem reported at once with file:line."""
    cases: list[Case] = []
    problems: list[Problem] = []
    for file in files:
        try:
            doc = read_located(str(file))
        except InputError as exc:
            problems += exc.problems
            continue
        doc = Located(dates_to_text(doc.data), doc.marks, doc.file)
        found = schema_problems(doc, validator("ruletest.schema.json"))
        if found:
            problems += found
            continue
        for i, raw in enumerate(doc.data["cases"]):
            line = doc.mark(("cases", i))[0]
            if pack.by_id(raw["rule"]) is None:
                problems.append(doc.problem(("cases", i, "rule"), f"no rule {raw['rule']} in the rule pack"))
                continue
            cases.append(Case(raw["rule"], raw["name"], raw["expect"], raw, str(file), line))
    if problems:
        raise InputError(problems)
    return cases


def _base(name: str, cache: dict[str, dict[str, Any]]) -> dict[str, Any]:
    if name not in cache:
        doc = read_located(str(BASES_DIR / f"{name}.yaml"))
        check_facts(doc.data, file=doc.file)
        cache[name] = doc.data  # kept as a plain dict: cases edit copies of it by path
    return copy.deepcopy(cache[name])


def build_facts(case: Case, cache: dict[str, dict[str, Any]], phase: str) -> FactsDoc:
    """The base with the case's changes applied, schema-checked."""
    doc = _base(case.raw.get("base", phase), cache)
    for path, value in (case.raw.get("set") or {}).items():
        _assign(doc, path, copy.deepcopy(value), case)
    for path in case.raw.get("unset") or []:
        _assign(doc, path, _UNSET, case)
    try:
        return check_facts(doc)
    except InputError as exc:
        problems = [f"{p.pointer}: {p.message}" for p in exc.problems]
    raise InputError([Problem("the case makes the facts invalid: " + "; ".join(problems[:3]), file=case.file,
                              line=case.line, rule_id=case.rule)])


_UNSET = object()


def _assign(doc: Any, path: str, value: Any, case: Case) -> None:
    parts = path.split(".")
    targets = [doc]
    for depth, part in enumerate(parts):
        m = _PART.match(part)
        if m is None:
            raise _bad(case, f"bad path {path!r}")
        key, index = m.groups()
        last = depth == len(parts) - 1
        nxt = []
        for target in targets:
            if not isinstance(target, dict):
                raise _bad(case, f"{path!r}: {'.'.join(parts[:depth]) or 'the document'} is not a mapping")
            if index is None and last:
                _put(target, key, value)
                continue
            if index is None:
                nxt.append(target.setdefault(key, {}))
                continue
            items = target.get(key)
            if not isinstance(items, list):
                raise _bad(case, f"{path!r}: {key} is not a list")
            chosen = _select(items, index, path, case)
            if last:
                for i in chosen:
                    if value is _UNSET:
                        raise _bad(case, f"{path!r}: unset a key, not a list element")
                    items[i] = copy.deepcopy(value)
            else:
                nxt += [items[i] for i in chosen]
        targets = nxt


def _put(target: dict[str, Any], key: str, value: Any) -> None:
    if value is _UNSET:
        target.pop(key, None)
    else:
        target[key] = copy.deepcopy(value)


def _select(items: list[Any], index: str, path: str, case: Case) -> list[int]:
    if index == "*":
        return list(range(len(items)))
    if index.lstrip("-").isdigit():
        i = int(index)
        if not -len(items) <= i < len(items):
            raise _bad(case, f"{path!r}: index {i} out of range ({len(items)} items)")
        return [i % len(items)]
    chosen = [i for i, item in enumerate(items) if isinstance(item, dict) and str(item.get("name", "")).casefold() == index.casefold()]
    if not chosen:
        raise _bad(case, f"{path!r}: no item named {index!r}")
    return chosen


def _bad(case: Case, message: str) -> InputError:
    return InputError([Problem(message, file=case.file, line=case.line, rule_id=case.rule)])


def _exceptions(case: Case) -> tuple[tuple[Waiver, ...], tuple[Attestation, ...]]:
    waivers = tuple(Waiver(Selector(case.rule, w.get("subject", "*"), w.get("node")), w["justification"],
                           w.get("approved_by", "fixture"), dt.date.fromisoformat(str(w["expires"])))
                    for w in case.raw.get("waivers") or [])
    attestations = tuple(
        Attestation(Selector(case.rule, a.get("subject", "*"), a.get("node")), a["statement"],
                    a.get("attested_by", "fixture"), tuple(a.get("evidence") or ["fixture"]),
                    dt.date.fromisoformat(str(a.get("date", "2026-11-01"))),
                    dt.date.fromisoformat(str(a.get("expires", "2027-11-01"))), a.get("status", "pass"))
        for a in case.raw.get("attestations") or [])
    return waivers, attestations


def worst(findings: Iterable[Finding]) -> str:
    statuses = {f.status for f in findings}
    return next((s for s in WORST_FIRST if s in statuses), "none")


def run_case(case: Case, pack: RulePack, catalogs: dict[str, Catalog], cache: dict[str, dict[str, Any]]) -> Outcome:
    rule = pack.by_id(case.rule)
    assert rule is not None  # load_cases checked it
    phase = case.raw.get("phase", rule.phases[0])
    target = case.raw.get("target", rule.targets[0] if rule.targets else "2016")
    try:
        doc = build_facts(case, cache, phase)
    except InputError as exc:
        return Outcome(case, "invalid", problem=exc.problems[0].message)
    waivers, attestations = _exceptions(case)
    today = case.raw.get("today")
    _, findings = evaluate_facts(doc, replace(pack, rules=(rule,)), catalogs, phase=phase, rules_phase=phase,
                                 target_os=target,
                                 source_os=case.raw.get("source"), waivers=waivers, attestations=attestations,
                                 today=dt.date.fromisoformat(str(today)) if today else DEFAULT_TODAY)
    pattern = str(case.raw.get("subject", "*")).casefold()
    mine = tuple(f for f in findings if fnmatch.fnmatchcase(f.subject.casefold(), pattern))
    return Outcome(case, worst(mine), mine)


def run_cases(pack: RulePack, catalogs: dict[str, Catalog], locations: Iterable[str | Path] | None = None,
              *, require_all_rules: bool | None = None) -> Report:
    """Run every case; coverage covers every rule of the pack when the default cases are run,
    else the rules the given files mention."""
    cases = load_cases(case_files(locations), pack)
    cache: dict[str, dict[str, Any]] = {}
    report = Report([run_case(c, pack, catalogs, cache) for c in cases])
    everything = locations is None if require_all_rules is None else require_all_rules
    rule_ids = [r.id for r in pack.rules] if everything else list(dict.fromkeys(c.rule for c in cases))
    expected: dict[str, set[str]] = {}
    for c in cases:
        expected.setdefault(c.rule, set()).add(c.expect)
    for rule_id in rule_ids:
        rule = pack.by_id(rule_id)
        required = [s if s != "fail" or rule is None or SEVERITY_TABLE[rule.severity].counts else "info"
                    for s in REQUIRED]
        missing = [s for s in required if s not in expected.get(rule_id, set())]
        if missing:
            report.missing[rule_id] = missing
    return report


__all__ = ["Case", "Outcome", "Report", "load_cases", "run_cases", "worst"]
