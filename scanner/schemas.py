"""The JSON Schemas in schemas/: one cached validator each, and violations as located problems.

The one place validators are built: each resolves references to the other schemas by their `$id`
(the scenario schema refers to the facts schema's node)."""
from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

import jsonschema
from referencing import Registry, Resource

from scanner import paths
from scanner.errors import Problem


@functools.cache
def schema(name: str) -> dict[str, Any]:
    """schemas/NAME, parsed."""
    loaded: dict[str, Any] = json.loads((paths.SCHEMAS_DIR / name).read_text(encoding="utf-8"))
    return loaded


@functools.cache
def _registry() -> Registry:
    documents = [schema(file.name) for file in sorted(paths.SCHEMAS_DIR.glob("*.schema.json"))]
    return Registry().with_resources((doc["$id"], Resource.from_contents(doc)) for doc in documents if "$id" in doc)


@functools.cache
def validator(name: str, ref: str | None = None) -> jsonschema.protocols.Validator:
    """schemas/NAME, or one of its $defs when ref is given."""
    root = schema(name)
    target = root if ref is None else {"$ref": f"#/$defs/{ref}", "$defs": root["$defs"]}
    return jsonschema.Draft202012Validator(target, registry=_registry())


def pointer(path: Any) -> str:
    return "/" + "/".join(str(p) for p in path)


def violations(doc: Any, name: str, *, ref: str | None = None, file: str | None = None, limit: int | None = None,
               node_of: Callable[[list[Any]], str | None] | None = None) -> list[Problem]:
    """Schema violations in document order, each with its JSON pointer (and node, when node_of says).
    With a limit, the rest is summed up in one last problem."""
    try:
        errors = sorted(validator(name, ref).iter_errors(doc), key=lambda e: [str(p) for p in e.absolute_path])
    except RecursionError:  # jsonschema recurses once per level of the document
        return [Problem(f"nested more than {MAX_DEPTH} levels deep", file=file)]
    shown = errors if limit is None else errors[:limit]
    problems = []
    for err in shown:
        path = list(err.absolute_path)
        message = err.message if len(err.message) <= 200 else err.message[:197] + "..."
        problems.append(Problem(message, file=file, pointer=pointer(path), node=node_of(path) if node_of else None))
    if len(errors) > len(shown):
        problems.append(Problem(f"... and {len(errors) - len(shown)} more schema violations", file=file))
    return problems


MAX_DEPTH = 64  # deeper than any document rollready reads; jsonschema recurses once per level


def size_problems(doc: Any, *, max_string: int, max_items: int, max_depth: int = MAX_DEPTH, file: str | None = None,
                  node_of: Callable[[list[Any]], str | None] | None = None, limit: int = 5) -> list[Problem]:
    """Strings longer than max_string, lists or mappings larger than max_items, nesting deeper than
    max_depth: checked without recursion before a schema (which would recurse, and spend time in
    proportion to the excess) ever sees the document. Each problem names its pointer (and node)."""
    problems: list[Problem] = []
    stack: list[tuple[Any, list[Any]]] = [(doc, [])]
    while stack and len(problems) < limit:
        value, path = stack.pop()
        if isinstance(value, str):
            if len(value) > max_string:
                reason = f"text of {len(value)} characters, more than the {max_string} allowed"
            else:
                continue
        elif not isinstance(value, (list, dict)):
            continue
        elif len(path) >= max_depth:
            reason = f"nested more than {max_depth} levels deep"
        elif len(value) > max_items:
            reason = f"{len(value)} entries, more than the {max_items} allowed"
        else:
            items = value.items() if isinstance(value, dict) else enumerate(value)
            stack.extend((child, [*path, key]) for key, child in reversed(list(items)))
            continue
        problems.append(Problem(reason, file=file, pointer=pointer(path), node=node_of(path) if node_of else None))
    return problems
