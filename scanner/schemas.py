"""The JSON Schemas in schemas/: one cached validator each, and violations as located problems.

The one place validators are built: each resolves references to the other schemas by their `$id`
(the scenario schema refers to the facts schema's node).

Two validators per schema: jsonschema-rs (compiled, 30-100x faster) answers whether a document is
valid; only when it is not does jsonschema walk it for every violation with its path (its messages
are the ones users see). A collected node's facts are checked on every scan, so the valid case is
the one that must be cheap.
"""
from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import jsonschema_rs

from scanner import paths
from scanner.errors import Problem

if TYPE_CHECKING:
    import jsonschema
    from referencing import Registry


@functools.cache
def schema(name: str) -> dict[str, Any]:
    """schemas/NAME, parsed."""
    loaded: dict[str, Any] = json.loads((paths.SCHEMAS_DIR / name).read_text(encoding="utf-8"))
    return loaded


@functools.cache
def _documents() -> tuple[tuple[str, dict[str, Any]], ...]:
    """Every schema with an $id, by $id: what a $ref to another file resolves in (read once per process)."""
    documents = [schema(file.name) for file in sorted(paths.SCHEMAS_DIR.glob("*.schema.json"))]
    return tuple((doc["$id"], doc) for doc in documents if "$id" in doc)


@functools.cache
def _registry() -> Registry:
    from referencing import Registry, Resource

    return Registry().with_resources((uri, Resource.from_contents(doc)) for uri, doc in _documents())


class Checker:
    """The validator of one schema (or one of its $defs): `is_valid` by jsonschema-rs, `iter_errors`
    by jsonschema only when the document is not valid. jsonschema (and its referencing registry) is
    imported and built on the first invalid document: a run whose inputs are valid never loads it."""

    def __init__(self, name: str, ref: str | None) -> None:
        self.name, self.ref = name, ref
        root = schema(name)
        self.schema = root if ref is None else {"$ref": f"#/$defs/{ref}", "$defs": root["$defs"]}
        self._fast = _compiled(self.schema, root.get("$id"))

    def is_valid(self, doc: Any) -> bool:
        if self._fast is not None:
            try:
                return bool(self._fast.is_valid(doc))
            except (ValueError, TypeError, OverflowError):  # a value the compiled validator cannot convert
                pass
        return bool(self.full.is_valid(doc))

    def iter_errors(self, doc: Any) -> Iterator[jsonschema.ValidationError]:
        return iter(()) if self.is_valid(doc) else self.full.iter_errors(doc)

    @functools.cached_property
    def full(self) -> jsonschema.protocols.Validator:
        """The jsonschema validator: every violation, with its path and message."""
        import jsonschema

        return jsonschema.Draft202012Validator(self.schema, registry=_registry())


@functools.cache
def validator(name: str, ref: str | None = None) -> Checker:
    """schemas/NAME, or one of its $defs when ref is given."""
    return Checker(name, ref)


def _compiled(target: dict[str, Any], base_uri: str | None) -> jsonschema_rs.Draft202012Validator | None:
    """The compiled validator of target; None if it cannot be built (jsonschema then does it all)."""
    try:
        registry = jsonschema_rs.Registry(list(_documents()))
        return jsonschema_rs.Draft202012Validator(target, registry=registry, base_uri=base_uri)
    except (jsonschema_rs.ReferencingError, jsonschema_rs.ValidationError, ValueError):
        return None


def is_valid(doc: Any, name: str, *, ref: str | None = None) -> bool:
    """Whether doc passes schemas/NAME (or its $defs/ref)."""
    return validator(name, ref).is_valid(doc)


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


def _within(doc: Any, max_string: int, max_items: int, max_depth: int) -> bool:
    """Whether doc keeps every bound: the same walk as size_problems without building a path for
    each value (a collected node holds thousands; only a document that fails needs the pointers)."""
    if isinstance(doc, str):
        return len(doc) <= max_string
    if not isinstance(doc, (list, dict)):
        return True
    stack: list[tuple[list[Any] | dict[str, Any], int]] = [(doc, 0)]
    while stack:
        container, depth = stack.pop()
        if depth >= max_depth or len(container) > max_items:
            return False
        for child in container.values() if isinstance(container, dict) else container:
            if isinstance(child, str):
                if len(child) > max_string:
                    return False
            elif isinstance(child, (list, dict)):
                stack.append((child, depth + 1))
    return True


def size_problems(doc: Any, *, max_string: int, max_items: int, max_depth: int = MAX_DEPTH, file: str | None = None,
                  node_of: Callable[[list[Any]], str | None] | None = None, limit: int = 5) -> list[Problem]:
    """Strings longer than max_string, lists or mappings larger than max_items, nesting deeper than
    max_depth: checked without recursion before a schema (which would recurse, and spend time in
    proportion to the excess) ever sees the document. Each problem names its pointer (and node)."""
    if _within(doc, max_string, max_items, max_depth):
        return []
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


@functools.cache
def _bounded(name: str, ref: str | None, max_string: int, max_items: int, max_depth: int) -> Any:
    """schemas/NAME (or its $defs/ref) and the size bounds of size_problems in one compiled
    validator, or None if it cannot be built.

    The bounds become schema keywords: level d of the document is checked by $defs/_bound_d
    (maxLength, maxItems, maxProperties, and the next level for every item and property), and the
    level past max_depth admits no array or object, so jsonschema-rs checks in native code what the
    Python walk of size_problems checks for every value."""
    root = schema(name)
    levels = {f"_bound_{d}": {"maxLength": max_string, "maxItems": max_items, "maxProperties": max_items,
                              "items": {"$ref": f"#/$defs/_bound_{d + 1}"},
                              "additionalProperties": {"$ref": f"#/$defs/_bound_{d + 1}"}}
              for d in range(max_depth)}
    levels[f"_bound_{max_depth}"] = {"maxLength": max_string, "not": {"type": ["array", "object"]}}
    # The schema's own keywords (or its $ref) beside the bounds; its "#/$defs/..." references resolve
    # in the merged $defs.
    own = {k: v for k, v in root.items() if k not in ("$defs", "$id")} if ref is None else {"$ref": f"#/$defs/{ref}"}
    target = {"allOf": [own, {"$ref": "#/$defs/_bound_0"}], "$defs": {**root.get("$defs", {}), **levels}}
    return _compiled(target, root.get("$id"))


def within_bounds_and_valid(doc: Any, name: str, *, ref: str | None = None, max_string: int, max_items: int,
                            max_depth: int = MAX_DEPTH) -> bool:
    """Whether doc keeps the size bounds (size_problems) and passes schemas/NAME (or $defs/ref), decided
    in one native pass. False also when it cannot be decided there: the caller then runs
    size_problems and violations for the located problems, as it would without this check."""
    fast = _bounded(name, ref, max_string, max_items, max_depth)
    if fast is None:
        return False
    try:
        return bool(fast.is_valid(doc))
    except (ValueError, TypeError, OverflowError):  # a value the compiled validator cannot convert
        return False
