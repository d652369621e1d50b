from __future__ import annotations

from scanner.history import HistoryStore, compute_drift


def _two_runs(tmp_path, make_scan, before: dict, after: dict):
    with HistoryStore.open(tmp_path / "h.db") as store:
        a_id = store.record(*_rec(make_scan(collected_at="2026-11-20T02:00:00Z", **before)))
        b_id = store.record(*_rec(make_scan(collected_at="2026-11-21T02:00:00Z", **after)))
        return store.get(a_id), store.get(b_id)


def _rec(scan):
    result, facts, _, sha = scan
    return result, facts, sha, None


def test_drift_names_new_problems_resolved_and_verdict_change(tmp_path, make_scan):
    """One definition of open (scanner/compare.py): pass → unknown is a new problem, as in `rollready diff`."""
    a, b = _two_runs(tmp_path, make_scan, before=dict(verdict="GO WITH WARNINGS", findings=[
        ("CLU-001", "cluster", "pass", "critical"),
        ("PAT-002", "cluster", "fail", "medium"),
        ("WMI-001", "N2", "pass", "high"),
        ("MIX-009", "cluster", "fail", "info"),
        ("VER-001", "N1", "pass", "low"),
    ]), after=dict(verdict="NO-GO", findings=[
        ("CLU-001", "cluster", "fail", "critical"),
        ("PAT-002", "cluster", "pass", "medium"),
        ("WMI-001", "N2", "unknown", "high"),
        ("DDP-003", "N1:E:", "fail", "critical"),
        ("MIX-009", "cluster", "fail", "info"),
        ("VER-001", "N1", "waived", "low"),
    ]))
    drift = compute_drift(a, b)
    assert drift.verdict_changed
    assert [(c.rule_id, c.subject, c.before, c.after) for c in drift.new_problems] == [
        ("CLU-001", "cluster", "pass", "fail"), ("DDP-003", "N1:E:", None, "fail"), ("WMI-001", "N2", "pass", "unknown")]
    assert [(c.rule_id, c.before, c.after) for c in drift.resolved] == [("PAT-002", "fail", "pass")]
    assert [(c.rule_id, c.before, c.after) for c in drift.other_changes] == [("VER-001", "pass", "waived")]
    assert not drift.still_open  # an info finding is never open, so never a problem
    assert drift.new_problems[1].message == "DDP-003 on N1:E: is fail"
    assert drift.to_dict()["verdict"] == {"before": "GO WITH WARNINGS", "after": "NO-GO", "changed": True}


def test_drift_and_diff_agree_on_what_is_open(tmp_path, make_scan):
    """history drift and rollready diff answer from the same comparison."""
    from scanner.report.diff import Side, diff

    before = make_scan(collected_at="2026-11-20T02:00:00Z", findings=[("A-1", "N1", "manual", "high"),
                                                                       ("B-1", "N1", "fail", "low")])
    after = make_scan(collected_at="2026-11-21T02:00:00Z", findings=[("A-1", "N1", "error", "high"),
                                                                      ("C-1", "N2", "unknown", "medium")])
    a, b = _two_runs(tmp_path, make_scan, before=dict(findings=[("A-1", "N1", "manual", "high"),
                                                                ("B-1", "N1", "fail", "low")]),
                     after=dict(findings=[("A-1", "N1", "error", "high"), ("C-1", "N2", "unknown", "medium")]))
    drift = compute_drift(a, b)
    d = diff(Side("before", before[0], None, {}, {}), Side("after", after[0], None, {}, {}))["findings"]
    assert [(e["rule_id"], e["subject"]) for e in d["new"]] == [(c.rule_id, c.subject) for c in drift.new_problems]
    assert [e["rule_id"] for e in d["still_open"]] == [c.rule_id for c in drift.still_open] == ["A-1"]
    assert [e["rule_id"] for e in d["not_re_evaluated"]] == [c.rule_id for c in drift.not_re_evaluated] == ["B-1"]


def test_drift_names_nodes_that_changed_os(tmp_path, make_scan):
    a, b = _two_runs(tmp_path, make_scan,
                     before=dict(builds={"N1": 9600, "N2": 9600, "N3": 9600}),
                     after=dict(builds={"N1": 14393, "N2": 9600, "N3": None, "N4": 14393}))
    changes = {c.name: c.summary for c in compute_drift(a, b).node_changes}
    assert changes == {
        "N1": "N1: 2012R2 6.3.9600.100 → 2016 10.0.14393.100",
        "N3": "N3: 2012R2 6.3.9600.100 → unreachable",
        "N4": "N4: added (2016 10.0.14393.100)",
    }


def test_identical_runs_have_no_drift(tmp_path, make_scan):
    a, b = _two_runs(tmp_path, make_scan, before={}, after={})
    assert compute_drift(a, b).is_empty


def test_drift_renders_as_text_html_and_pdf(tmp_path, make_scan):
    import subprocess

    from scanner.history.render import render_html, render_pdf, render_text

    a, b = _two_runs(tmp_path, make_scan, before=dict(builds={"N1": 9600, "N2": 9600}),
                     after=dict(verdict="NO-GO", builds={"N1": 14393, "N2": 9600},
                                findings=[("CLU-001", "cluster", "pass", "critical"),
                                          ("DDP-003", "<script>alert(1)</script>", "fail", "critical")]))
    drift = compute_drift(a, b)
    text = render_text(drift)
    assert "verdict: GO → NO-GO" in text and "N1: 2012R2 6.3.9600.100 → 2016 10.0.14393.100" in text
    html = render_html(drift)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>" not in html
    assert "DDP-003" in html and "N1: 2012R2 6.3.9600.100 → 2016 10.0.14393.100" in html
    pdf = tmp_path / "drift.pdf"
    pdf.write_bytes(render_pdf(drift))
    page_text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "DDP-003" in page_text and "New problems" in page_text
