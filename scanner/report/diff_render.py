"""The diff document as text (terminal), HTML and PDF (with the compared files attached)."""
from __future__ import annotations

from typing import Any

from scanner.report import html as html_mod
from scanner.report.context import STATUS_LABEL
from scanner.report.text import clip, one_line, value_text, visible

FINDING_SECTIONS = (("new", "New problems"), ("still_open", "Still open"), ("resolved", "Resolved"),
                    ("not_re_evaluated", "Open before, not evaluated after"))


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
    lines = [f"rollready diff: {_t(a['cluster'])}",
             f"  before: phase {b['phase']}, collected {_t(b['collected_at'])}, verdict {b['verdict'] or '-'}",
             f"  after:  phase {a['phase']}, collected {_t(a['collected_at'])}, verdict {a['verdict'] or '-'}",
             "", "Cluster"]
    for key, label in (("functional_level", "functional level"), ("upgrade_version", "ClusterUpgradeVersion")):
        c = d["cluster"][key]
        lines.append(f"  {label:<22} {_t(c['before'])} -> {_t(c['after'])}{'   changed' if c['changed'] else ''}")
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
                      f"{c['not_re_evaluated']} not evaluated after"]
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
    context = {"d": d, "medium": medium, "sections": FINDING_SECTIONS, "status_label": STATUS_LABEL,
               "cluster_name": clip(d["after"]["cluster"], 80), "os_text": _os,
               "title": f"Upgrade diff: {clip(d['after']['cluster'], 80)} ({d['before']['phase']} → {d['after']['phase']})"}
    return html_mod.render("diff.html.j2", context)


def render_pdf(d: dict[str, Any], files: dict[str, bytes], *, pdfa: bool = True) -> bytes:
    """The diff as PDF with every compared file attached under its role (before-facts.json, ...)."""
    from scanner.report.pdf import Attached
    from scanner.report.pdf import render_pdf as layout

    attached = [Attached(name, data, f"compared file {name}", "Source") for name, data in files.items()]
    return layout(render_html(d, medium="print"), attachments=attached, pdfa=pdfa)
