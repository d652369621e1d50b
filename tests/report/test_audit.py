"""Audit content of the reports: provenance, waivers and attestations as tables, expired waivers on
their findings, evidence for passes naming the node, problem headlines, one-line failure causes."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import subprocess
from pathlib import Path

import pytest
import yaml

from scanner import paths
from scanner.cli import main
from scanner.engine.run import evaluate_facts
from scanner.exception_files import load_attestations, load_waivers
from scanner.lab import PASSWORD_ENV
from scanner.provenance import redact_command_line, result_provenance
from scanner.report import write_reports
from scanner.report.machine import to_junit
from scanner.report.writer import render_html
from scanner.rulefiles import load_catalogs, load_rules
from tests.collect.conftest import LAB_PASSWORD, scenario, start_lab

EXAMPLE = paths.EXAMPLES_DIR / "mixed-dedup-hazard.json"
TODAY = dt.date(2026, 11, 26)
ATTESTATIONS = {"attestations": [
    {"id": "A-OLD", "rule": "FW-*", "subject": "*", "statement": "Vendor supports the firmware on 2016.",
     "attested_by": "J. Doe, storage team", "evidence": ["CAB/2026-01/hpe.pdf"], "date": "2026-01-01",
     "expires": "2026-06-01"},
]}


def _evaluate(doc, raw, **exceptions):
    result, _ = evaluate_facts(doc, load_rules(None), load_catalogs([]), phase="mixed", target_os="2016",
                               facts_sha256=hashlib.sha256(raw).hexdigest(), today=TODAY, **exceptions)
    return result


@pytest.fixture(scope="module")
def audited(tmp_path_factory):
    """A real evaluation of the mixed-OS example with every waiver and attestation state; the waivers
    aim at whatever the shipped rules find, so the test follows the rule pack as it changes."""
    folder = tmp_path_factory.mktemp("audit")
    raw = EXAMPLE.read_bytes()
    doc = json.loads(raw)
    # A second, non-critical problem beside the example's DDP-003: NODE2 waits for a reboot (PAT-005).
    next(n for n in doc["nodes"] if n["name"] == "NODE2")["pending_reboot"].update(any=True, cbs=True)
    plain = _evaluate(doc, raw, waivers=(), attestations=())
    fails = [f for f in plain["findings"] if f["status"] == "fail"]
    crit = next(f for f in fails if f["severity"] == "critical")
    other = next(f for f in fails if f is not crit)
    done = {crit["rule_id"], other["rule_id"]}
    passing = next(f for f in plain["findings"] if f["status"] == "pass" and f["rule_id"] not in done)
    waivers = {"waivers": [
        {"id": "W-ACTIVE", "rule": other["rule_id"], "subject": other["subject"],
         "justification": "Fixed in the December window.", "approved_by": "CAB (J. Doe)", "expires": "2027-01-31",
         "ticket": "CHG-1001"},
        {"id": "W-EXPIRED", "rule": crit["rule_id"], "subject": crit["subject"],
         "justification": "Accepted until the November window.", "approved_by": "CAB (J. Doe)",
         "expires": "2026-11-20", "ticket": "CHG-1002"},
        {"id": "W-STALE", "rule": passing["rule_id"], "subject": "*",
         "justification": "Old exception, the check passes now.", "approved_by": "CAB (A. Roe)", "expires": "2027-01-31"},
        {"id": "W-UNUSED", "rule": "NOPE-001", "subject": "*", "justification": "A rule that is not in the pack.",
         "approved_by": "CAB (A. Roe)", "expires": "2027-01-31"},
    ]}
    (folder / "w.yaml").write_text(yaml.safe_dump(waivers))
    (folder / "a.yaml").write_text(yaml.safe_dump(ATTESTATIONS))
    result = _evaluate(doc, raw, waivers=load_waivers([folder / "w.yaml"]),
                       attestations=load_attestations([folder / "a.yaml"]))
    result["provenance"] = result_provenance(doc["scan"], command_line=["rollready", "evaluate", str(EXAMPLE)])
    return result, raw, crit


def _pdf_text(path: Path, *pages: int) -> str:
    args = ["pdftotext", "-layout"] + (["-f", str(pages[0]), "-l", str(pages[-1])] if pages else []) + [str(path), "-"]
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def test_waivers_and_attestations_are_tables_with_status(audited) -> None:
    result, raw, _ = audited
    html = render_html(result, raw)
    section = html[html.index('id="waived"'):html.index('id="passed"')]
    table = section[section.index('<table class="exceptions">'):]
    for wid, status in (("W-ACTIVE", "active"), ("W-EXPIRED", "expired"), ("W-STALE", "stale"), ("W-UNUSED", "unused")):
        row = table[table.index(wid):]
        row = row[:row.index("</tr>")]
        assert f'<span class="xstatus">{status}</span>' in row, (wid, row)
    assert "CHG-1001" in table and "CAB (J. Doe)" in table and "2027-01-31" in table
    atts = html[html.index('id="attestations"'):html.index('id="passed"')]
    assert "A-OLD" in atts and '<span class="xstatus">expired</span>' in atts and "CAB/2026-01/hpe.pdf" in atts
    # no raw JSON anywhere: no braces of a serialised object, no quoted keys
    assert "{&#34;" not in html and '{"' not in html and "&#39;approved_by&#39;" not in html


def test_expired_waiver_is_shown_on_the_finding_it_no_longer_covers(audited) -> None:
    result, raw, crit = audited
    html = render_html(result, raw)
    failing = html[html.index('id="failing"'):html.index('id="not-checked"')]
    row = failing[failing.index(f'<td class="subj">{crit["subject"]}'):]
    assert "Waiver W-EXPIRED expired on 2026-11-20 (ticket CHG-1002)" in row[:row.index("</tr>")]
    assert failing.count("W-EXPIRED") == 1  # on that finding only


def test_pdf_text_has_the_tables_and_contents(audited, tmp_path) -> None:
    result, raw, _ = audited
    pdf = tmp_path / "r.pdf"
    write_reports(result, raw, pdf=pdf, pdfa=False)
    cover = _pdf_text(pdf, 1)
    for entry in ("Waivers", "Attestations", "Passed checks and their evidence", "Provenance, scope and evidence files"):
        assert entry in cover
    text = _pdf_text(pdf)
    for word in ("W-ACTIVE", "W-EXPIRED", "W-STALE", "W-UNUSED", "unused", "stale", "A-OLD", "CHG-1002"):
        assert word in text
    assert '{"' not in text and "null" not in text


def test_passes_have_evidence_lines_naming_their_node(audited) -> None:
    result, raw, _ = audited
    html = render_html(result, raw)
    passed = html[html.index('id="passed"'):html.index('id="rules"')]
    pass_findings = [f for f in result["findings"] if f["status"] == "pass" and f["evidence"]]
    assert pass_findings
    for f in pass_findings:
        assert f["rule_id"] in passed
    node_fact = next(f for f in pass_findings if f["node"])
    assert node_fact["evidence"][0]["fact"] in passed
    import re

    named = " ".join(re.findall(r'<span class="on">on ([^<]*)</span>', passed))
    for f in pass_findings:  # every passing subject is named on an evidence line
        assert f["subject"] in named, f["subject"]
    failing = html[html.index('id="failing"'):html.index('id="not-checked"')]
    node_fail = next(f for f in result["findings"] if f["status"] == "fail" and f["node"] and f["evidence"])
    assert f'<b class="evn">{node_fail["node"]}</b>' in failing


def test_a_fact_read_twice_names_its_subject_once(audited) -> None:
    """CLU-023 reads every member's features in two branches (all have it, or none has): its
    evidence holds each line twice, and the merged line must name the cluster once, not "on
    FSCLUSTER1, FSCLUSTER1"."""
    import re

    result, raw, _ = audited
    twice = [f for f in result["findings"] if f["status"] == "pass"
             and len({(e["fact"], e["op"]) for e in f["evidence"]}) < len(f["evidence"])]
    assert twice, "the example no longer has a passing rule that reads a fact twice"
    html = render_html(result, raw)
    passed = html[html.index('id="passed"'):html.index('id="rules"')]
    for named in re.findall(r'<span class="on">on ([^<]*)</span>', passed):
        subjects = named.split(", ")
        assert len(subjects) == len(set(subjects)), named


def test_headline_states_the_problem_not_the_requirement(audited) -> None:
    result, _, _ = audited
    reason = result["verdict"]["reason"]
    assert reason.startswith('DDP-003 failed on Cluster Disk 1: Deduplicated volume E: "Data"')
    assert "cannot fail back" not in reason  # the rule's title states the requirement


def test_provenance_in_json_junit_and_metadata(audited) -> None:
    result, raw, _ = audited
    assert result["provenance"]["collection"] is None  # example facts carry no collection record
    assert result["provenance"]["evaluation"]["command_line"][:2] == ["rollready", "evaluate"]
    junit = to_junit(result).decode()
    assert 'name="evaluation_command_line"' in junit and 'name="tls_verified" value="not recorded"' in junit
    html = render_html(result, raw)
    meta = html[html.index('id="metadata"'):]
    assert "the facts carry no collection record" in meta and "Evaluation command line" in meta


def test_command_line_secrets_are_redacted() -> None:
    argv = ["rollready", "scan", "--password", "hunter2", "--token=abc", "PASSWORD=x",
            "--history", "postgresql://svc:s3cret@db.example/rr", "--password-env", "RR_PW"]
    out = redact_command_line(argv)
    text = " ".join(out)
    assert "hunter2" not in text and "abc" not in text and "s3cret" not in text and "=x" not in text
    assert "postgresql://svc:***@db.example/rr" in text and "RR_PW" in text  # a variable name is no secret


def _lab_inventory(lab, tmp_path: Path, **transport) -> Path:
    inv = lab.inventory()
    for cluster in inv["clusters"]:
        cluster["transport"].update({"connect_timeout": 5, "read_timeout": 5, "operation_timeout": 1, "retries": 0,
                                     **transport})
    path = tmp_path / "inventory.yaml"
    path.write_text(yaml.safe_dump(inv))
    return path


def test_insecure_scan_is_recorded_and_marked_on_the_cover(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv(PASSWORD_ENV, LAB_PASSWORD)
    out = tmp_path / "out"
    with start_lab(scenario(), tls=True).running() as lab:
        inventory = _lab_inventory(lab, tmp_path, cert_validation=False)
        code = main(["scan", "-i", str(inventory), "--phase", "pre", "--target-os", "2016", "--out", str(out),
                     "--no-pdfa"])
    assert code in (0, 1, 2, 3)
    facts = json.loads((out / "facts.json").read_text())
    prov = facts["scan"]["provenance"]
    assert prov["connections"][0]["tls"] == "disabled" and prov["connections"][0]["auth"] == "basic"
    assert prov["command_line"][:2] == ["rollready", "scan"] and prov["inventory_sha256"]
    assert len(prov["collector"]["sha256"]) == 64
    result = json.loads((out / "findings.json").read_text())
    assert result["provenance"]["insecure"] is True and result["provenance"]["tls_verified"] is False
    cover = _pdf_text(out / "report.pdf", 1)
    assert "TLS NOT VERIFIED" in cover
    assert LAB_PASSWORD not in (out / "findings.json").read_text() + (out / "facts.json").read_text()


def test_every_node_failing_the_same_way_is_one_line_and_a_short_report(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv(PASSWORD_ENV, "not-the-password")
    out = tmp_path / "out"
    with start_lab(scenario()).running() as lab:
        inventory = _lab_inventory(lab, tmp_path)
        code = main(["scan", "-i", str(inventory), "--phase", "pre", "--target-os", "2016", "--out", str(out),
                     "--no-pdfa"])
    assert code == 3
    cover = " ".join(_pdf_text(out / "report.pdf", 1).split())
    assert "Authentication failed (HTTP 401) with basic on 3 of 3 nodes." in cover
    assert "Windows Server ?" not in cover
    pages = subprocess.run(["pdfinfo", str(out / "report.pdf")], check=True, capture_output=True, text=True).stdout
    assert int(pages.split("Pages:")[1].split()[0]) <= 4


def test_the_cover_of_a_filtered_run_says_so(tmp_path, capsys) -> None:
    pdf, html = tmp_path / "f.pdf", tmp_path / "f.html"
    main(["evaluate", str(EXAMPLE), "--tags", "dedup", "--pdf", str(pdf), "--html", str(html), "--no-pdfa"])
    cover = " ".join(_pdf_text(pdf, 1).split())
    assert "Filtered run: only part of the rule pack was evaluated" in cover and "selected by tags: dedup" in cover
    page = html.read_text()
    band = page[page.index('<div class="verdict '):]
    band = band[:band.index('<p class="note">')]
    assert '<div class="verdict-flag">Filtered run' in band  # inside the verdict's colour band
    meta = page[page.index('id="metadata"'):]
    assert "Selected rules SHA-256" in meta and "Full rule pack SHA-256" in meta
