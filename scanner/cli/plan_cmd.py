"""`rollready plan`: facts in, an ordered upgrade plan out (plan.html, plan.pdf, runbook.ps1)."""
from __future__ import annotations

import argparse
from pathlib import Path

from scanner.collect.offline import facts_from_files
from scanner.facts.model import FactsDoc
from scanner.facts.view import FactsView
from scanner.inert import inert
from scanner.plan import build_plan, render_html, render_pdf, render_runbook
from scanner.report.writer import PdfUnavailable, write_all
from scanner.times import format_utc, utc_now
from scanner.versions import RELEASES

DESCRIPTION = ("Compute a rolling-upgrade plan from the facts of one cluster and write plan.html, plan.pdf "
               "(with a sign-off block for the change board) and runbook.ps1 (dry run unless -Execute, "
               "stops at every gate). Refuses, naming every reason, when one node out would break quorum "
               "or the facts do not allow a safe plan.")


def register(p: argparse.ArgumentParser) -> None:
    p.add_argument("facts", nargs="+", metavar="FACTS.json",
                   help="a facts document, or one collector output per node")
    p.add_argument("--target-os", required=True, choices=RELEASES[1:], help="the release to upgrade to")
    p.add_argument("--out", required=True, metavar="DIR", help="folder for plan.html, plan.pdf and runbook.ps1")
    p.add_argument("--no-pdf", action="store_true", help="write plan.html and runbook.ps1 only")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    doc, _ = facts_from_files(args.facts)
    write_plan(doc, args.target_os, Path(args.out), source=args.facts[0], pdf=not args.no_pdf)
    return 0


def write_plan(doc: FactsDoc, target_os: str, out: Path, *, source: str, pdf: bool = True,
               view: FactsView | None = None) -> None:
    """Build the plan and write plan.html, runbook.ps1 and (unless pdf=False) plan.pdf into out.
    `view`: the scan's cluster view of `doc` (`scan --plan`), so it is not built again.

    PlanRefused (every reason, one line each) when no safe plan exists; PdfUnavailable after the
    other two files are written when WeasyPrint's libraries are missing."""
    plan = build_plan(doc, target_os, source=source, view=view)
    now = format_utc(utc_now())
    collected = str((doc.get("scan") or {}).get("collected_at") or "?")
    files = [(out / "plan.html", render_html(plan, doc, now).encode("utf-8")),
             (out / "runbook.ps1", render_runbook(plan, collected).encode("utf-8-sig"))]
    unavailable = None
    if pdf:
        try:
            files.append((out / "plan.pdf", render_pdf(plan, doc, now)))
        except PdfUnavailable as exc:
            unavailable = exc
    for path in write_all(files):
        print(path)
    print(f"{inert(plan.cluster)}: {plan.source_os} → {plan.target_os}, {len(plan.steps)} steps; node order "
          f"{inert(' → '.join(c.name for c in plan.nodes))}; point of no return: step X1")
    if unavailable is not None:
        raise unavailable
