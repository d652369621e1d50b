"""`rollready report`: a result document (findings.json) in, one report out (HTML, PDF, JSON, JUnit, CSV)."""
from __future__ import annotations

import argparse
import sys
from typing import Any

from scanner.cli.common import add_signing_options, signing_key
from scanner.errors import InputError, Problem, UsageError
from scanner.facts.document import MAX_FACTS_BYTES, parse_json_file
from scanner.reading import read_input
from scanner.report import FORMATS, write_reports
from scanner.report.result_doc import check_result, is_result
from scanner.report.writer import render_format

DESCRIPTION = ("Render the result of `rollready evaluate --format json` (or `scan`) as a report. "
               "The PDF is PDF/A-3b with facts.json and findings.json attached and their SHA-256 printed.")


def register(p: argparse.ArgumentParser) -> None:
    p.add_argument("findings", metavar="FINDINGS.json", help="result document (schemas/findings.schema.json)")
    p.add_argument("--format", choices=FORMATS, required=True, help="report format")
    p.add_argument("--out", metavar="FILE", help="where to write it (atomically); stdout for json, junit, csv if absent")
    p.add_argument("--facts", metavar="FACTS.json",
                   help="the facts document the result was evaluated from: checked against facts_sha256 and "
                        "embedded in the PDF")
    p.add_argument("--pdfa", action=argparse.BooleanOptionalAction, default=True,
                   help="write PDF/A-3b (default); --no-pdfa for a plain PDF")
    add_signing_options(p)
    p.set_defaults(func=run)


def load_result(path: str) -> dict[str, Any]:
    """A result document from a file, validated; a facts document is named as the wrong input."""
    doc = parse_json_file(path)
    if isinstance(doc, dict) and "nodes" in doc and not is_result(doc):
        raise InputError([Problem("this is a facts document; run `rollready evaluate FACTS --format json --out "
                                  "FINDINGS.json` first and report on that", file=path)])
    return check_result(doc, file=path)


def run(args: argparse.Namespace) -> int:
    if args.sign_key and args.format != "pdf":
        raise UsageError("--sign-key signs a PDF; use it with --format pdf")
    sign = signing_key(args)
    result = load_result(args.findings)
    facts = read_input(args.facts, MAX_FACTS_BYTES) if args.facts else None
    if args.out is None:
        if args.format in ("html", "pdf"):
            raise UsageError(f"--format {args.format} needs --out FILE")
        sys.stdout.buffer.write(render_format(args.format, result, facts))
        return 0
    write_reports(result, facts, pdfa=args.pdfa, sign=sign, **{args.format: args.out})
    return 0
