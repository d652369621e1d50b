"""The result document as reports read it: validation against the schema and its canonical bytes."""
from __future__ import annotations

from typing import Any

from scanner.canonical import canonical_json, sha256_hex  # one byte form: evaluate --out, report --format json, the PDF
from scanner.errors import InputError, Problem
from scanner.schemas import violations

__all__ = ["canonical_json", "check_result", "is_result", "result_problems", "sha256_hex"]

MAX_PROBLEMS = 20  # a broken document can have thousands of violations; the first ones locate it


def result_problems(doc: Any, *, file: str | None = None) -> list[Problem]:
    """Schema violations (up to MAX_PROBLEMS), each with its JSON pointer."""
    return violations(doc, "findings.schema.json", file=file, limit=MAX_PROBLEMS)


def check_result(doc: Any, *, file: str | None = None) -> dict[str, Any]:
    """Return doc if it is a valid result document, else raise InputError listing what is wrong."""
    problems = result_problems(doc, file=file)
    if problems:
        raise InputError(problems)
    return doc


def is_result(doc: Any) -> bool:
    """A result document (as opposed to a facts document) carries findings and a verdict."""
    return isinstance(doc, dict) and "findings" in doc and "verdict" in doc


