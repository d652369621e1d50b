"""Findings -> verdict, by one severity table. Unknown, error and manual never count as a pass.

The table below is the only place that says what a severity does to the verdict; the loader derives a
rule's `blocking` flag from it and docs/engine.md prints it. Besides the findings, the verdict reads
what the scan did not see (collection gaps: unreached nodes, null sections, cluster members not
scanned, contradictory or impossible facts) and whether the rule set was narrowed for this run.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from scanner import exitcodes
from scanner.engine.messages import problem_headline
from scanner.model import SEVERITIES, Finding, Severity, Verdict


@dataclass(frozen=True)
class Grade:
    """What one severity does: `blocks` → an unwaived failure is NO-GO and an undecided finding
    (unknown/error/manual) is INCOMPLETE; otherwise both only warn. `counts` False: evidence only,
    a failed check gets the status `info` and never moves the verdict."""

    blocks: bool
    counts: bool
    meaning: str


SEVERITY_TABLE: dict[Severity, Grade] = {
    "critical": Grade(True, True, "the upgrade fails or data is lost; NO-GO unless waived"),
    "high": Grade(True, True, "a role, a node or quorum is at risk during the upgrade; fix or waive before GO"),
    "medium": Grade(False, True, "weakens the upgrade or its recovery; GO WITH WARNINGS"),
    "low": Grade(False, True, "hygiene; GO WITH WARNINGS"),
    "info": Grade(False, False, "evidence only (status info); never moves the verdict"),
}
UNDECIDED = ("unknown", "error", "manual")


def blocks(severity: Severity) -> bool:
    return SEVERITY_TABLE[severity].blocks


def _sort(findings: Iterable[Finding]) -> tuple[dict[str, dict[str, int]], list[Finding], list[Finding], list[Finding]]:
    """One pass over the findings: counts by status and severity, blocking failures, blocking
    undecided findings, and the other counted problems (four passes were a tenth of the engine's time
    at 200,000 findings)."""
    c: dict[str, dict[str, int]] = {}
    blocking_fails: list[Finding] = []
    undecided: list[Finding] = []
    others: list[Finding] = []
    for f in findings:
        status, severity = f.status, f.severity
        by_sev = c.get(status)
        if by_sev is None:
            by_sev = c[status] = {}
        by_sev[severity] = by_sev.get(severity, 0) + 1
        if status == "pass" or status == "not_applicable":
            continue
        fail = status == "fail"
        if not fail and status not in UNDECIDED:
            continue
        if f.blocking:
            (blocking_fails if fail else undecided).append(f)
        if SEVERITY_TABLE[severity].counts and not (fail and f.blocking):
            others.append(f)
    return c, blocking_fails, undecided, others


def _names(items: Sequence[str], limit: int = 3) -> str:
    more = f" and {len(items) - limit} more" if len(items) > limit else ""
    return "; ".join(items[:limit]) + more


def decide(findings: Sequence[Finding], collection_problems: Sequence[str] = (), *,
           not_scanned: Sequence[str] = (), narrowed: str | None = None) -> Verdict:
    """NO-GO on an unwaived failure of a blocking severity; INCOMPLETE while anything that could block
    is undecided, a member was not scanned or a fact is missing or contradictory; GO WITH WARNINGS on
    any other counted failure or a narrowed rule set (`narrowed` names the selection); else GO.

    `not_scanned` are cluster members the scan did not cover (not repeated in `collection_problems`);
    they are named first in the reason."""
    c, blocking_fails, undecided, others = _sort(findings)
    others.sort(key=lambda f: SEVERITIES.index(f.severity))
    if blocking_fails:
        first = blocking_fails[0]
        more = f" and {len(blocking_fails) - 1} more blocking failure(s)" if len(blocking_fails) > 1 else ""
        missing = ([f"cluster member(s) not scanned: {', '.join(not_scanned)}"] if not_scanned else []) + \
            ([f"facts missing or contradictory ({_names(collection_problems, 2)})"] if collection_problems else [])
        also = f" Also not a complete picture: {' and '.join(missing)}." if missing else ""
        return Verdict("NO-GO", f"{first.rule_id} failed on {first.subject}: "
                                f"{problem_headline(first.message, first.title)}{more}.{also}", exitcodes.NO_GO, c)
    gaps = list(collection_problems)
    if not_scanned or gaps or undecided:
        parts = []
        if not_scanned:
            parts.append(f"cluster member(s) not scanned: {', '.join(not_scanned)}")
        if gaps:
            parts.append(f"facts are missing or contradictory ({_names(gaps, 2)})")
        if undecided:
            parts.append(f"{len(undecided)} blocking check(s) could not be decided")
        return Verdict("INCOMPLETE", "Not a GO: " + " and ".join(parts) + ".", exitcodes.INCOMPLETE, c)
    if not findings:
        return Verdict("INCOMPLETE", "Not a GO: no rule applied to these facts.", exitcodes.INCOMPLETE, c)
    if others:
        worst = others[0]
        scope = f" The rule set was narrowed ({narrowed})." if narrowed else ""
        return Verdict("GO WITH WARNINGS",
                       f"No blocker, but {len(others)} finding(s) need attention, e.g. {worst.rule_id} on "
                       f"{worst.subject}.{scope}", exitcodes.GO_WITH_WARNINGS, c)
    if narrowed:
        return Verdict("GO WITH WARNINGS",
                       f"No blocker among the selected rules, but the rule set was narrowed ({narrowed}): "
                       "not a full GO.", exitcodes.GO_WITH_WARNINGS, c)
    waived = [f for f in findings if f.status == "waived"]
    if waived:
        return Verdict("GO", f"All {len(findings)} checks passed or do not apply, {len(waived)} of them only "
                             f"through a waiver (e.g. {waived[0].rule_id} on {waived[0].subject}).", exitcodes.GO, c)
    return Verdict("GO", f"All {len(findings)} checks passed or do not apply.", exitcodes.GO, c)
