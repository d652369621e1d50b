"""`rollready evaluate`: fact files in, findings and a verdict out (no network)."""
from __future__ import annotations

import argparse
import hashlib
import json

from scanner.canonical import canonical_json
from scanner.cli.common import (
    add_rule_options,
    add_signing_options,
    add_upgrade_options,
    rule_options,
    signing_key,
    write_output,
)
from scanner.cli.textout import render_text
from scanner.collect.offline import facts_from_files
from scanner.engine.run import evaluate_facts
from scanner.errors import UsageError
from scanner.pipeline import load_rule_set
from scanner.provenance import result_provenance
from scanner.report import write_reports
from scanner.report.writer import PdfUnavailable

DESCRIPTION = "Evaluate a facts document (or per-node collector outputs) and print a verdict."


def register(p: argparse.ArgumentParser) -> None:
    p.add_argument("facts", nargs="+", metavar="FACTS.json",
                   help="a facts document, or one collector output per node (from collector.ps1 run offline)")
    add_upgrade_options(p, default="from the facts")
    add_rule_options(p)
    p.add_argument("--format", choices=["text", "json"], default="text", help="output format (default text)")
    p.add_argument("--out", metavar="FILE", help="write the output here instead of stdout (atomically)")
    p.add_argument("--html", metavar="FILE", help="also write an HTML report")
    p.add_argument("--pdf", metavar="FILE", help="also write a PDF report (PDF/A-3b with the evidence attached)")
    p.add_argument("--no-pdfa", action="store_true", help="plain PDF instead of PDF/A-3b")
    add_signing_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.sign_key and not args.pdf:
        raise UsageError("--sign-key signs the PDF; give --pdf FILE too")
    sign = signing_key(args)  # a wrong password fails before anything is evaluated
    doc, raw = facts_from_files(args.facts)
    rules = load_rule_set(rule_options(args))
    result, findings = evaluate_facts(doc, rules.pack, rules.catalogs, phase=args.phase, target_os=args.target_os,
                                      source_os=args.source_os, facts_sha256=hashlib.sha256(raw).hexdigest())
    result["provenance"] = result_provenance(doc["scan"], command_line=getattr(args, "command_line", ()))
    text = None if args.format == "json" else render_text(result, findings, color=args.out is None)
    # The reports need only the result and the facts' bytes: the facts, their view and the findings
    # go before the PDF is laid out (a third of the peak at 1,000 nodes).
    del doc, findings, rules
    unavailable: PdfUnavailable | None = None
    if args.html or args.pdf:
        try:
            write_reports(result, raw, html=args.html, pdf=args.pdf, pdfa=not args.no_pdfa,
                          sign=sign)
        except PdfUnavailable as exc:  # the verdict and the other reports still go out; exit 69 says why
            unavailable = exc
    if args.format == "json":
        write_output(args.out, canonical_json(result) if args.out else json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    else:
        assert text is not None
        write_output(args.out, text)
    if unavailable is not None:
        raise unavailable
    return int(result["verdict"]["exit_code"])
