"""Offline collection: collector outputs an administrator saved by running collector.ps1 by hand.

Windows PowerShell's `>` writes UTF-16 with a byte-order mark, so the files are decoded by their
BOM (UTF-16 LE/BE or UTF-8), not assumed UTF-8. Each file is checked against
`facts.schema.json#/$defs/collector_output`; every problem names the file and the JSON pointer.
"""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from scanner.collect import COLLECTOR_VERSION
from scanner.errors import InputError, Problem
from scanner.facts import parse_json_file, schema_problems


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
