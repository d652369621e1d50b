"""Verdict: NO-GO beats INCOMPLETE beats warnings; unknown, error and manual never pass."""
from __future__ import annotations

import pytest

from scanner import exitcodes
from scanner.engine.verdict import decide
from scanner.model import Finding


def f(status: str, severity: str = "high", blocking: bool | None = None) -> Finding:
    return Finding(rule_id=f"R-{status}-{severity}", title="t", severity=severity, status=status,  # type: ignore[arg-type]
                   scope="node", subject="N1", area="health",
                   blocking=severity in ("critical", "high") if blocking is None else blocking)


@pytest.mark.parametrize("findings,problems,status,code", [
    ([f("pass"), f("not_applicable")], [], "GO", exitcodes.GO),
    ([f("pass"), f("fail", "medium")], [], "GO WITH WARNINGS", exitcodes.GO_WITH_WARNINGS),
    ([f("pass"), f("fail", "high")], [], "NO-GO", exitcodes.NO_GO),
    ([f("pass"), f("fail", "high", blocking=False)], [], "GO WITH WARNINGS", exitcodes.GO_WITH_WARNINGS),
    ([f("pass"), f("info", "info")], [], "GO", exitcodes.GO),
    ([f("pass"), f("unknown", "info")], [], "GO", exitcodes.GO),
    ([f("pass"), f("unknown", "low")], [], "GO WITH WARNINGS", exitcodes.GO_WITH_WARNINGS),
    ([f("pass"), f("unknown", "high")], [], "INCOMPLETE", exitcodes.INCOMPLETE),
    ([f("pass"), f("error", "critical")], [], "INCOMPLETE", exitcodes.INCOMPLETE),
    ([f("pass"), f("manual", "critical")], [], "INCOMPLETE", exitcodes.INCOMPLETE),
    ([f("unknown", "critical"), f("fail", "critical")], [], "NO-GO", exitcodes.NO_GO),
    ([f("waived", "critical")], [], "GO", exitcodes.GO),
    ([f("fail", "info")], [], "GO", exitcodes.GO),
    ([f("pass")], ["N3: connection refused"], "INCOMPLETE", exitcodes.INCOMPLETE),
    ([], [], "INCOMPLETE", exitcodes.INCOMPLETE),
])
def test_verdict_table(findings: list[Finding], problems: list[str], status: str, code: int) -> None:
    v = decide(findings, problems)
    assert (v.status, v.exit_code) == (status, code)
    assert v.reason.endswith(".")


def test_no_go_reason_names_rule_and_subject() -> None:
    v = decide([f("fail", "critical"), f("fail", "critical")])
    assert "R-fail-critical failed on N1" in v.reason and "1 more" in v.reason


def test_members_not_scanned_are_named_and_block_go() -> None:
    v = decide([f("pass")], not_scanned=["NODE2", "NODE3"])
    assert (v.status, v.exit_code) == ("INCOMPLETE", exitcodes.INCOMPLETE)
    assert "not scanned: NODE2, NODE3" in v.reason


def test_no_go_still_wins_over_members_not_scanned() -> None:
    assert decide([f("fail", "high")], not_scanned=["NODE2"]).status == "NO-GO"


@pytest.mark.parametrize("findings,status", [
    ([f("pass")], "GO WITH WARNINGS"),
    ([f("pass"), f("fail", "low")], "GO WITH WARNINGS"),
    ([f("pass"), f("fail", "critical")], "NO-GO"),
])
def test_a_narrowed_rule_set_is_never_a_plain_go(findings: list[Finding], status: str) -> None:
    v = decide(findings, narrowed="--skip-tags dedup: 5 of 55 rules left out")
    assert v.status == status and v.exit_code != exitcodes.GO
    if status != "NO-GO":
        assert "narrowed (--skip-tags dedup" in v.reason


def test_the_severity_table_decides_blocking() -> None:
    from scanner.engine.verdict import SEVERITY_TABLE
    from scanner.model import SEVERITIES

    assert list(SEVERITY_TABLE) == list(SEVERITIES)
    assert [s for s in SEVERITIES if SEVERITY_TABLE[s].blocks] == ["critical", "high"]
    assert [s for s in SEVERITIES if not SEVERITY_TABLE[s].counts] == ["info"]


def test_counts_by_status_and_severity() -> None:
    v = decide([f("pass"), f("pass", "low"), f("fail", "low")])
    assert v.counts == {"pass": {"high": 1, "low": 1}, "fail": {"low": 1}}


def test_a_go_that_rests_on_waivers_says_so() -> None:
    v = decide([f("pass"), f("waived", "critical")])
    assert v.status == "GO" and "through a waiver" in v.reason and "R-waived-critical" in v.reason


def test_finding_to_dict_has_every_field() -> None:
    from dataclasses import fields

    d = f("fail").to_dict()
    assert list(d) == [x.name for x in fields(Finding)]
