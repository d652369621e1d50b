"""The result document as reports read it: validation against the schema and its canonical bytes."""
from __future__ import annotations

import functools
import hashlib
import json
from typing import Any

import jsonschema

from scanner import paths
from scanner.engine.run import canonical_json  # one byte form: evaluate --out, report --format json, the PDF
from scanner.errors import InputError, Problem

MAX_PROBLEMS = 20  # a broken document can have thousands of violations; the first ones locate it


@functools.lru_cache(maxsize=None)
def _validator() -> jsonschema.protocols.Validator:
    schema = json.loads((paths.SCHEMAS_DIR / "findings.schema.json").read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


def result_problems(doc: Any, *, file: str | None = None) -> list[Problem]:
    """Every schema violation (up to MAX_PROBLEMS), each with its JSON pointer."""
    errors = sorted(_validator().iter_errors(doc), key=lambda e: [str(p) for p in e.absolute_path])
    problems = []
    for err in errors[:MAX_PROBLEMS]:
        pointer = "/" + "/".join(str(p) for p in err.absolute_path)
        message = err.message if len(err.message) <= 200 else err.message[:197] + "..."
        problems.append(Problem(message, file=file, pointer=pointer))
    if len(errors) > MAX_PROBLEMS:
        problems.append(Problem(f"... and {len(errors) - MAX_PROBLEMS} more schema violations", file=file))
    return problems


def check_result(doc: Any, *, file: str | None = None) -> dict[str, Any]:
    """Return doc if it is a valid result document, else raise InputError listing what is wrong."""
    problems = result_problems(doc, file=file)
    if problems:
        raise InputError(problems)
    return doc


def is_result(doc: Any) -> bool:
    """A result document (as opposed to a facts document) carries findings and a verdict."""
    return isinstance(doc, dict) and "findings" in doc and "verdict" in doc


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()

