"""Mutated rules and facts: the loaders and the engine answer with findings or clear errors, never a crash."""
from __future__ import annotations

import copy
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import factory
from scanner.rulefiles import load_catalogs, load_rules
from scanner.engine.run import evaluate_facts
from scanner.errors import InputError
from scanner.facts.document import check_facts
from scanner.model import STATUSES

PACK = load_rules()
CATALOGS = load_catalogs()
NOW = datetime(2026, 11, 20, tzinfo=timezone.utc)

scalars = st.one_of(st.none(), st.booleans(), st.integers(-2**40, 2**40), st.floats(allow_nan=True),
                    st.text(max_size=30), st.sampled_from(["Up", "Down", "6.3.9600", "10.0.14393.726", "{{ 7*7 }}",
                                                           "<script>x</script>", "\u202eevil", "NTFS", "ReFS"]))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                       st.dictionaries(st.text(max_size=8), inner, max_size=3)),
                      max_leaves=8)


def paths_of(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += paths_of(v, prefix + (k,))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += paths_of(v, prefix + (i,))
    return out


BASE = factory.mixed_dedup_hazard()
PATHS = [p for p in paths_of(BASE) if p]


def mutate(doc: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    target = doc
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return doc


@pytest.mark.slow
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(PATHS), values), min_size=1, max_size=4), st.sampled_from(["pre", "mixed", "post"]))
def test_mutated_facts_never_crash(mutations: list[tuple[tuple[Any, ...], Any]], phase: str) -> None:
    doc = BASE
    for path, value in mutations:
        try:
            doc = mutate(doc, path, value)
        except (KeyError, IndexError, TypeError):
            continue
    try:
        check_facts(doc)
    except InputError as exc:
        assert all(p.render() and "\n" not in p.render() for p in exc.problems)
        return
    result, findings = evaluate_facts(doc, PACK, CATALOGS, phase=phase, now=NOW)
    assert result["verdict"]["status"] in ("GO", "GO WITH WARNINGS", "NO-GO", "INCOMPLETE")
    assert all(f.status in STATUSES for f in findings)


def test_a_nulled_section_never_yields_go() -> None:
    """Knock out each node section in turn: the verdict must never be GO with less evidence."""
    healthy = factory.facts()
    for section in ("os", "hotfixes", "drivers", "wmi", "products", "volumes", "shares", "odx_mode"):
        doc = copy.deepcopy(healthy)
        doc["nodes"][1][section] = None
        result, _ = evaluate_facts(check_facts(doc), PACK, CATALOGS, phase="pre", now=NOW)
        assert result["verdict"]["status"] != "GO", section


RULE_FILE = (Path(__file__).resolve().parents[2] / "rules" / "dedup.yaml").read_text()
RULE_PATHS = [p for p in paths_of(yaml.safe_load(RULE_FILE)) if p]


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(RULE_PATHS), values), min_size=1, max_size=3))
def test_mutated_rules_load_or_fail_cleanly(tmp_path_factory: Any, mutations: list[tuple[tuple[Any, ...], Any]]) -> None:
    doc = yaml.safe_load(RULE_FILE)
    for path, value in mutations:
        try:
            doc = mutate(doc, path, value)
        except (KeyError, IndexError, TypeError):
            continue
    p = tmp_path_factory.mktemp("rules") / "r.yaml"
    try:
        p.write_text(yaml.safe_dump(doc, allow_unicode=True))
    except (yaml.YAMLError, UnicodeEncodeError):
        return
    try:
        pack = load_rules([p])
    except InputError as exc:
        assert all(pr.file == str(p) and "\n" not in pr.render() for pr in exc.problems)
        return
    for phase in ("mixed", "post"):
        result, _ = evaluate_facts(BASE, pack, CATALOGS, phase=phase, now=NOW)
        assert result["verdict"]["status"] in ("GO", "GO WITH WARNINGS", "NO-GO", "INCOMPLETE")


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=200))
def test_random_yaml_text_never_crashes(tmp_path_factory: Any, text: str) -> None:
    p = tmp_path_factory.mktemp("rules") / "x.yaml"
    p.write_text(text, encoding="utf-8", errors="surrogateescape")
    try:
        load_rules([p])
    except InputError:
        pass
