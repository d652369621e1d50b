"""Every fixture case in rules/tests/*.yaml, one test each, and the pass/fail/unknown coverage of every shipped rule."""
from __future__ import annotations

import pytest

from scanner.rulefiles import load_catalogs, load_rules
from scanner.ruletest import Case, case_files, load_cases, run_case, run_cases

PACK = load_rules()
CATALOGS = load_catalogs()
CASES = load_cases(case_files(), PACK)
CACHE: dict = {}


@pytest.mark.parametrize("case", CASES, ids=[f"{c.rule}:{c.name}" for c in CASES])
def test_case(case: Case) -> None:
    outcome = run_case(case, PACK, CATALOGS, CACHE)
    details = [(f.subject, f.status, f.detail) for f in outcome.findings if f.status != "not_applicable"]
    assert outcome.problem is None, f"{case.where}: {outcome.problem}"
    assert outcome.actual == case.expect, f"{case.where}: {details}"
    for f in outcome.findings:
        if f.status in ("fail", "manual"):
            assert f.message and "{{" not in f.message and "{%" not in f.message, f.message
            assert not (f.detail or "").startswith("message template failed"), f.detail


def test_every_shipped_rule_has_a_pass_a_fail_and_an_unknown_case() -> None:
    assert run_cases(PACK, CATALOGS).missing == {}


def test_the_catalog_covers_every_phase_with_forty_rules_or_more() -> None:
    assert len(PACK.rules) >= 40
    for phase in ("pre", "mixed", "post"):
        assert sum(phase in r.phases for r in PACK.rules) >= 10, phase


def test_every_rule_names_the_facts_it_reads_and_a_web_reference() -> None:
    for rule in PACK.rules:
        assert any(ref.startswith("fact:") for ref in rule.references), rule.id
        assert any(ref.startswith("http") for ref in rule.references), rule.id
        assert len(rule.remediation.split()) >= 8, rule.id
