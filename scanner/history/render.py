"""Drift and run listings for people: terminal text, HTML and PDF (shared report look and CSS)."""
from __future__ import annotations

from dataclasses import asdict
from typing import Any

from scanner.history.drift import Drift, FindingChange
from scanner.history.store import RunRecord
from scanner.report.text import clip, one_line, visible
from scanner.times import format_utc


def _t(value: Any, limit: int = 120) -> str:
    """Untrusted text (from a scanned server) for a terminal: one line, hidden characters shown, cut."""
    return visible(clip(one_line("" if value is None else str(value)), limit))


def render_runs(runs: list[RunRecord]) -> str:
    if not runs:
        return "no runs recorded\n"
    lines = [f"{'ID':>5}  {'SCANNED (UTC)':<20}  {'CLUSTER':<16}  {'PHASE':<5}  {'VERDICT':<16}  MIXED  FACTS"]
    for r in runs:
        mixed = {True: "yes", False: "no", None: "?"}[r.mixed_mode]
        lines.append(f"{r.id:>5}  {format_utc(r.scanned_at):<20}  {_t(r.cluster, 16):<16}  {r.phase or '-':<5}  "
                     f"{r.verdict:<16}  {mixed:<5}  {r.facts_sha256[:12]}")
    return "\n".join(lines) + "\n"


def render_fleet_text(doc: dict[str, Any]) -> str:
    """The fleet dashboard for a terminal: one line per cluster, oldest → latest verdict letters."""
    if not doc["clusters"]:
        return "no runs recorded\n"
    letter = {"GO": "G", "GO WITH WARNINGS": "W", "NO-GO": "N", "INCOMPLETE": "I"}
    lines = [f"fleet: {doc['verdict']['status']} — {doc['verdict']['reason']}",
             f"{'CLUSTER':<16}  {'RUN':>5}  {'SCANNED (UTC)':<20}  {'VERDICT':<16}  {'TREND':<10}  {'MIXED MODE':<12}  DRIFT"]
    for r in doc["clusters"]:
        mixed = {None: "unknown", False: "no"}.get(r["mixed_mode"], f"{r['mixed_mode_days']} days")
        drift = r["drift"]
        change = (f"vs {drift['previous_run']}: +{drift['new_problems']} -{drift['resolved']} "
                  f"nodes {drift['node_changes']}") if drift else "first run"
        trend = "".join(letter.get(v, "?") for v in r["trend"])
        lines.append(f"{_t(r['name'], 16):<16}  {r['run_id']:>5}  {r['scanned_at']:<20}  {r['verdict']:<16}  "
                     f"{trend:<10}  {mixed:<12}  {change}")
    lines.append("trend: G GO, W GO WITH WARNINGS, I INCOMPLETE, N NO-GO; drift: +new problems (open now, not before) -resolved")
    return "\n".join(lines) + "\n"


def render_run(run: RunRecord) -> str:
    lines = [
        f"run {run.id}: {_t(run.cluster)} {run.verdict}",
        f"  scanned    {format_utc(run.scanned_at)} (recorded {format_utc(run.recorded_at)})",
        f"  inventory  {_t(run.inventory, 200) or '-'}",
        f"  phase      {run.phase or '-'} ({run.source_os or '?'} → {run.target_os or '?'})",
        f"  reason     {_t(run.verdict_reason, 300) or '-'}",
        f"  facts      sha256 {run.facts_sha256}",
        f"  report     {_t(run.report_dir, 300) or '-'}",
        f"  mixed mode {({True: 'yes', False: 'no', None: 'unknown'})[run.mixed_mode]}",
        "", "Nodes",
    ]
    lines += [f"  {_t(n.name, 40):<16} {_t(n.os_label, 60)}" for n in run.nodes] or ["  (none recorded)"]
    problems = [f for f in run.findings if f.status not in ("pass", "not_applicable")]
    lines += ["", f"Findings: {len(run.findings)}, of which not passing: {len(problems)}"]
    lines += [f"  {f.status:<8} {f.severity:<8} {_t(f.rule_id, 40)} {_t(f.subject, 60)}" for f in problems]
    return "\n".join(lines) + "\n"


def drift_sections(drift: Drift) -> list[tuple[str, tuple[FindingChange, ...]]]:
    """The drift's finding sections, titled as `rollready diff` titles them (one comparison, one wording)."""
    return [("New problems", drift.new_problems), ("Still open", drift.still_open), ("Resolved", drift.resolved),
            ("Open before, not evaluated after", drift.not_re_evaluated), ("Other status changes", drift.other_changes)]


def render_text(drift: Drift) -> str:
    a, b = drift.a, drift.b
    verdict = f"{a.verdict} → {b.verdict}" if drift.verdict_changed else f"{b.verdict} (unchanged)"
    lines = [f"drift {_t(b.cluster)}: run {a.id} ({format_utc(a.scanned_at)}) → run {b.id} ({format_utc(b.scanned_at)})",
             f"  verdict: {verdict}"]
    for title, changes in drift_sections(drift):
        lines += ["", f"{title}: {len(changes)}"] + [_change_line(c) for c in changes]
    lines += ["", f"Nodes that changed: {len(drift.node_changes)}"]
    lines += [f"  {_t(c.summary, 200)}" for c in drift.node_changes]
    return "\n".join(lines) + "\n"


def _change_line(c: FindingChange) -> str:
    return (f"  {c.severity:<8} {_t(c.rule_id, 40)} {_t(c.subject, 60)}: {c.before or 'absent'} → "
            f"{c.after or 'absent'}  {_t(c.message, 160)}")


def render_html(drift: Drift, *, medium: str = "screen") -> str:
    from scanner.report.context import STATUS_LABEL
    from scanner.report.html import render

    d = drift.to_dict()
    title = f"Drift: {clip(drift.b.cluster, 80)} (run {drift.a.id} → run {drift.b.id})"
    sections = [(title_, [asdict(c) for c in changes]) for title_, changes in drift_sections(drift)]
    return render("drift.html.j2", {"d": d, "medium": medium, "title": title, "status_label": STATUS_LABEL,
                                    "finding_sections": sections})


def render_pdf(drift: Drift) -> bytes:
    """PDF of the drift (plain PDF: the runs' documents live in the history, not attached)."""
    from scanner.report.pdf import render_pdf as layout

    return layout(render_html(drift, medium="print"), attachments=[], pdfa=False)
