"""Offline collection: collector outputs an administrator saved by running collector.ps1 by hand.

Windows PowerShell's `>` writes UTF-16 with a byte-order mark, so the files are decoded by their
BOM (UTF-16 LE/BE or UTF-8), not assumed UTF-8. Each file is checked against
`facts.schema.json#/$defs/collector_output`; every problem names the file and the JSON pointer.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from scanner import __version__
from scanner.collect import COLLECTOR_VERSION
from scanner.errors import InputError, Problem
from scanner.facts.document import check_facts, parse_json_file, read_json_file, schema_problems
from scanner.facts.model import FactsDoc, ScanInput
from scanner.facts.outputs import facts_from_outputs, is_collector_output
from scanner.times import format_utc, utc_now


def read_collector_output(path: str | Path) -> dict[str, Any]:
    """One collector output file, parsed and checked; InputError names file, line or JSON pointer."""
    file = str(path)
    doc = parse_json_file(path)
    problems = schema_problems(doc, file=file, ref="collector_output")
    if problems:
        raise InputError(problems)
    if doc["collector_version"] != COLLECTOR_VERSION:
        raise InputError([Problem(
            f"collector version {doc['collector_version']!r}; this rollready reads version {COLLECTOR_VERSION!r} "
            "(write the matching script with `rollready collect --emit-script FILE`)",
            file=file, pointer="/collector_version")])
    return doc


def load_collector_outputs(paths: Iterable[str | Path]) -> list[dict[str, Any]]:
    """Every file's collector output, all problems of all files reported at once."""
    outputs: list[dict[str, Any]] = []
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for path in paths:
        try:
            doc = read_collector_output(path)
        except InputError as exc:
            problems += exc.problems
            continue
        name = doc["node"]["name"].lower()
        if name in seen:
            problems.append(Problem(f"node {doc['node']['name']} is also in {seen[name]}", file=str(path), pointer="/node/name"))
            continue
        seen[name] = str(path)
        outputs.append(doc)
    if problems:
        raise InputError(problems)
    if not outputs:
        raise InputError([Problem("no collector output files given")])
    return outputs


def facts_from_files(files: Sequence[str | Path]) -> tuple[FactsDoc, bytes]:
    """One facts document, or collector outputs (one per node, from collector.ps1 run by hand)
    merged into one. Returns the document and the bytes its digest is taken over."""
    first, raw = read_json_file(files[0])
    if len(files) == 1 and not is_collector_output(first):
        return check_facts(first, file=str(files[0])), raw
    outputs = load_collector_outputs(files)
    scan: ScanInput = {"tool_version": __version__, "method": "offline",
            "collected_at": max((o["node"].get("collected_at") or "" for o in outputs), default="")
            or format_utc(utc_now())}
    merged = check_facts(facts_from_outputs(outputs, scan), file=str(files[0]))
    return merged, json.dumps(merged, indent=2, sort_keys=True).encode()
