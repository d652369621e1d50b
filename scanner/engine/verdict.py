"""Findings -> verdict. Unknown, error and manual never count as a pass."""
from __future__ import annotations

from collections.abc import Iterable, Sequence

from scanner import exitcodes
from scanner.engine.messages import problem_headline
from scanner.model import SEVERITIES, Finding, Verdict


def counts(findings: Iterable[Finding]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for f in findings:
        by_sev = out.setdefault(f.status, {})
        by_sev[f.severity] = by_sev.get(f.severity, 0) + 1
    return out


def decide(findings: Sequence[Finding], collection_problems: Sequence[str] = ()) -> Verdict:
    """NO-GO on an unwaived critical failure; INCOMPLETE while anything that could block is
    undecided or a node was not collected; GO WITH WARNINGS on any other failure; else GO."""
    c = counts(findings)
    critical_fails = [f for f in findings if f.status == "fail" and f.severity == "critical"]
    undecided = [f for f in findings if f.status in ("unknown", "error", "manual") and f.blocking]
    # Info findings are evidence (e.g. benign registry traces); they never move the verdict.
    others = sorted((f for f in findings if f.status in ("fail", "unknown", "error", "manual") and f.severity != "info"),
                    key=lambda f: SEVERITIES.index(f.severity))
    if critical_fails:
        first = critical_fails[0]
        more = f" and {len(critical_fails) - 1} more critical failure(s)" if len(critical_fails) > 1 else ""
        return Verdict("NO-GO", f"{first.rule_id} failed on {first.subject}: "
                                f"{problem_headline(first.message, first.title)}{more}.", exitcodes.NO_GO, c)
    if collection_problems or undecided:
        parts = []
        if collection_problems:
            more = f" and {len(collection_problems) - 2} more" if len(collection_problems) > 2 else ""
            parts.append("facts are missing (" + "; ".join(collection_problems[:2]) + more + ")")
        if undecided:
            parts.append(f"{len(undecided)} blocking check(s) could not be decided")
        return Verdict("INCOMPLETE", "Not a GO: " + " and ".join(parts) + ".", exitcodes.INCOMPLETE, c)
    if others:
        worst = others[0]
        return Verdict("GO WITH WARNINGS",
                       f"No blocker, but {len(others)} finding(s) need attention, e.g. {worst.rule_id} on {worst.subject}.",
                       exitcodes.GO_WITH_WARNINGS, c)
    if not findings:
        return Verdict("INCOMPLETE", "Not a GO: no rule applied to these facts.", exitcodes.INCOMPLETE, c)
    waived = [f for f in findings if f.status == "waived"]
    if waived:
        return Verdict("GO", f"All {len(findings)} checks passed or do not apply, {len(waived)} of them only "
                             f"through a waiver (e.g. {waived[0].rule_id} on {waived[0].subject}).", exitcodes.GO, c)
    return Verdict("GO", f"All {len(findings)} checks passed or do not apply.", exitcodes.GO, c)
