"""The JSON Schemas in schemas/: one cached validator each, and violations as located problems."""
from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

import jsonschema

from scanner import paths
from scanner.errors import Problem


@functools.cache
def validator(name: str, ref: str | None = None) -> jsonschema.protocols.Validator:
    """schemas/NAME, or one of its $defs when ref is given."""
    schema = json.loads((paths.SCHEMAS_DIR / name).read_text(encoding="utf-8"))
    target = schema if ref is None else {"$ref": f"#/$defs/{ref}", "$defs": schema["$defs"]}
    return jsonschema.Draft202012Validator(target)


def pointer(path: Any) -> str:
    return "/" + "/".join(str(p) for p in path)


def violations(doc: Any, name: str, *, ref: str | None = None, file: str | None = None, limit: int | None = None,
               node_of: Callable[[list[Any]], str | None] | None = None) -> list[Problem]:
    """Schema violations in document order, each with its JSON pointer (and node, when node_of says).
    With a limit, the rest is summed up in one last problem."""
    errors = sorted(validator(name, ref).iter_errors(doc), key=lambda e: [str(p) for p in e.absolute_path])
    shown = errors if limit is None else errors[:limit]
    problems = []
    for err in shown:
        path = list(err.absolute_path)
        message = err.message if len(err.message) <= 200 else err.message[:197] + "..."
        problems.append(Problem(message, file=file, pointer=pointer(path), node=node_of(path) if node_of else None))
    if len(errors) > len(shown):
        problems.append(Problem(f"... and {len(errors) - len(shown)} more schema violations", file=file))
    return problems
