"""The condition language: operators, three-valued logic, quantifiers, consistency, lookups."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from scanner.engine.catalogs import Catalog, Entry
from scanner.engine.condition import (FALSE, TRUE, UNKNOWN, Context, EvalError, LEAF_OPERATORS, check_condition,
                                      evaluate, facts_read, parse)

NOW = datetime(2026, 11, 20, tzinfo=timezone.utc)


def ctx(**values: object) -> Context:
    catalogs = {"os": Catalog("os", {"2016": Entry("2016", {"key": "2016", "fl": 9, "min": {"2019": "1.2"}}, "os.yaml")},
                              ["os.yaml"])}
    return Context(dict(values, params={"target_os": "2019", "source_os": "2016"}), catalogs, NOW)


@pytest.mark.parametrize("cond,expected", [
    ({"fact": "n.state", "equals": "up"}, TRUE),  # Windows names compare case-insensitively
    ({"fact": "n.state", "not_equals": "Up"}, FALSE),
    ({"fact": "n.state", "in": ["Down", "Up"]}, TRUE),
    ({"fact": "n.state", "not_in": ["Down"]}, TRUE),
    ({"fact": "n.build", "ge": 14393}, TRUE),
    ({"fact": "n.build", "lt": 9600}, FALSE),
    ({"fact": "n.version", "version_lt": "10.0.14393.2248"}, TRUE),
    ({"fact": "n.version", "version_ge": "10.0.14393"}, TRUE),
    ({"fact": "n.version", "version_eq": "10.0.14393.726"}, TRUE),
    ({"fact": "n.old", "version_lt": "10.0"}, TRUE),
    ({"fact": "n.caption", "matches": "2016 (Standard|Datacenter)$"}, TRUE),
    ({"fact": "n.caption", "not_matches": "2012"}, TRUE),
    ({"fact": "n.features", "contains": "failover-clustering"}, TRUE),
    ({"fact": "n.features", "empty": False}, TRUE),
    ({"fact": "n.installed", "within_days": 30}, TRUE),
    ({"fact": "n.installed", "older_than_days": 30}, FALSE),
    ({"fact": "n.features.length", "eq": 2}, TRUE),
])
def test_leaf_operators(cond: dict, expected: str) -> None:
    n = {"state": "Up", "build": 14393, "version": "10.0.14393.726", "old": "6.3.9600",
         "caption": "Windows Server 2016 Datacenter", "features": ["Failover-Clustering", "FS-Data-Deduplication"],
         "installed": "2026-11-01"}
    assert evaluate(cond, ctx(n=n)) == expected


def test_missing_and_null_facts_are_unknown_never_true() -> None:
    c = ctx(n={"state": None})
    for cond in ({"fact": "n.state", "equals": "Up"}, {"fact": "n.state", "not_equals": "Up"},
                 {"fact": "n.absent.deeper", "ge": 1}, {"fact": "n.state", "matches": "."}):
        assert evaluate(cond, c) == UNKNOWN
    assert evaluate({"not": {"fact": "n.state", "equals": "Up"}}, c) == UNKNOWN


def test_exists_reads_missing_as_an_answer() -> None:
    c = ctx(n={"a": 1, "b": None})
    assert evaluate({"fact": "n.a", "exists": True}, c) == TRUE
    assert evaluate({"fact": "n.b", "exists": True}, c) == FALSE
    assert evaluate({"fact": "n.c", "exists": False}, c) == TRUE


@pytest.mark.parametrize("parts,all_,any_", [
    ([TRUE, TRUE], TRUE, TRUE),
    ([TRUE, FALSE], FALSE, TRUE),
    ([TRUE, UNKNOWN], UNKNOWN, TRUE),
    ([FALSE, UNKNOWN], FALSE, UNKNOWN),
    ([UNKNOWN, UNKNOWN], UNKNOWN, UNKNOWN),
])
def test_kleene_logic(parts: list[str], all_: str, any_: str) -> None:
    leaf = {TRUE: {"fact": "x.t", "equals": True}, FALSE: {"fact": "x.t", "equals": False},
            UNKNOWN: {"fact": "x.missing", "equals": True}}
    c = ctx(x={"t": True})
    conds = [leaf[p] for p in parts]
    assert evaluate({"all": conds}, c) == all_
    assert evaluate({"any": conds}, c) == any_
    assert evaluate({"none": conds}, c) == {TRUE: FALSE, FALSE: TRUE, UNKNOWN: UNKNOWN}[any_]


def test_quantifiers_collect_offenders() -> None:
    owners = [{"name": "N1", "b": 14393}, {"name": "N2", "b": 9600}, {"name": "N3", "b": 9600}]
    c = ctx(v={"owners": owners})
    cond = {"none_of": "v.owners", "as": "o", "that": {"fact": "o.b", "lt": 14393}}
    assert evaluate(cond, c) == FALSE
    assert c.offenders == ["N2", "N3"]
    assert evaluate({"every": "v.owners", "as": "o", "that": {"fact": "o.b", "ge": 9600}}, ctx(v={"owners": owners})) == TRUE
    assert evaluate({"some": "v.owners", "as": "o", "that": {"fact": "o.b", "gt": 20000}}, ctx(v={"owners": owners})) == FALSE


def test_evidence_read_through_a_loop_names_the_element() -> None:
    """`o.b lt 14393` twice would not say for which node; each line names its element."""
    owners = [{"name": "N1", "b": 14393}, {"name": "N2", "b": 9600}]
    c = ctx(v={"owners": owners}, n={"b": 1})
    evaluate({"none_of": "v.owners", "as": "o",
              "that": {"all": [{"fact": "n.b", "equals": 1}, {"fact": "o.b", "lt": 14393}]}}, c)
    assert [(e.fact, e.actual) for e in c.evidence] == [("n.b", 1), ("o[N1].b", 14393), ("n.b", 1), ("o[N2].b", 9600)]


def test_nested_loops_name_each_element_and_unbind_their_labels() -> None:
    """An inner loop's evidence names its own element and the outer one it reads; a `count` inside
    leaves its own variable unnamed (as before); nothing stays bound after the loops, even on error."""
    volumes = [{"path": "E:", "owners": [{"name": "N1", "b": 1}], "disks": [{"id": "d1"}, {"id": "d2"}]}]
    c = ctx(n={"volumes": volumes, "b": 1})
    cond = {"every": "n.volumes", "as": "v", "that": {"all": [
        {"some": "v.owners", "as": "o", "that": {"all": [{"fact": "o.b", "equals": 1}, {"fact": "v.path", "equals": "E:"},
                                                          {"fact": "n.b", "exists": True}]}},
        {"count": "v.disks", "as": "k", "that": {"fact": "k.id", "matches": "^d"}, "eq": 2}]}}
    assert evaluate(cond, c) == TRUE
    assert [e.fact for e in c.evidence] == ["o[N1].b", "v[E:].path", "n.b", "k.id", "k.id", "count(v.disks)"]
    assert c.labels == {} and set(c.values) == {"n", "params"}
    broken = {"every": "n.volumes", "as": "v", "that": {"fact": "v.path", "version_ge": "x.y"}}
    c = ctx(n={"volumes": volumes})
    with pytest.raises(EvalError):
        evaluate(broken, c)
    assert c.labels == {} and "v" not in c.values


def test_quantifier_over_uncollected_collection_is_unknown() -> None:
    cond = {"every": "v.owners", "as": "o", "that": {"fact": "o.b", "ge": 1}}
    assert evaluate(cond, ctx(v={"owners": None})) == UNKNOWN
    # an element with a missing fact keeps `every` unknown unless another element is false
    assert evaluate(cond, ctx(v={"owners": [{"b": 2}, {"b": None}]})) == UNKNOWN
    assert evaluate(cond, ctx(v={"owners": [{"b": 0}, {"b": None}]})) == FALSE


def test_count_is_unknown_when_unknown_items_could_change_the_answer() -> None:
    items = [{"ok": True}, {"ok": None}, {"ok": False}]
    base = {"count": "xs", "as": "x", "that": {"fact": "x.ok", "equals": True}}
    assert evaluate({**base, "ge": 1}, ctx(xs=items)) == TRUE  # 1..2 >= 1 either way
    assert evaluate({**base, "ge": 2}, ctx(xs=items)) == UNKNOWN
    assert evaluate({**base, "gt": 2}, ctx(xs=items)) == FALSE
    assert evaluate({"count": "xs", "eq": 3}, ctx(xs=items)) == TRUE


def test_same_compares_per_group_and_names_the_nodes() -> None:
    drivers = [{"node": "N1", "hw": "PCI\\A", "v": "1.0"}, {"node": "N2", "hw": "PCI\\A", "v": "1.1"},
               {"node": "N1", "hw": "PCI\\B", "v": "2.0"}, {"node": "N2", "hw": "pci\\b", "v": "2.0"}]
    c = ctx(d=drivers)
    assert evaluate({"same": "d", "as": "x", "value": "x.v", "by": "x.hw"}, c) == FALSE
    assert sorted(c.offenders) == ["N1", "N2"]
    assert evaluate({"same": "d", "as": "x", "value": "x.v", "by": "x.hw"}, ctx(d=drivers[2:])) == TRUE
    assert evaluate({"same": "d", "as": "x", "value": "x.v"}, ctx(d=[{"v": "1"}, {"v": None}])) == UNKNOWN


def test_star_paths_flatten_and_a_missing_branch_is_unknown() -> None:
    nodes = [{"drivers": [{"v": "1"}]}, {"drivers": [{"v": "1"}, {"v": "1"}]}]
    assert evaluate({"count": "nodes[*].drivers[*]", "eq": 3}, ctx(nodes=nodes)) == TRUE
    nodes.append({"name": "down"})  # an unreachable node has no drivers list
    assert evaluate({"count": "nodes[*].drivers[*]", "eq": 3}, ctx(nodes=nodes)) == UNKNOWN


def test_operands_from_facts_params_and_catalogs() -> None:
    c = ctx(cl={"fl": 9, "other": 9}, d={"v": "1.3"})
    assert evaluate({"fact": "cl.fl", "equals": {"fact": "cl.other"}}, c) == TRUE
    assert evaluate({"fact": "cl.fl", "equals": {"catalog": "os", "key": {"param": "source_os"}, "field": "fl"}}, c) == TRUE
    assert evaluate({"fact": "d.v", "version_ge": {"catalog": "os", "key": "2016", "field": "min.{target_os}"}}, c) == TRUE
    assert "os.yaml" in c.catalogs_used


def test_broken_catalog_lookups_are_errors_not_passes() -> None:
    c = ctx(cl={"fl": 9})
    with pytest.raises(EvalError, match="no entry"):
        evaluate({"fact": "cl.fl", "equals": {"catalog": "os", "key": "2099", "field": "fl"}}, c)
    with pytest.raises(EvalError, match="has no 'min.2022'"):
        evaluate({"fact": "cl.fl", "equals": {"catalog": "os", "key": "2016", "field": "min.2022"}}, c)
    with pytest.raises(EvalError, match="not loaded"):
        evaluate({"fact": "cl.fl", "in_catalog": "nope"}, c)


def test_type_mismatch_is_an_error() -> None:
    with pytest.raises(EvalError, match="cannot apply gt"):
        evaluate({"fact": "n.s", "gt": 3}, ctx(n={"s": "three"}))


@pytest.mark.parametrize("cond,message", [
    ({"fact": "a.b", "equalz": 1}, "unknown operator 'equalz'"),
    ({"fact": "a.b", "matches": "(unclosed"}, "bad regex"),
    ({"fact": "a.b"}, "exactly one operator"),
    ({"fact": "a..b", "equals": 1}, "bad fact path"),
    ({"fact": "a[*].b", "equals": 1}, "only allowed in"),
    ({"all": []}, "non-empty list"),
    ({"every": "xs", "that": {"fact": "x.a", "equals": 1}}, "needs 'as'"),
    ({"count": "xs"}, "exactly one of"),
    ({"frobnicate": 1}, "unknown condition"),
    ({"fact": "a.b", "equals": {"lookup": 1}}, "unknown operand"),
])
def test_load_time_checks_name_the_problem(cond: dict, message: str) -> None:
    problems = check_condition(cond, ("check",))
    assert problems and any(message in text for _, text in problems), problems


def test_every_leaf_operator_passes_load_checks() -> None:
    values = {"exists": True, "empty": False, "in_catalog": "os", "in": [1], "not_in": [1], "matches": "x",
              "not_matches": "x"}
    for op in LEAF_OPERATORS:
        assert check_condition({"fact": "a.b", op: values.get(op, 1)}, ()) == [], op


def test_facts_read_lists_paths() -> None:
    cond = {"all": [{"fact": "node.os.build", "ge": 1}, {"every": "cluster.nodes", "as": "m", "that": {"fact": "m.state", "equals": "Up"}}]}
    assert facts_read([parse(cond)]) == ["node.os.build", "cluster.nodes", "m.state"]


def test_catalog_lookup_names_must_be_strings() -> None:
    bad = {"fact": "a.b", "equals": {"catalog": [], "key": "x", "field": "f"}}
    assert any("a catalog lookup is" in text for _, text in check_condition(bad, ()))


@pytest.mark.parametrize("path", ["n.b", "n.os.build", "n.wmi.cl.ok", "n.a.b.c.d", "n.list.length", "n.s.x",
                                  "n.none.x", "n.zero", "n.false", "n.os.none", "absent.x", "n.os.build.deeper"])
def test_tight_path_resolvers_answer_as_the_general_walk(path: str) -> None:
    """Two-, three- and four-key paths subscript and fall back to the general walk on anything else
    (absent keys, nulls, a list's length, a string on the way): the same answer either way."""
    from scanner.engine.condition.paths import compile_path, path_parts, resolve_parts

    values = {"n": {"b": 1, "os": {"build": 14393, "none": None}, "wmi": {"cl": {"ok": False}},
                    "a": {"b": {"c": {"d": "deep"}}}, "list": [1, 2, 3], "s": "text", "none": None, "zero": 0,
                    "false": False}}
    assert compile_path(path)(values) == resolve_parts(path_parts(path), values)


def test_contains_and_version_fast_paths_keep_their_answers() -> None:
    c = ctx(n={"features": [1, True, None, "Failover-Clustering"], "mixed": [True, 2], "v": "10.0.14393.2828",
               "bad": "not a version"})
    assert evaluate({"fact": "n.features", "contains": "FAILOVER-clustering"}, c) == TRUE
    assert evaluate({"fact": "n.features", "contains": "dedup"}, c) == FALSE
    assert evaluate({"fact": "n.mixed", "contains": True}, c) == TRUE and evaluate({"fact": "n.mixed", "contains": 1}, c) == FALSE
    assert evaluate({"fact": "n.v", "version_ge": "10.0.14393.2828"}, c) == TRUE
    assert evaluate({"fact": "n.v", "version_lt": "10.0.14393.2828"}, c) == FALSE
    with pytest.raises(EvalError):
        evaluate({"fact": "n.bad", "version_ge": "10.0"}, c)
