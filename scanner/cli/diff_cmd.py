"""`rollready diff BEFORE AFTER`: the post-upgrade report, what changed between two scans.

BEFORE and AFTER are each a result document (findings.json) or a facts document. A result is
paired with its facts when --before-facts/--after-facts name them, or when a .json file next to it
has exactly the SHA-256 the result records (`facts_sha256`): evaluate's output and its input kept
in one folder just work.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from scanner.cli.common import add_signing_options, signing_key
from scanner.errors import InputError, Problem, UsageError
from scanner.facts.document import check_facts, read_json_file
from scanner.facts.model import FactsDoc
from scanner.provenance import run_provenance
from scanner.report.diff import Side, check_diff, diff
from scanner.report.diff_render import render_html, render_pdf, render_text
from scanner.report.result_doc import check_result, is_result, sha256_hex
from scanner.report.writer import guarded, write_all

MAX_SIBLINGS = 200  # files looked at when searching a result's facts next to it
MAX_SIBLING_BYTES = 64 * 1024 * 1024


DESCRIPTION = ("Compare two scans: OS per node, functional level and ClusterUpgradeVersion, registry "
               "traces that appeared, patches added, deduplicated volumes that moved owner, findings "
               "new / resolved / still open. BEFORE and AFTER are result or facts documents.")


def register(p: argparse.ArgumentParser) -> None:
    p.add_argument("before", metavar="BEFORE.json", help="result (findings.json) or facts document of the earlier scan")
    p.add_argument("after", metavar="AFTER.json", help="result or facts document of the later scan")
    p.add_argument("--before-facts", metavar="FACTS.json", help="facts document BEFORE (a result) was evaluated from")
    p.add_argument("--after-facts", metavar="FACTS.json", help="facts document AFTER (a result) was evaluated from")
    p.add_argument("--format", choices=["text", "json"], default="text", help="stdout / --out format (default text)")
    p.add_argument("--out", metavar="FILE", help="write the text or JSON here (atomically) instead of stdout")
    p.add_argument("--html", metavar="FILE", help="also write the diff as HTML")
    p.add_argument("--pdf", metavar="FILE", help="also write the diff as PDF, the compared files attached")
    p.add_argument("--pdfa", action=argparse.BooleanOptionalAction, default=True,
                   help="PDF/A-3b (default); --no-pdfa for a plain PDF")
    add_signing_options(p)
    p.set_defaults(func=run)


def _read(path: str | Path) -> tuple[Any, bytes]:
    return read_json_file(path)


def facts_next_to(result_path: Path, sha256: str) -> Path | None:
    """The .json file beside the result whose bytes have the digest the result records, if any."""
    for candidate in sorted(result_path.parent.glob("*.json"))[:MAX_SIBLINGS]:
        if candidate.resolve() == result_path.resolve():
            continue
        try:
            if candidate.stat().st_size <= MAX_SIBLING_BYTES and sha256_hex(candidate.read_bytes()) == sha256:
                return candidate
        except OSError:
            continue
    return None


def load_side(label: str, path: str, facts_path: str | None) -> tuple[Side, dict[str, bytes]]:
    """One side of the diff and the raw bytes of its files (attached to the PDF)."""
    doc, raw = _read(path)
    if not is_result(doc):
        if facts_path:
            raise UsageError(f"--{label}-facts only goes with a result document, and {path} is a facts document")
        facts: FactsDoc | None = check_facts(doc, file=path)  # None below when no facts file is found
        return Side(label, None, facts, {"facts": path}, {"facts": sha256_hex(raw)}), {f"{label}-facts.json": raw}
    result = check_result(doc, file=path)
    files, digests, blobs = {"result": path}, {"result": sha256_hex(raw)}, {f"{label}-findings.json": raw}
    found = Path(facts_path) if facts_path else facts_next_to(Path(path), result["facts_sha256"])
    facts = None
    if found is not None:
        fdoc, fraw = _read(found)
        if sha256_hex(fraw) != result["facts_sha256"]:
            raise InputError([Problem(f"not the facts {path} was evaluated from (SHA-256 {sha256_hex(fraw)}, "
                                      f"the result records {result['facts_sha256']})", file=str(found))])
        facts = check_facts(fdoc, file=str(found))
        files["facts"], digests["facts"], blobs[f"{label}-facts.json"] = str(found), sha256_hex(fraw), fraw
    return Side(label, result, facts, files, digests), blobs


def run(args: argparse.Namespace) -> int:
    if args.sign_key and not args.pdf:
        raise UsageError("--sign-key signs the PDF; give --pdf FILE too")
    sign = signing_key(args)
    before, before_files = load_side("before", args.before, args.before_facts)
    after, after_files = load_side("after", args.after, args.after_facts)
    d = diff(before, after, provenance=run_provenance(getattr(args, "command_line", ())))
    rendered = []
    if args.html:
        rendered.append((Path(args.html), guarded("html", lambda: render_html(d).encode("utf-8"))))
    if args.pdf:
        rendered.append((Path(args.pdf), guarded("pdf", lambda: render_pdf(d, {**before_files, **after_files},
                                                                           pdfa=args.pdfa, sign=sign))))
    if args.format == "json":
        text = json.dumps(check_diff(d), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    else:
        text = render_text(d)
    if args.out:
        rendered.append((Path(args.out), text.encode("utf-8")))
    write_all(rendered)
    if not args.out:
        sys.stdout.write(text)
    return 0
