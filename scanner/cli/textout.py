"""The terminal view of a result: verdict, counts, then what needs attention, in a compact table."""
from __future__ import annotations

import io
import shutil
import sys
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from scanner.model import Finding
from scanner.report.text import clip, coverage_lines, one_line, visible

VERDICT_STYLE = {"GO": "bold white on green", "GO WITH WARNINGS": "bold black on yellow",
                 "NO-GO": "bold white on red", "INCOMPLETE": "bold white on magenta"}
STATUS_STYLE = {"fail": "red", "unknown": "magenta", "error": "magenta", "manual": "cyan", "waived": "dim", "info": "blue"}
SHOWN = ("fail", "unknown", "error", "manual", "waived")


def safe(text: str, limit: int = 300) -> Text:
    """Server strings as inert text: no markup, hidden characters made visible, clipped."""
    return Text(clip(visible(one_line(text)), limit))


def render_text(result: dict[str, Any], findings: list[Finding], *, color: bool) -> str:
    buf = io.StringIO()
    width = shutil.get_terminal_size((120, 40)).columns if color else 120
    console = Console(file=buf, force_terminal=color and sys.stdout.isatty(), width=width, highlight=False,
                      emoji=False, no_color=not color)
    verdict = result["verdict"]
    cluster = result["cluster"]
    console.print(Text(f" {verdict['status']} ", style=VERDICT_STYLE.get(verdict["status"], "bold")),
                  safe(f" {cluster.get('name')} · phase {phase_text(result)} · "
                       f"{result.get('source_os') or '?'} → {result.get('target_os') or '?'}"))
    console.print(safe(verdict["reason"], 500))
    totals = {status: sum(sev.values()) for status, sev in verdict["counts"].items()}
    console.print(Text("  ".join(f"{k}: {v}" for k, v in sorted(totals.items()))))
    unreachable = [n for n in cluster["nodes"] if not n.get("reachable")]
    for node in unreachable:
        reason = (node.get("errors") or [{"message": "not reachable"}])[0]["message"]
        console.print(Text("node not collected: ", style="bold magenta"), safe(f"{node['name']}: {reason}"))
    for line in coverage_lines(result, unreachable=False):
        console.print(Text("coverage: ", style="bold magenta"), safe(line, 600))
    _findings_table(console, [f for f in findings if f.status in SHOWN])
    info = [f for f in findings if f.status == "info"]
    if info:
        console.print(Text("Information (evidence only, never counts against the verdict):", style="bold blue"))
        _findings_table(console, info)
    waivers = result.get("waivers") or {}
    for kind, label in (("expired", "waiver expired (no longer hides its findings)"), ("stale", "stale waiver")):
        for w in waivers.get(kind) or []:
            where = f"{w.get('file')}:{w.get('line')}" if w.get("file") else ""
            reason = f": {w['reason']}" if w.get("reason") else ""
            console.print(Text(f"{label}: ", style="yellow"),
                          safe(f"{w.get('rule')} {w.get('subject') or ''} expires {w.get('expires')} {where}{reason}"))
    for line in scope_lines(result):
        console.print(Text("scope: ", style="bold yellow"), safe(line, 600))
    console.print(Text(f"{totals.get('pass', 0)} passed, {totals.get('not_applicable', 0)} not applicable; "
                       f"rule pack {result['rule_pack']['sha256'][:12]} ({result['rule_pack']['rules']} rules)",
                       style="dim"))
    return buf.getvalue()


def phase_text(result: dict[str, Any]) -> str:
    """The phase the rules were selected by, with the declared one when it differs."""
    phase, observed, declared = result["phase"], result.get("observed_phase"), result.get("declared_phase")
    if observed is None and "observed_phase" in result:
        return f"{phase} (declared; the facts do not show it)"
    if declared and declared != phase:
        return f"{phase} (observed; declared {declared})"
    return phase


def scope_lines(result: dict[str, Any]) -> list[str]:
    """A narrowed rule set with its digests, and the waivers and attestations in force."""
    scope = result.get("scope") or {}
    lines = []
    if scope.get("narrowed"):
        filters = "; ".join(f"{k.replace('_', ' ')} {', '.join(v)}" for k, v in (scope.get("filters") or {}).items())
        lines.append(f"narrowed rule set ({filters or 'a selection'}): {scope['rules_selected']} of "
                     f"{scope['rules_total']} rules, not a full GO; selected rules {scope['selected_sha256'][:12]}, "
                     f"full pack {scope['pack_sha256'][:12]}")
    for kind, by in (("waivers", "approved_by"), ("attestations", "attested_by")):
        for e in scope.get(kind) or []:
            until = f" until {e['expires']}" if e.get("expires") else ""
            lines.append(f"{kind[:-1]} in force: {e.get('id') or ''} {e.get('rule')} {e.get('subject') or ''} "
                         f"by {e.get(by)}{until} ({e.get('findings', 0)} finding(s))")
    return lines


def _findings_table(console: Console, shown: list[Finding]) -> None:
    if not shown:
        return
    table = Table(show_header=True, header_style="bold", expand=False, pad_edge=False)
    for col in ("severity", "status", "rule", "subject", "message"):
        table.add_column(col, overflow="fold")
    for f in shown:
        text = f.message or f.title
        if f.status == "waived" and f.waiver:
            text = f"{text} [waived until {f.waiver.get('expires')} by {f.waiver.get('approved_by')}: " \
                   f"{f.waiver.get('justification')}]"
        elif f.detail and f.detail not in text:
            text = f"{text} [{f.detail}]"
        table.add_row(f.severity, Text(f.status, style=STATUS_STYLE.get(f.status, "")), f.rule_id,
                      safe(f.subject, 80), safe(text, 600))
    console.print(table)
