"""scanner.schemas: the compiled validator and jsonschema agree on what is valid."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import factory

from scanner.schemas import is_valid, validator, violations

WRONG = ({"unexpected": True}, "text", None)  # each leaf becomes an object, a string, null


def _leaves(doc: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(doc, dict):
        for key, value in doc.items():
            yield from _leaves(value, (*path, key))
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            yield from _leaves(value, (*path, i))
    if path:
        yield path


def _parent(doc: Any, path: tuple[Any, ...]) -> Any:
    for key in path[:-1]:
        doc = doc[key]
    return doc


def test_compiled_and_full_validators_agree_on_every_mutation_of_a_facts_document() -> None:
    doc = factory.facts()
    full = validator("facts.schema.json").full
    assert is_valid(doc, "facts.schema.json") and full.is_valid(doc)
    checked = invalid = 0
    for path in list(_leaves(doc)):
        parent = _parent(doc, path)
        kept = parent[path[-1]]
        for value in WRONG:
            parent[path[-1]] = value
            fast = is_valid(doc, "facts.schema.json")
            assert fast == full.is_valid(doc), (path, value)
            if checked % 25 == 0:
                assert (violations(doc, "facts.schema.json") == []) == fast
            checked += 1
            invalid += not fast
        parent[path[-1]] = kept
    assert is_valid(doc, "facts.schema.json")
    assert checked > 500 and invalid > checked // 3


def test_values_the_compiled_validator_cannot_take_fall_back_to_jsonschema() -> None:
    doc = factory.facts()
    doc["cluster"]["functional_level"] = 2**70  # an integer beyond 64 bits: still valid JSON Schema-wise
    assert is_valid(doc, "facts.schema.json") == validator("facts.schema.json").full.is_valid(doc)
    doc["cluster"]["functional_level"] = object()
    assert not is_valid(doc, "facts.schema.json")


def test_size_bounds_are_found_wherever_they_are_broken() -> None:
    """size_problems first walks without paths (_within); a document breaking a bound anywhere must
    still get its located problem, and one within every bound none."""
    from scanner.schemas import _within, size_problems

    deep: list[object] = []
    inner = deep
    for _ in range(10):
        inner.append([])
        inner = inner[0]  # type: ignore[assignment]
    broken = ["x" * 11, ["x" * 11], {"a": {"b": ["ok", "x" * 11]}}, list(range(6)), {"k": list(range(6))}, deep]
    fine = [factory.facts(), {"a": [[1, 2], {"b": "short"}]}, 7, None, "x" * 10]
    for doc in broken:
        assert not _within(doc, 10, 5, 8) and size_problems(doc, max_string=10, max_items=5, max_depth=8), doc
    for doc in fine[1:]:
        assert _within(doc, 10, 5, 8) and size_problems(doc, max_string=10, max_items=5, max_depth=8) == [], doc
    assert size_problems(fine[0], max_string=10**6, max_items=10**6) == []
