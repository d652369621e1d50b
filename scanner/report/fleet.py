"""The fleet document (fleet.json, schemas/fleet.schema.json) and its HTML/PDF: one row per cluster.

Built from each cluster's result document (the evidence stays in OUT/<cluster>/findings.json) plus
whether its nodes are in mixed mode, which only the facts (or the history) know. The same rows
serve a fleet scan and `rollready history fleet`, which adds a trend and the drift to each row.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from scanner import __version__, exitcodes
from scanner.errors import InputError
from scanner.model import SEVERITIES, VerdictStatus
from scanner.report import html as html_mod
from scanner.report.result_doc import canonical_json
from scanner.report.signing import SigningKey
from scanner.report.writer import guarded, signed, write_all
from scanner.schemas import violations
from scanner.times import format_utc, parse_utc, utc_now

# From the best to the worst: a fleet's verdict is the worst of its clusters'.
VERDICT_ORDER: tuple[VerdictStatus, ...] = ("GO", "GO WITH WARNINGS", "INCOMPLETE", "NO-GO")
UNDECIDED = ("unknown", "error", "manual")


def worst(verdicts: Iterable[str]) -> str:
    """The worst verdict of several (NO-GO > INCOMPLETE > GO WITH WARNINGS > GO); INCOMPLETE for none."""
    ranks = [VERDICT_ORDER.index(v) for v in verdicts if v in VERDICT_ORDER]
    return VERDICT_ORDER[max(ranks)] if ranks else "INCOMPLETE"


def deciding_finding(result: dict[str, Any]) -> dict[str, Any] | None:
    """The finding that made the verdict what it is (the worst of its kind), or the first
    collection gap; None for GO."""
    status = result["verdict"]["status"]
    findings = sorted(result.get("findings") or [], key=lambda f: SEVERITIES.index(f.get("severity", "info")))
    candidates: list[dict[str, Any]] = []
    if status == "NO-GO":
        candidates = [f for f in findings if f["status"] == "fail" and f.get("blocking", True)]
    elif status == "INCOMPLETE":
        candidates = [f for f in findings if f["status"] in UNDECIDED and f.get("blocking", True)]
        gaps = result.get("collection_problems") or []
        if gaps and not candidates:
            return {"rule_id": None, "status": "collection", "severity": None, "subject": None, "title": str(gaps[0])}
    elif status == "GO WITH WARNINGS":
        candidates = [f for f in findings if f["status"] in ("fail", *UNDECIDED) and f.get("severity") != "info"]
    if not candidates:
        return None
    f = candidates[0]
    return {"rule_id": f["rule_id"], "status": f["status"], "severity": f.get("severity"),
            "subject": f.get("subject"), "title": f.get("title") or ""}


def cluster_row(result: dict[str, Any], *, mixed_mode: bool | None, report: str | None, findings: str | None,
                partial: bool = False) -> dict[str, Any]:
    """One cluster's row, from its result document."""
    scan = result.get("scan") or {}
    since = scan.get("mixed_mode_since") if mixed_mode else None
    days = None
    if since:
        at = result.get("evaluated_at") or scan.get("collected_at") or result["generated_at"]
        days = round(max(0.0, (parse_utc(at) - parse_utc(since)).total_seconds() / 86400), 1)
    nodes = (result.get("cluster") or {}).get("nodes") or []
    row = {
        "name": (result.get("cluster") or {}).get("name") or scan.get("cluster_name") or "?",
        "phase": result.get("observed_phase") or result.get("phase"),
        "source_os": result.get("source_os"), "target_os": result.get("target_os"),
        "verdict": result["verdict"]["status"], "exit_code": int(result["verdict"]["exit_code"]),
        "reason": result["verdict"].get("reason") or "",
        "nodes": {"total": len(nodes), "collected": sum(1 for n in nodes if n.get("reachable"))},
        "mixed_mode": mixed_mode, "mixed_mode_since": since, "mixed_mode_days": days,
        "deciding": deciding_finding(result), "report": report, "findings": findings, "partial": partial,
    }
    if "declared_phase" in result:
        row["declared_phase"] = result["declared_phase"]
    return row


def unevaluated_row(name: str, error: str, *, nodes: int, collected: int, partial: bool = False) -> dict[str, Any]:
    """The row of a cluster collected but never evaluated (its nodes report another cluster's name): the
    one-line error in `error`, no report, no finding, and INCOMPLETE, since nothing about it was judged."""
    return {
        "name": name, "phase": None, "source_os": None, "target_os": None,
        "verdict": "INCOMPLETE", "exit_code": exitcodes.INCOMPLETE, "reason": "not evaluated: the inventory is wrong",
        "nodes": {"total": nodes, "collected": collected}, "mixed_mode": None, "mixed_mode_since": None,
        "mixed_mode_days": None, "deciding": None, "report": None, "findings": None, "partial": partial, "error": error,
    }


def fleet_document(rows: list[dict[str, Any]], *, source: str, inventory: str | None,
                   partial: bool = False) -> dict[str, Any]:
    """The fleet document around the rows; checked against schemas/fleet.schema.json."""
    status = worst(r["verdict"] for r in rows)
    counts = Counter(r["verdict"] for r in rows)
    exit_code = next((r["exit_code"] for r in rows if r["verdict"] == status), 3)
    reason = ", ".join(f"{counts[v]} {v}" for v in reversed(VERDICT_ORDER) if counts[v]) or "no cluster"
    unevaluated = sum(1 for r in rows if r.get("error"))
    if unevaluated:
        reason += f" ({unevaluated} not evaluated: nodes reporting another cluster)"
    doc = {
        "schema_version": "1.0", "tool": {"name": "rollready", "version": __version__},
        "generated_at": format_utc(utc_now()), "source": source, "inventory": inventory,
        "verdict": {"status": status, "exit_code": exit_code, "reason": f"{len(rows)} cluster(s): {reason}."},
        "counts": {v: counts[v] for v in VERDICT_ORDER if counts[v]}, "partial": partial, "clusters": rows,
    }
    problems = violations(doc, "fleet.schema.json")
    if problems:  # a bug in the rows above, not bad input: say where
        raise InputError(problems)
    return doc


def render_html(doc: dict[str, Any], *, medium: str = "screen") -> str:
    from scanner.report.context import STATUS_LABEL, VERDICT_CSS

    title = f"rollready fleet: {doc['verdict']['status']} ({len(doc['clusters'])} clusters)"
    links = [_link(r["report"]) for r in doc["clusters"]]
    return html_mod.render("fleet.html.j2", {"f": doc, "medium": medium, "title": title, "links": links,
                                             "status_label": STATUS_LABEL, "verdict_css": VERDICT_CSS})


def _link(path: str | None) -> str | None:
    """A report path as a link: relative (a scan's own folders) or a file: URI (the history's);
    never another scheme, whatever a shared history holds."""
    if not path:
        return None
    candidate = Path(path)
    if candidate.is_absolute():
        return candidate.as_uri()
    if ":" in candidate.parts[0]:
        return None
    return quote(candidate.as_posix())


def render_pdf(doc: dict[str, Any], *, pdfa: bool = True) -> bytes:
    """The fleet table for print, with fleet.json attached."""
    from scanner.report.pdf import Attached
    from scanner.report.pdf import render_pdf as layout

    return layout(render_html(doc, medium="print"), pdfa=pdfa,
                  attachments=[Attached("fleet.json", canonical_json(doc), "rollready fleet document")])


def write_fleet(doc: dict[str, Any], *, json: Path | None = None, html: Path | None = None, pdf: Path | None = None,
                pdfa: bool = True, sign: SigningKey | None = None) -> list[Path]:
    """Render every requested file first, then write each atomically (nothing half-written); the
    PDF signed like the clusters' reports when a key is given."""
    rendered: list[tuple[Path, bytes]] = []
    if json is not None:
        rendered.append((json, canonical_json(doc)))
    if html is not None:
        rendered.append((html, guarded("fleet html", lambda: render_html(doc).encode("utf-8"))))
    if pdf is not None:
        rendered.append((pdf, guarded("fleet pdf", lambda: signed(render_pdf(doc, pdfa=pdfa), sign))))
    return write_all(rendered)
