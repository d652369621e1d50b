"""`rollready verify REPORT.pdf`: is this the report rollready wrote, signed, with its evidence intact?

Prints one line per check (the signature and its signer; each attached file against the digest
printed in the report; the result against the facts it names) and exits 0 only when all hold,
1 when any does not (each failing line says what no longer matches), 65 for a file it cannot read.
"""
from __future__ import annotations

import argparse
import sys

from scanner.errors import InputError, Problem
from scanner.reading import MAX_REPORT_BYTES, MAX_YAML_BYTES, read_input

NOT_VERIFIED = 1


DESCRIPTION = ("Check a rollready PDF: its PAdES signature (naming the signer), every attached "
               "file against the SHA-256 printed in the report, and the attached result against "
               "the attached facts. Exit 0 only when all hold.")


def register(p: argparse.ArgumentParser) -> None:
    p.add_argument("report", metavar="REPORT.pdf")
    p.add_argument("--trust", action="append", default=[], metavar="CA.pem",
                   help="the signer must chain to this certificate (repeatable; PEM or DER)")
    p.add_argument("--unsigned-ok", action="store_true",
                   help="accept an unsigned report when its attached files match the printed digests")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from scanner.report.signing import verify_pdf

    data = read_input(args.report, MAX_REPORT_BYTES)
    if not data.startswith(b"%PDF-"):
        raise InputError([Problem("not a PDF file", file=args.report)])
    trust = [read_input(path, MAX_YAML_BYTES) for path in args.trust]
    result = verify_pdf(data, trust=trust, require_signature=not args.unsigned_ok)
    for line in result.lines:
        print(f"  {line}")
    if result.ok:
        print(f"{args.report}: verified" + (f", signed by {result.signer}" if result.signer else ""))
        return 0
    print(f"{args.report}: NOT VERIFIED: {result.problems[0]}", file=sys.stderr)
    return NOT_VERIFIED
