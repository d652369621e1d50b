"""Attestations: manual findings decided by dated, expiring statements with evidence."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import factory
import pytest

from scanner.engine.attestations import Attestation, apply_attestations
from scanner.engine.run import evaluate_facts
from scanner.engine.waivers import Selector
from scanner.errors import InputError
from scanner.exception_files import load_attestations
from scanner.model import Finding
from scanner.rulefiles import load_catalogs, load_rules

DAY = dt.date(2026, 11, 20)


def manual(rule: str = "FW-002", subject: str = "NODE1", status: str = "manual") -> Finding:
    return Finding(rule_id=rule, title="t", severity="high", status=status, scope="node",  # type: ignore[arg-type]
                   subject=subject, area="firmware", node=subject)


def attestation(status: str = "pass", date: dt.date = dt.date(2026, 11, 1),
                expires: dt.date = dt.date(2027, 5, 1), subject: str = "NODE*") -> Attestation:
    return Attestation(Selector("FW-002", subject), "Dell supports BIOS 2.19 and the HBA firmware on WS2016",
                       "J. Doe, storage", ("https://example.invalid/dell-matrix.pdf",), date, expires, status)


def test_valid_attestation_turns_manual_into_pass_and_is_listed_with_evidence() -> None:
    out, report = apply_attestations([manual(), manual(subject="NODE2")], [attestation()], DAY)
    assert [f.status for f in out] == ["pass", "pass"]
    assert out[0].attestation is not None and out[0].attestation["evidence"] == ["https://example.invalid/dell-matrix.pdf"]
    assert "J. Doe" in out[0].message
    assert report[0]["state"] == "applied" and len(report[0]["findings"]) == 2


def test_not_supported_statement_gives_fail() -> None:
    out, _ = apply_attestations([manual()], [attestation(status="fail")], DAY)
    assert out[0].status == "fail" and "NOT supported" in out[0].message


@pytest.mark.parametrize("att, state", [
    (attestation(expires=DAY), "expired"),
    (attestation(date=DAY + dt.timedelta(days=1), expires=DAY + dt.timedelta(days=90)), "not_yet_valid"),
    (attestation(subject="OTHER"), "stale"),
])
def test_invalid_attestations_leave_the_finding_manual(att: Attestation, state: str) -> None:
    out, report = apply_attestations([manual()], [att], DAY)
    assert out[0].status == "manual" and out[0].attestation is None
    assert report[0]["state"] == state


def test_attestations_never_override_an_automated_result() -> None:
    out, report = apply_attestations([manual(status="fail")], [attestation()], DAY)
    assert out[0].status == "fail"
    assert report[0]["state"] == "stale"


GOOD = """\
attestations:
  - rule: FW-002
    subject: "*"
    statement: Dell supports BIOS 2.19.1 and the QLE2692 firmware on Windows Server 2016
    attested_by: J. Doe (storage team)
    evidence: [https://example.invalid/dell-matrix.pdf, docs/cab-2026-11.pdf]
    date: 2026-11-01
    expires: 2027-05-01
"""


def test_load(tmp_path: Path) -> None:
    p = tmp_path / "att.yaml"
    p.write_text(GOOD)
    (a,) = load_attestations([p])
    assert a.evidence == ("https://example.invalid/dell-matrix.pdf", "docs/cab-2026-11.pdf")
    assert a.status == "pass" and a.line == 2


@pytest.mark.parametrize("text, expected", [
    (GOOD.replace("    attested_by: J. Doe (storage team)\n", ""), ":2:5: attestations/0: 'attested_by' is a required property"),
    (GOOD.replace("expires: 2027-05-01", "expires: 2026-10-01"), ":8:14: expires must be after date"),
    (GOOD + "    status: maybe\n", ":9:13: attestations/0/status: 'maybe' is not one of"),
])
def test_bad_files(tmp_path: Path, text: str, expected: str) -> None:
    p = tmp_path / "att.yaml"
    p.write_text(text)
    with pytest.raises(InputError) as exc:
        load_attestations([p])
    rendered = [x.render() for x in exc.value.problems]
    assert any(expected in r for r in rendered), rendered


def test_end_to_end_attestation_rule_is_manual_until_attested(tmp_path: Path) -> None:
    rules = tmp_path / "r.yaml"
    rules.write_text("""\
rules:
  - id: FW-002
    title: Vendor supports this server's firmware on the target OS
    severity: high
    kind: attestation
    phases: [pre]
    scope: node
    area: firmware
    message: "Not reviewed: {{ node.name }}"
    remediation: Get the vendor's statement.
    references: [https://example.invalid]
""")
    att = tmp_path / "att.yaml"
    att.write_text(GOOD)
    pack = load_rules([rules])
    doc = factory.facts()
    before, _ = evaluate_facts(doc, pack, load_catalogs(), phase="pre", today=DAY)
    after, _ = evaluate_facts(doc, pack.with_exceptions(attestations=load_attestations([att])), load_catalogs(),
                              phase="pre", today=DAY)
    assert before["verdict"]["status"] == "INCOMPLETE"
    assert {f["status"] for f in before["findings"]} == {"manual"}
    assert after["verdict"]["status"] == "GO"
    assert after["attestations"][0]["state"] == "applied"
    assert after["attestations"][0]["evidence"][0].startswith("https://")


def test_the_documented_attestation_example_loads(tmp_path: Path) -> None:
    from scanner import paths

    text = (paths.ROOT / "docs" / "waivers.md").read_text()
    block = next(b.split("```", 1)[0] for b in text.split("```yaml\n")[1:] if b.startswith("attestations:"))
    p = tmp_path / "a.yaml"
    p.write_text(block)
    (a,) = load_attestations([p])
    assert a.selector.rule == "FW-002" and len(a.evidence) == 2 and a.status == "pass"
