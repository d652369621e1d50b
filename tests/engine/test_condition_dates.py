"""Dates from servers and catalogs, optional catalog fields, and `same ... where`: the operators the
lifecycle and realistic-shape rules rely on (docs/rules.md)."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from scanner.engine.catalogs import Catalog, Entry
from scanner.engine.condition import FALSE, TRUE, UNKNOWN, Context, EvalError, check_condition, evaluate

NOW = datetime(2026, 11, 20, tzinfo=timezone.utc)
LIFE = {"key": "scep", "lifecycle": {"end_of_support": "2022-07-12", "source": "x", "checked": "2026-12-01"}}
OPEN = {"key": "sophos", "lifecycle": {"source": "not verified", "checked": "2026-12-01"}}


def ctx(**values: object) -> Context:
    catalogs = {"av": Catalog("av", {"scep": Entry("scep", LIFE, "av.yaml"), "sophos": Entry("sophos", OPEN, "av.yaml")},
                              ["av.yaml"])}
    return Context(dict(values, params={"target_os": "2019"}), catalogs, NOW)


def eos(key: str) -> dict:
    return {"catalog": "av", "key": key, "field": "lifecycle.end_of_support", "default": "9999-12-31"}


@pytest.mark.parametrize("cond,expected", [
    ({"fact": "s.at", "date_lt": "2027-01-12"}, TRUE),
    ({"fact": "s.at", "date_ge": "2027-01-12"}, FALSE),
    ({"fact": "s.at", "date_gt": "2026-11-19T23:59:59Z"}, TRUE),
    ({"fact": "s.at", "date_le": "2026-11-20"}, FALSE),  # a time on the day is after the day's midnight
    ({"fact": "s.day", "date_le": "2026-11-20"}, TRUE),
])
def test_date_comparisons(cond: dict, expected: str) -> None:
    assert evaluate(cond, ctx(s={"at": "2026-11-20T02:00:00Z", "day": "2026-11-20"})) == expected


def test_a_catalog_date_decides_and_an_absent_optional_field_takes_its_default() -> None:
    c = ctx(s={"at": "2026-11-20T02:00:00Z"})
    assert evaluate({"fact": "s.at", "date_lt": eos("scep")}, c) == FALSE  # past end of support
    assert evaluate({"fact": "s.at", "date_lt": eos("sophos")}, c) == TRUE  # none announced
    with pytest.raises(EvalError, match="has no 'lifecycle.end_of_support'"):  # without default: broken data
        evaluate({"fact": "s.at", "date_lt": {"catalog": "av", "key": "sophos", "field": "lifecycle.end_of_support"}}, c)


@pytest.mark.parametrize("raw", ["12.11.2026", "11/12/2026 00:00:00", "1d7e3c5a2b4f000", "", "gestern"])
def test_a_server_date_nobody_can_read_is_unknown_never_an_error(raw: str) -> None:
    c = ctx(h={"installed_on": raw})
    for cond in ({"fact": "h.installed_on", "within_days": 60}, {"fact": "h.installed_on", "older_than_days": 1},
                 {"fact": "h.installed_on", "date_ge": "2026-01-01"}):
        assert evaluate(cond, c) == UNKNOWN, cond
    # one unreadable date among readable ones does not hide a recent update
    c = ctx(u=[{"on": raw}, {"on": "2026-11-05"}])
    assert evaluate({"some": "u", "as": "x", "that": {"fact": "x.on", "within_days": 60}}, c) == TRUE


def test_a_rule_side_date_that_cannot_be_read_is_an_error() -> None:
    with pytest.raises(EvalError, match="cannot apply date_lt"):
        evaluate({"fact": "s.at", "date_lt": "next year"}, ctx(s={"at": "2026-11-20"}))


def test_optional_catalog_field_passes_load_checks_and_other_keys_do_not() -> None:
    assert check_condition({"fact": "a.b", "date_lt": eos("scep")}, ()) == []
    assert check_condition({"fact": "a.b", "equals": {"catalog": "av", "key": "x", "field": "f", "fallback": 1}}, ())


def test_same_where_compares_only_the_rows_it_selects() -> None:
    rows = [{"node": "N1", "hw": "PCI\\A", "v": "1.0", "signed": True},
            {"node": "N2", "hw": "PCI\\A", "v": "1.0", "signed": True},
            {"node": "N1", "hw": None, "v": None, "signed": None}]  # a device without a driver
    cond = {"same": "d", "as": "r", "value": "r.v", "by": "r.hw",
            "where": {"all": [{"fact": "r.hw", "exists": True}, {"fact": "r.signed", "exists": True}]}}
    assert evaluate(cond, ctx(d=rows)) == TRUE
    assert evaluate({k: v for k, v in cond.items() if k != "where"}, ctx(d=rows)) == UNKNOWN
    rows[1]["v"] = "1.1"
    assert evaluate(cond, ctx(d=rows)) == FALSE
    rows[1]["v"], rows[0]["signed"] = "1.0", None
    rows[0]["hw"] = None  # excluded: only N2's row is compared
    assert evaluate(cond, ctx(d=rows)) == TRUE
    where_unknown = dict(cond, where={"fact": "r.flag", "equals": True})
    assert evaluate(where_unknown, ctx(d=rows)) == UNKNOWN
