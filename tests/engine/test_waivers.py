"""Waivers: matching, expiry by calendar day, stale and expired reports, errors never waived, bad files."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import factory
import pytest
from factory import WriteFile

from scanner.cli import main
from scanner.engine.run import evaluate_facts
from scanner.engine.waivers import Selector, Waiver, apply_waivers
from scanner.errors import InputError
from scanner.exception_files import load_waivers
from scanner.model import Finding
from scanner.rulefiles import load_catalogs, load_rules

PACK = load_rules()
CATALOGS = load_catalogs()
EXPIRES = dt.date(2026, 12, 1)


def finding(rule: str = "DDP-003", subject: str = "Cluster Disk 1", status: str = "fail", node: str | None = "NODE1") -> Finding:
    return Finding(rule_id=rule, title="t", severity="critical", status=status, scope="volume",  # type: ignore[arg-type]
                   subject=subject, area="dedup", node=node)


def waiver(rule: str = "DDP-003", subject: str = "Cluster Disk 1", node: str | None = None,
           expires: dt.date = EXPIRES) -> Waiver:
    return Waiver(Selector(rule, subject, node), "accepted until NODE2 is upgraded", "CAB", expires)


def test_matching_waiver_turns_fail_into_waived_with_the_waiver_attached() -> None:
    out, report = apply_waivers([finding()], [waiver()], dt.date(2026, 11, 30))
    assert out[0].status == "waived"
    assert out[0].waiver is not None
    assert out[0].waiver["justification"] == "accepted until NODE2 is upgraded"
    assert out[0].waiver["original_status"] == "fail"
    assert [a["findings"] for a in report["applied"]] == [[{"rule_id": "DDP-003", "subject": "Cluster Disk 1", "status": "fail"}]]
    assert report["expired"] == [] and report["stale"] == []


@pytest.mark.parametrize("status", ["unknown", "manual"])
def test_unknown_and_manual_can_be_waived(status: str) -> None:
    out, _ = apply_waivers([finding(status=status)], [waiver()], dt.date(2026, 11, 1))
    assert out[0].status == "waived"


def test_waiver_stops_hiding_on_its_expiry_day() -> None:
    last_day = EXPIRES - dt.timedelta(days=1)
    assert apply_waivers([finding()], [waiver()], last_day)[0][0].status == "waived"
    out, report = apply_waivers([finding()], [waiver()], EXPIRES)
    assert out[0].status == "fail" and out[0].waiver is None
    assert report["applied"] == []
    assert report["expired"][0]["expires"] == "2026-12-01"
    assert report["expired"][0]["findings"] == [{"rule_id": "DDP-003", "subject": "Cluster Disk 1", "status": "fail"}]


def test_error_findings_are_never_waived_and_the_waiver_says_why() -> None:
    out, report = apply_waivers([finding(status="error")], [waiver()], dt.date(2026, 11, 1))
    assert out[0].status == "error"
    assert "errors are never waived" in report["stale"][0]["reason"]


def test_subject_and_node_are_case_insensitive_globs() -> None:
    findings = [finding(subject="NODE1:Data", node="NODE1"), finding(subject="NODE2:Data", node="NODE2")]
    out, _ = apply_waivers(findings, [waiver(subject="node*:data", node="node2")], dt.date(2026, 11, 1))
    assert [f.status for f in out] == ["fail", "waived"]


def test_rule_glob() -> None:
    out, _ = apply_waivers([finding(rule="DRV-001"), finding(rule="AV-003")], [waiver(rule="DRV-*", subject="*")],
                           dt.date(2026, 11, 1))
    assert [f.status for f in out] == ["waived", "fail"]


def test_stale_waivers_say_why() -> None:
    waivers = [waiver(rule="GONE-1"), waiver(subject="Cluster Disk 9"), waiver()]
    _, report = apply_waivers([finding(status="pass")], waivers, dt.date(2026, 11, 1), rule_ids=["DDP-003"])
    reasons = [s["reason"] for s in report["stale"]]
    assert "no rule 'GONE-1'" in reasons[0]
    assert "matches no finding" in reasons[1]
    assert "passes or does not apply" in reasons[2]


def test_first_matching_waiver_wins_and_the_second_is_stale() -> None:
    _, report = apply_waivers([finding()], [waiver(), waiver(subject="*")], dt.date(2026, 11, 1))
    assert len(report["applied"]) == 1
    assert "already waived" in report["stale"][0]["reason"]


GOOD = """\
waivers:
  - id: W-1
    rule: DDP-003
    subject: Cluster Disk 1
    justification: NODE2 and NODE3 are upgraded tonight
    approved_by: CAB-2026-11
    expires: 2026-12-01
"""


def test_load_parses_unquoted_dates_and_records_the_line(write_file: WriteFile) -> None:
    (w,) = load_waivers([write_file("waivers.yaml", GOOD)])
    assert w.expires == dt.date(2026, 12, 1)
    assert w.line == 2 and w.id == "W-1"


@pytest.mark.parametrize("text, expected", [
    (GOOD.replace("    approved_by: CAB-2026-11\n", ""), ":2:5: waivers/0: 'approved_by' is a required property"),
    (GOOD.replace("NODE2 and NODE3 are upgraded tonight", "ok"), ":5:20: waivers/0/justification: 'ok' is too short"),
    (GOOD.replace("2026-12-01", "2026-02-30"), ":7:14: bad value '2026-02-30': day is out of range for month"),
    (GOOD.replace("2026-12-01", '"2026-13-01"'), ":7:14: waivers/0/expires: '2026-13-01' is not a date"),
    (GOOD.replace("expires: 2026-12-01", "expires: next week"), ":7:14: waivers/0/expires: 'next week' does not match"),
    (GOOD + "  - rule: X-1\n", ":8:5: waivers/1: 'subject' is a required property"),
])
def test_bad_waiver_files_name_file_line_and_column(write_file: WriteFile, text: str, expected: str) -> None:
    path = write_file("waivers.yaml", text)
    with pytest.raises(InputError) as exc:
        load_waivers([path])
    rendered = [p.render() for p in exc.value.problems]
    assert any(r.startswith(str(path)) and expected in r for r in rendered), rendered


def test_bad_waiver_file_exits_65_on_the_command_line(write_file: WriteFile, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_file("waivers.yaml", GOOD.replace("    approved_by: CAB-2026-11\n", ""))
    assert main(["evaluate", "examples/mixed-dedup-hazard.json", "--waivers", str(path)]) == 65
    assert f"{path}:2:5" in capsys.readouterr().err


def test_end_to_end_a_waived_critical_no_longer_blocks_until_it_expires(write_file: WriteFile) -> None:
    doc = factory.mixed_dedup_hazard()
    waivers = load_waivers([write_file("waivers.yaml", GOOD)])
    before, _ = evaluate_facts(doc, PACK, CATALOGS, phase="mixed", target_os="2016", waivers=waivers,
                               today=dt.date(2026, 11, 30))
    after, _ = evaluate_facts(doc, PACK, CATALOGS, phase="mixed", target_os="2016", waivers=waivers,
                              today=dt.date(2026, 12, 1))
    assert before["verdict"]["status"] != "NO-GO"
    assert [f["status"] for f in before["findings"] if f["rule_id"] == "DDP-003"] == ["waived"]
    assert before["waivers"]["applied"][0]["id"] == "W-1"
    assert after["verdict"]["status"] == "NO-GO"
    assert after["waivers"]["expired"][0]["id"] == "W-1"


def test_pack_carries_waivers_from_the_command_line_options(write_file: WriteFile, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_file("waivers.yaml", GOOD.replace("2026-12-01", "2999-01-01"))
    code = main(["evaluate", "examples/mixed-dedup-hazard.json", "--waivers", str(path), "--format", "json"])
    assert code != 2
    assert '"status": "waived"' in capsys.readouterr().out


def doc_block(tmp_path: Path, head: str) -> Path:
    """The YAML example of docs/waivers.md that holds `head`, as a file."""
    from scanner import paths

    text = (paths.ROOT / "docs" / "waivers.md").read_text()
    block = next(b.split("```", 1)[0] for b in text.split("```yaml\n")[1:] if f"\n{head}:" in "\n" + b.split("```", 1)[0])
    p = tmp_path / f"{head}.yaml"
    p.write_text(block)
    return p


def test_the_documented_waiver_example_loads(tmp_path: Path) -> None:
    (w,) = load_waivers([doc_block(tmp_path, "waivers")])
    assert w.selector.rule == "DDP-003" and w.expires == dt.date(2026, 11, 27) and w.ticket == "CHG-1042"
