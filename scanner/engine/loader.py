"""Rule documents (rules/*.yaml, parsed with their marks by scanner/rulefiles.py) to Rule objects.
Every problem is reported with file:line:column, and nothing is returned unless the whole pack is
sound. No file is read here: the engine never does I/O."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import jinja2

from scanner.engine.condition import Condition, Problems, parse_condition
from scanner.engine.messages import environment
from scanner.engine.verdict import blocks
from scanner.errors import InputError, Problem
from scanner.model import Severity
from scanner.schemas import validator
from scanner.yamlmarks import Located, schema_problems

if TYPE_CHECKING:
    from scanner.engine.attestations import Attestation
    from scanner.engine.waivers import Waiver


# The upgrade paths, by target release (schemas/rule.schema.json "targets").
ALL_TARGETS = ("2016", "2019", "2022", "2025")


@dataclass(frozen=True)
class Rule:
    """One rule as loaded: its `when` and `check` parsed into condition objects
    (scanner/engine/condition/), every other field as written in the rule file."""

    id: str
    title: str
    severity: Severity
    phases: tuple[str, ...]
    scope: str
    area: str
    message: str
    remediation: str
    references: tuple[str, ...]
    check: Condition | None  # parsed and checked at load (scanner/engine/condition/)
    when: Condition | None = None
    kind: str = "check"
    targets: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    description: str = ""
    severity_reason: str = ""  # why this severity, against the table in scanner/engine/verdict.py
    unverified: bool = False
    file: str = ""
    line: int | None = None

    @property
    def path_specific(self) -> bool:
        """The rule belongs to some upgrade paths only (its targets are not all of them), so it needs
        the target OS and is not evaluated on other paths."""
        return bool(self.targets) and not set(ALL_TARGETS) <= set(self.targets)

    def applies_to_target(self, target: str | None) -> bool:
        return not self.path_specific or target is None or target in self.targets

    @property
    def blocking(self) -> bool:
        return blocks(self.severity) and not self.unverified


@dataclass(frozen=True)
class RulePack:
    """The rules of one run, plus the run's exceptions (waivers, attestations) so that every
    caller of evaluate_facts applies the same ones."""

    rules: tuple[Rule, ...]
    files: tuple[str, ...]
    sha256: str  # over the rule files' bytes, in load order
    version: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    waivers: tuple[Waiver, ...] = ()
    attestations: tuple[Attestation, ...] = ()
    selection: dict[str, Any] = field(default_factory=dict)  # tags / skip_tags the rules were selected by
    left_out: tuple[str, ...] = ()  # ids of the pack's rules the selection left out (the run's scope)

    def by_id(self, rule_id: str) -> Rule | None:
        return next((r for r in self.rules if r.id == rule_id), None)

    def select(self, tags: Iterable[str] = (), skip_tags: Iterable[str] = ()) -> RulePack:
        """Only the rules carrying one of `tags` (all when none given) and none of `skip_tags`.
        A tag matches a rule's tags, its id, its area or its scope, so `--tags dedup` and
        `--skip-tags DRV-002` both work."""
        want = {t.casefold() for t in tags}
        skip = {t.casefold() for t in skip_tags}
        if not want and not skip:
            return self

        def labels(r: Rule) -> set[str]:
            return {t.casefold() for t in (*r.tags, r.id, r.area, r.scope)}

        rules = tuple(r for r in self.rules if (not want or labels(r) & want) and not labels(r) & skip)
        kept = {r.id for r in rules}
        return replace(self, rules=rules, selection={"tags": sorted(want), "skip_tags": sorted(skip)},
                       left_out=self.left_out + tuple(r.id for r in self.rules if r.id not in kept))

    def with_exceptions(self, waivers: Iterable[Waiver] = (), attestations: Iterable[Attestation] = ()) -> RulePack:
        return replace(self, waivers=tuple(waivers), attestations=tuple(attestations))


def build_pack(rules: list[Rule], problems: list[Problem], *, files: tuple[str, ...], sha256: str,
               version: str) -> RulePack:
    """The pack of the rules parsed from every file (scanner/rulefiles.py reads them), or every problem
    at once: those met while reading and parsing, then each rule id defined twice."""
    problems = list(problems)
    seen: dict[str, Rule] = {}
    for rule in rules:
        if rule.id in seen:
            first = seen[rule.id]
            problems.append(Problem(f"duplicate rule id {rule.id} (first defined at {first.file}:{first.line})",
                                    file=rule.file, line=rule.line, rule_id=rule.id))
        else:
            seen[rule.id] = rule
    if problems:
        raise InputError(problems)
    return RulePack(tuple(rules), files, sha256, version=version)


def rules_in(doc: Located) -> tuple[list[Rule], list[Problem]]:
    """The rules of one parsed rule file, or its problems (file:line:column from the document's marks)."""
    if not isinstance(doc.data, dict):
        return [], [doc.problem((), "a rule file is a mapping with a 'rules' list")]
    problems = []
    rules = []
    raw_rules = doc.data.get("rules")
    # Conditions first: their messages are clearer than the schema's for the same mistakes.
    conditions: dict[tuple[int, str], Condition | None] = {}
    if isinstance(raw_rules, list):
        for i, raw in enumerate(raw_rules):
            if not isinstance(raw, dict):
                continue
            rule_id = raw.get("id") if isinstance(raw.get("id"), str) else None
            for key in ("when", "check"):
                if key in raw:
                    found: Problems = []
                    conditions[i, key] = parse_condition(raw[key], ("rules", i, key), found)
                    problems += [doc.problem(where, message, rule_id=rule_id) for where, message in found]
            for key in ("message", "remediation"):
                if isinstance(raw.get(key), str):
                    try:
                        environment().parse(raw[key])
                    except jinja2.TemplateSyntaxError as exc:
                        problems.append(doc.problem(("rules", i, key), f"template syntax: {exc.message}", rule_id=rule_id))
                    except RecursionError:  # Jinja2's parser recurses once per nesting level
                        problems.append(doc.problem(("rules", i, key), "template nests too deeply", rule_id=rule_id))
    for problem in schema_problems(doc, validator("rule.schema.json")):
        problems.append(problem)
    if problems:
        return [], _dedupe(problems)
    for i, raw in enumerate(raw_rules or []):
        line, _ = doc.mark(("rules", i))
        rules.append(Rule(
            id=raw["id"], title=raw["title"], severity=raw["severity"], phases=tuple(raw["phases"]),
            scope=raw["scope"], area=raw["area"], message=raw["message"], remediation=raw["remediation"],
            references=tuple(raw["references"]), check=conditions.get((i, "check")), when=conditions.get((i, "when")),
            kind=raw.get("kind", "check"), targets=tuple(raw.get("targets", ())), tags=tuple(raw.get("tags", ())),
            description=raw.get("description", ""), severity_reason=raw.get("severity_reason", ""), unverified=bool(raw.get("unverified", False)),
            file=doc.file, line=line,
        ))
    return rules, []


def _dedupe(problems: list[Problem]) -> list[Problem]:
    seen = set()
    out = []
    for p in problems:
        key = (p.file, p.line, p.column, p.message)
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out
