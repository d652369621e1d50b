"""The diff document as text (terminal), HTML and PDF (with the compared files attached)."""
from __future__ import annotations

from typing import Any

from scanner.provenance import collected_by
from scanner.report import html as html_mod
from scanner.report.audit import connection_text
from scanner.report.context import STATUS_LABEL
from scanner.report.signing import SigningKey, sign_pdf
from scanner.report.text import clip, human, one_line, value_text, visible

FINDING_SECTIONS = (("new", "New problems"), ("still_open", "Still open"), ("resolved", "Resolved"),
                    ("not_re_evaluated", "Open before, not evaluated after"), ("changed", "Other status changes"))


def _t(value: Any, limit: int = 200) -> str:
    """Untrusted value for a terminal: one line, hidden and control characters shown, cut."""
    return visible(clip(one_line(value_text(value)), limit))


def _os(node: dict[str, Any] | None) -> str:
    if node is None:
        return "absent"
    if not node["reachable"]:
        return "unreachable"
    return f"{node.get('version') or node.get('build') or '?'} ({node.get('release') or '?'})"


def render_text(d: dict[str, Any]) -> str:
    b, a = d["before"], d["after"]
    lines = [f"rollready diff: {_t(a['cluster'])}"]
    lines += [f"WARNING: {_t(w, 400)}" for w in d["warnings"]]
    lines += [
             f"  before: phase {b['phase']}, collected {_t(b['collected_at'])}, verdict {b['verdict'] or '-'}",
             f"  after:  phase {a['phase']}, collected {_t(a['collected_at'])}, verdict {a['verdict'] or '-'}",
             "", "Cluster"]
    for key, label in (("functional_level", "functional level"), ("upgrade_version", "ClusterUpgradeVersion")):
        c = d["cluster"][key]
        lines.append(f"  {label:<22} {_t(_value(c['before']))} -> {_t(_value(c['after']))}"
                     f"{'   changed' if c['changed'] else ''}")
    lines += ["", "Nodes"]
    for n in d["nodes"]:
        mark = "   OS changed" if n["os_changed"] else "   updated" if n["updated"] else (
            "   " + n["presence"] if n["presence"] != "both" else "")
        lines.append(f"  {_t(n['name'], 60):<16} {_t(_os(n['before']))} -> {_t(_os(n['after']))}{mark}")
    if d["registry_traces"] is not None:
        lines += ["", "Registry traces (HKLM\\Cluster; informational, never edit them)"]
        lines += [f"  {_t(r['node'], 60)} {r['value']}: {_t(r['before'])} -> {_t(r['after'])}"
                  f"{'   appeared' if r['appeared'] else ''}" for r in d["registry_traces"]] or ["  no change"]
    if d["patches"] is not None:
        lines += ["", "Patches"]
        for p in d["patches"]:
            if p["note"]:
                lines.append(f"  {_t(p['node'], 60)}: {p['note']}")
            else:
                changes = [f"+{_t(k, 40)}" for k in p["added"]] + [f"-{_t(k, 40)}" for k in p["removed"]]
                lines.append(f"  {_t(p['node'], 60)}: {' '.join(changes)}")
        if not d["patches"]:
            lines.append("  no change")
    if d["dedup_owner_moves"] is not None:
        lines += ["", "Deduplicated volumes that moved owner"]
        for m in d["dedup_owner_moves"]:
            warn = "   MOVED TO AN OLDER OS" if m["to_older_os"] else ""
            lines.append(f"  {_t(m['volume'], 80)}: {_t(m['before_owner'])} ({m['before_release'] or '?'}) -> "
                         f"{_t(m['after_owner'])} ({m['after_release'] or '?'}){warn}")
        if not d["dedup_owner_moves"]:
            lines.append("  none moved")
    if d["findings"] is not None:
        c = d["findings"]["counts"]
        lines += ["", f"Findings: {c['new']} new, {c['still_open']} still open, {c['resolved']} resolved, "
                      f"{c['not_re_evaluated']} not evaluated after, {c['changed']} other status changes"]
        for key, title in FINDING_SECTIONS:
            for e in d["findings"][key]:
                f = e["after"] or e["before"]
                was = e["before"]["status"] if e["before"] else "-"
                now = e["after"]["status"] if e["after"] else "-"
                lines.append(f"  {key:<16} {_t(e['rule_id'], 40)} {_t(e['subject'], 60)} [{f['severity']}] "
                             f"{was} -> {now}: {_t(f['message'] or f['title'], 120)}")
    for note in d["unavailable"]:
        lines.append(f"not compared: {note}")
    return "\n".join(lines) + "\n"


def render_html(d: dict[str, Any], *, medium: str = "screen") -> str:
    name = clip(d["after"]["cluster"], 200)
    context = {"d": d, "medium": medium, "finding_sections": finding_sections(d), "status_label": STATUS_LABEL,
               "cluster_name": name, "os_text": _os, "value": _value, "side_rows": side_rows(d),
               "provenance": run_rows(d),
               "title": f"Post-upgrade diff: {name} ({d['before']['phase'] or '?'} → {d['after']['phase'] or '?'})"}
    return html_mod.render("diff.html.j2", context)


def finding_sections(d: dict[str, Any]) -> list[tuple[str, list[dict[str, Any]]]]:
    """(heading, rows) in the flat shape the drift's changes have, so one macro renders both."""
    if d["findings"] is None:
        return []
    out = []
    for key, heading in FINDING_SECTIONS:
        rows = []
        for e in d["findings"][key]:
            f = e["after"] or e["before"]
            rows.append({"rule_id": e["rule_id"], "subject": e["subject"], "severity": f["severity"],
                         "title": f["title"], "message": f["message"] or f["title"],
                         "before": e["before"]["status"] if e["before"] else None,
                         "after": e["after"]["status"] if e["after"] else None})
        out.append((heading, rows))
    return out


def _value(value: Any) -> str:
    """A cluster value for people: never a raw null (an absent ClusterUpgradeVersion is "not set")."""
    return "not set" if value is None else human(value)


def side_rows(d: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(label, before, after) rows for the scans compared: versions, verdicts and how each was collected."""
    b, a = d["before"], d["after"]

    def pack(side: dict[str, Any]) -> str:
        rp = side["rule_pack"]
        if rp is None:
            return "not evaluated (facts document)"
        return f"version {rp['version'] or 'unversioned'}, {rp['rules']} rules, SHA-256 {rp['sha256']}"

    def collected(side: dict[str, Any]) -> str:
        coll = side["collection"] or {}
        if not coll:
            return "not recorded"
        conns = "; ".join(connection_text(c) for c in coll.get("connections") or [])
        return f"{collected_by(coll)}: {conns}"

    rows = [("Phase", b["phase"] or "not recorded", a["phase"] or "not recorded"),
            ("Collected (UTC)", b["collected_at"] or "not recorded", a["collected_at"] or "not recorded"),
            ("Verdict", b["verdict"] or "– (facts only)", a["verdict"] or "– (facts only)"),
            ("rollready version", b["tool_version"] or "not recorded", a["tool_version"] or "not recorded"),
            ("Rule pack", pack(b), pack(a)),
            ("Collected by", collected(b), collected(a))]
    return rows


def run_rows(d: dict[str, Any]) -> list[tuple[str, str]]:
    """Who made this diff, where, with what."""
    prov = d["provenance"] or {}
    return [("Diff generated (UTC)", d["generated_at"]), ("Tool", f"{d['tool']['name']} {d['tool']['version']}"),
            ("Generated on", f"{prov.get('host') or 'not recorded'} by {prov.get('os_user') or 'not recorded'}"),
            ("Command line", " ".join(prov.get("command_line") or []) or "not recorded")]


def render_pdf(d: dict[str, Any], files: dict[str, bytes], *, pdfa: bool = True,
               sign: SigningKey | None = None) -> bytes:
    """The diff as PDF with every compared file attached under its role (before-facts.json, ...),
    signed when a key is given."""
    from scanner.report.pdf import Attached
    from scanner.report.pdf import render_pdf as layout

    attached = [Attached(name, data, f"compared file {name}", "Source") for name, data in files.items()]
    pdf = layout(render_html(d, medium="print"), attachments=attached, pdfa=pdfa)
    return pdf if sign is None else sign_pdf(pdf, sign)
