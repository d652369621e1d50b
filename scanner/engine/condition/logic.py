"""Combinations: `all`, `any`, `none` of a list of conditions, and `not`, in Kleene logic.

`all` is false if any part is false, else unknown if any is unknown; `any` is true if any part is
true, else unknown if any is unknown; `none` is `not any`. Parts are evaluated in order and the
first deciding part stops the evaluation."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from scanner.engine.condition.base import Aliases, CatalogRef, Condition, Problems, Where, parse_condition
from scanner.engine.condition.context import Context
from scanner.engine.condition.values import FALSE, NEGATED, TRUE, UNKNOWN, Tri

_WORDS = {"all": "all of", "any": "any of", "none": "none of"}


class Combination(Condition):
    __slots__ = ("kind", "parts", "decisive", "otherwise", "negated")
    heads = ("all", "any", "none")

    def __init__(self, kind: str, parts: list[Condition]):
        self.kind = kind
        self.parts = tuple(parts)
        # all: the first FALSE decides, else TRUE; any/none: the first TRUE decides, else FALSE (none: negated)
        self.decisive: Tri = FALSE if kind == "all" else TRUE
        self.otherwise: Tri = TRUE if kind == "all" else FALSE
        self.negated = kind == "none"

    @classmethod
    def parse(cls, raw: dict[str, Any], where: Where, problems: Problems) -> Condition | None:
        kind = next(head for head in cls.heads if head in raw)
        if set(raw) != {kind}:
            problems.append((where, f"'{kind}' cannot be combined with {sorted(set(raw) - {kind})}"))
            return None
        if not isinstance(raw[kind], list) or not raw[kind]:
            problems.append((where + (kind,), f"'{kind}' needs a non-empty list of conditions"))
            return None
        parts = [parse_condition(sub, where + (kind, i), problems) for i, sub in enumerate(raw[kind])]
        if any(part is None for part in parts):
            return None
        return cls(kind, [part for part in parts if part is not None])

    def evaluate(self, ctx: Context) -> Tri:
        decisive = self.decisive
        result = self.otherwise
        for part in self.parts:
            r = part.evaluate(ctx)
            if r == decisive:
                result = decisive
                break
            if r == UNKNOWN:
                result = UNKNOWN
        return NEGATED[result] if self.negated else result

    def facts(self, aliases: Aliases = None) -> Iterator[str]:
        for part in self.parts:
            yield from part.facts(aliases)

    def describe(self, depth: int) -> list[str]:
        return [f"{'  ' * depth}{_WORDS[self.kind]}:"] + [line for part in self.parts for line in part.describe(depth + 1)]

    def catalog_refs(self) -> Iterator[CatalogRef]:
        for part in self.parts:
            yield from part.catalog_refs()


class Not(Condition):
    __slots__ = ("inner",)
    heads = ("not",)

    def __init__(self, inner: Condition):
        self.inner = inner

    @classmethod
    def parse(cls, raw: dict[str, Any], where: Where, problems: Problems) -> Condition | None:
        if set(raw) != {"not"}:
            problems.append((where, f"'not' cannot be combined with {sorted(set(raw) - {'not'})}"))
            return None
        inner = parse_condition(raw["not"], where + ("not",), problems)
        return None if inner is None else cls(inner)

    def evaluate(self, ctx: Context) -> Tri:
        return NEGATED[self.inner.evaluate(ctx)]

    def facts(self, aliases: Aliases = None) -> Iterator[str]:
        return self.inner.facts(aliases)

    def describe(self, depth: int) -> list[str]:
        return [f"{'  ' * depth}not:"] + self.inner.describe(depth + 1)

    def catalog_refs(self) -> Iterator[CatalogRef]:
        return self.inner.catalog_refs()
