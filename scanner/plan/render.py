"""plan.html and plan.pdf, in the reports' look (same CSS, sign-off block, running header)."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from scanner import __version__
from scanner.facts.model import FactsDoc
from scanner.plan.model import Plan
from scanner.provenance import collected_by
from scanner.report import html as html_mod
from scanner.report.context import NAMED
from scanner.report.writer import pdf_layout


def plan_context(plan: Plan, facts: FactsDoc, generated_at: str, medium: str) -> dict[str, Any]:
    scan = facts.get("scan") or {}
    prov = scan.get("provenance")
    basis = [
        ("Cluster", plan.cluster),
        ("Upgrade", f"Windows Server {plan.source_os} → {plan.target_os}"),
        ("Facts collected (UTC)", scan.get("collected_at") or "?"),
        ("Facts collected by", collected_by(prov) if prov else scan.get("operator") or "not recorded"),
        ("Quorum", plan.quorum),
        ("Storage Spaces Direct", "yes" if plan.s2d else "no"),
        ("Hyper-V roles", "yes" if plan.hyperv else "no"),
        ("Cluster-Aware Updating role", "yes" if plan.cau else "no"),
        ("Nodes to upgrade", _names([c.name for c in plan.nodes])),
    ]
    if plan.upgraded:
        basis.append(("Already on the target release", _names(plan.upgraded)))
    return {"plan": plan, "basis": basis, "medium": medium, "generated_at": generated_at, "version": __version__,
            "title": f"Upgrade plan: {plan.cluster} ({plan.source_os} → {plan.target_os})"}


def _names(names: Sequence[str]) -> str:
    """Nodes named, or past NAMED counted: the "Node order" table names each (a list of 1,000 names was
    cut at 4,000 characters here, and was taller than half a page)."""
    if len(names) <= NAMED:
        return ", ".join(names)
    return f"{len(names):,} nodes, each named under “Node order”"


def render_html(plan: Plan, facts: FactsDoc, generated_at: str, *, medium: str = "screen") -> str:
    return html_mod.render("plan.html.j2", plan_context(plan, facts, generated_at, medium))


def render_pdf(plan: Plan, facts: FactsDoc, generated_at: str) -> bytes:
    return pdf_layout()(render_html(plan, facts, generated_at, medium="print"), attachments=[], pdfa=True)
