"""Conditions over a collection: the quantifiers `every`/`some`/`none_of`, `count` and `same`.

Each names the collection (a path that may flatten lists with `[*]`) and, with `as`, the loop
variable its inner condition reads. An uncollected collection is unknown, never empty."""
from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from scanner.engine.condition.base import Aliases, CatalogRef, Condition, Problems, Where, expand, parse_condition
from scanner.engine.condition.context import Context, EvalError
from scanner.engine.condition.operands import Operand, check_operand, make_operand
from scanner.engine.condition.operators import COUNT_OPERATORS, OPERATORS
from scanner.engine.condition.paths import check_path, compile_path
from scanner.engine.condition.values import FALSE, MISSING, NEGATED, TRUE, UNKNOWN, Tri, brief
from scanner.model import Evidence

_NAME = re.compile(r"[a-z_][a-z0-9_]*")


def _check_scoped(raw: dict[str, Any], where: Where, head: str, problems: Problems, *, required: set[str],
                  optional: set[str]) -> Condition | None:
    """Check the keys every collection form shares; returns the parsed `that` (None when absent)."""
    keys = set(raw) - {head}
    problems += [(where, f"'{head}' needs '{k}'") for k in sorted(required - keys)]
    problems += [(where + (k,), f"unexpected key '{k}' in '{head}'") for k in sorted(keys - required - optional)]
    check_path(raw[head], where + (head,), problems, allow_star=True)
    if "as" in raw and (not isinstance(raw["as"], str) or not _NAME.fullmatch(raw["as"])):
        problems.append((where + ("as",), "'as' must be a lower-case name"))
    for key in ("value", "by"):
        if key in raw:
            check_path(raw[key], where + (key,), problems, allow_star=False)
    that = parse_condition(raw["that"], where + ("that",), problems) if "that" in raw else None
    if head == "same" and "where" in raw:
        that = parse_condition(raw["where"], where + ("where",), problems)
    if head == "count":
        for key in COUNT_OPERATORS:
            if key in raw:
                check_operand(raw[key], where + (key,), problems)
    return that


def unbind(values: dict[str, Any], name: str, saved: Any) -> None:
    """Give the loop variable's name back its value from before the loop (or none).

    The collection forms bind the variable in the context's own names rather than in a copy per
    element (a copy per element was a fifth of a large run); the subject's names are shared by
    every rule of the scope, so the binding must not outlive the loop, even when it ends in an error."""
    if saved is MISSING:
        values.pop(name, None)
    else:
        values[name] = saved


class Over(Condition):
    """What the collection forms share: the collection path and the loop variable's name."""

    __slots__ = ("path", "resolve", "name")

    def __init__(self, path: str, name: str):
        self.path = path
        self.resolve = compile_path(path)
        self.name = name

    def items(self, ctx: Context) -> list[Any] | None:
        items = self.resolve(ctx.values)
        return items if type(items) is list else None

    def inner_aliases(self, aliases: Aliases) -> Aliases:
        if aliases is None:
            return None
        return {**aliases, self.name: expand(self.path, aliases).replace("[*]", "") + "[]"}


_QUANTIFIER_WORDS = {"every": "every", "some": "at least one", "none_of": "no"}


class Quantifier(Over):
    """every / some / none_of COLLECTION as NAME that CONDITION; the elements that decide the
    answer are the finding's offenders."""

    __slots__ = ("kind", "that", "breaks")
    heads = ("every", "some", "none_of")

    def __init__(self, kind: str, path: str, name: str, that: Condition):
        super().__init__(path, name)
        self.kind = kind
        self.that = that
        self.breaks: Tri | None = {"every": FALSE, "some": None, "none_of": TRUE}[kind]

    @classmethod
    def parse(cls, raw: dict[str, Any], where: Where, problems: Problems) -> Condition | None:
        kind = next(head for head in cls.heads if head in raw)
        before = len(problems)
        that = _check_scoped(raw, where, kind, problems, required={"as", "that"}, optional=set())
        if len(problems) > before or that is None:
            return None
        return cls(kind, raw[kind], raw["as"], that)

    def evaluate(self, ctx: Context) -> Tri:
        items = self.items(ctx)
        if items is None:
            ctx.note(Evidence(self.path, None, self.kind, None, UNKNOWN))
            return UNKNOWN
        that, name, breaks, offenders = self.that, self.name, self.breaks, ctx.offenders
        values, labels = ctx.values, ctx.labels
        saved, saved_label = values.get(name, MISSING), labels.get(name)
        saw_true = saw_false = saw_unknown = False
        try:
            for item in items:  # every element, so each one's evidence and offenders are noted
                values[name] = item
                labels[name] = label = _label(item)  # evidence read through `name` names the element
                r = that.evaluate(ctx)
                if r == TRUE:
                    saw_true = True
                elif r == FALSE:
                    saw_false = True
                else:
                    saw_unknown = True
                if r == breaks and label not in offenders:
                    offenders.append(label)
        finally:
            unbind(values, name, saved)
            if saved_label is None:
                labels.pop(name, None)
            else:
                labels[name] = saved_label
        if self.kind == "every":
            return FALSE if saw_false else UNKNOWN if saw_unknown else TRUE
        some: Tri = TRUE if saw_true else UNKNOWN if saw_unknown else FALSE
        return some if self.kind == "some" else NEGATED[some]

    def facts(self, aliases: Aliases = None) -> Iterator[str]:
        yield expand(self.path, aliases)
        yield from self.that.facts(self.inner_aliases(aliases))

    def describe(self, depth: int) -> list[str]:
        return ([f"{'  ' * depth}{_QUANTIFIER_WORDS[self.kind]} {self.name} in {self.path} such that:"]
                + self.that.describe(depth + 1))

    def catalog_refs(self) -> Iterator[CatalogRef]:
        return self.that.catalog_refs()


class Count(Over):
    """count COLLECTION [as NAME that CONDITION] OP N. With unknown elements the count lies in
    [n, n + unknown]; the answer is given only when both ends agree."""

    __slots__ = ("op", "test", "expected", "that", "named")
    heads = ("count",)

    def __init__(self, path: str, name: str | None, op: str, expected: Operand, that: Condition | None):
        super().__init__(path, name or "item")
        self.named = name is not None
        self.op = op
        test = OPERATORS[op].test
        assert test is not None
        self.test = test
        self.expected = expected
        self.that = that

    @classmethod
    def parse(cls, raw: dict[str, Any], where: Where, problems: Problems) -> Condition | None:
        ops = [k for k in COUNT_OPERATORS if k in raw]
        if len(ops) != 1:
            problems.append((where, f"'count' needs exactly one of {', '.join(COUNT_OPERATORS)}"))
            return None
        before = len(problems)
        that = _check_scoped(raw, where, "count", problems, required=set(ops), optional={"as", "that"})
        if len(problems) > before:
            return None
        return cls(raw["count"], raw.get("as"), ops[0], make_operand(raw[ops[0]]), that)

    def evaluate(self, ctx: Context) -> Tri:
        items = self.items(ctx)
        if items is None:
            ctx.note(Evidence(f"count({self.path})", None, self.op, self.expected.value, UNKNOWN))
            return UNKNOWN
        n = unknown = 0
        if self.that is None:
            n = len(items)
        else:
            that, name, values = self.that, self.name, ctx.values
            saved = values.get(name, MISSING)
            try:
                for item in items:
                    values[name] = item
                    r = that.evaluate(ctx)
                    n += r == TRUE
                    unknown += r == UNKNOWN
            finally:
                unbind(values, name, saved)
        expected = self.expected.get(ctx)
        if expected is MISSING:
            return UNKNOWN
        try:
            low, high = self.test(n, expected), self.test(n + unknown, expected)
        except TypeError:
            raise EvalError(f"count {self.op} needs a number, got {brief(expected)}") from None
        result = (TRUE if low else FALSE) if low == high else UNKNOWN
        ctx.note(Evidence(f"count({self.path})", n if not unknown else f"{n}..{n + unknown}", self.op, expected, result))
        return result

    def facts(self, aliases: Aliases = None) -> Iterator[str]:
        yield expand(self.path, aliases)
        inner = self.inner_aliases(aliases) if self.named else aliases
        if self.that is not None:
            yield from self.that.facts(inner)
        yield from self.expected.facts(inner)

    def describe(self, depth: int) -> list[str]:
        pad = "  " * depth
        head = f"{pad}the number of {self.path}" + (f" (as {self.name}) where:" if self.that is not None else "")
        inner = self.that.describe(depth + 1) if self.that is not None else []
        return [head] + inner + [f"{pad}is {self.op} {self.expected.describe()}"]

    def catalog_refs(self) -> Iterator[CatalogRef]:
        if self.that is not None:
            yield from self.that.catalog_refs()
        yield from self.expected.catalog_refs()


class Same(Over):
    """same COLLECTION as NAME value PATH [by PATH] [where CONDITION]: cross-subject consistency,
    the same value on every element (per group when `by` is given; only the elements for which
    `where` holds, e.g. device rows that have a driver); the elements that differ are the offenders."""

    __slots__ = ("value", "value_of", "by", "by_of", "where")
    heads = ("same",)

    def __init__(self, path: str, name: str, value: str, by: str | None, where: Condition | None = None):
        super().__init__(path, name)
        self.value = value
        self.value_of = compile_path(value)
        self.by = by
        self.by_of = compile_path(by) if by is not None else None
        self.where = where

    @classmethod
    def parse(cls, raw: dict[str, Any], where: Where, problems: Problems) -> Condition | None:
        before = len(problems)
        only = _check_scoped(raw, where, "same", problems, required={"as", "value"}, optional={"by", "where"})
        if len(problems) > before:
            return None
        return cls(raw["same"], raw["as"], raw["value"], raw.get("by"), only)

    def evaluate(self, ctx: Context) -> Tri:
        items = self.items(ctx)
        if items is None:
            ctx.note(Evidence(self.path, None, "same", None, UNKNOWN))
            return UNKNOWN
        groups: dict[str, dict[str, list[str]]] = {}
        unknown = False
        values, name = ctx.values, self.name
        saved = values.get(name, MISSING)
        try:
            for item in items:
                values[name] = item
                if self.where is not None:
                    included = self.where.evaluate(ctx)
                    if included == FALSE:
                        continue
                    if included == UNKNOWN:
                        unknown = True
                        continue
                value = self.value_of(values)
                group = self.by_of(values) if self.by_of is not None else ""
                if value is MISSING or group is MISSING:
                    unknown = True
                    continue
                groups.setdefault(str(group).casefold(), {}).setdefault(_norm(value), []).append(_owner_label(item))
        finally:
            unbind(values, name, saved)
        inconsistent = {g: vals for g, vals in groups.items() if len(vals) > 1}
        for group, values_seen in sorted(inconsistent.items()):
            seen = {v: sorted(set(members)) for v, members in values_seen.items()}
            ctx.note(Evidence(self.value + (f" [{group}]" if group else ""), seen, "same", None, FALSE))
            for members in values_seen.values():
                for member in members:
                    if member not in ctx.offenders:
                        ctx.offenders.append(member)
        if inconsistent:
            return FALSE
        if unknown:
            ctx.note(Evidence(self.value, None, "same", None, UNKNOWN))
            return UNKNOWN
        ctx.note(Evidence(self.value, sorted({v for g in groups.values() for v in g}), "same", None, TRUE))
        return TRUE

    def facts(self, aliases: Aliases = None) -> Iterator[str]:
        yield expand(self.path, aliases)
        inner = self.inner_aliases(aliases)
        yield expand(self.value, inner)
        if self.by is not None:
            yield expand(self.by, inner)
        if self.where is not None:
            yield from self.where.facts(inner)

    def describe(self, depth: int) -> list[str]:
        by = f", per {self.by}" if self.by is not None else ""
        head = f"{'  ' * depth}{self.value} is the same for every {self.name} in {self.path}{by}"
        if self.where is None:
            return [head]
        return [head + ", counting only those where:"] + self.where.describe(depth + 1)

    def catalog_refs(self) -> Iterator[CatalogRef]:
        return self.where.catalog_refs() if self.where is not None else iter(())


_LABEL_KEYS = ("name", "id", "path", "device_name")


def _label(item: Any) -> str:
    if isinstance(item, dict):
        for key in _LABEL_KEYS:
            value = item.get(key)
            if isinstance(value, str):
                return value
    return str(item)[:80]


def _owner_label(item: Any) -> str:
    if isinstance(item, dict) and isinstance(item.get("node"), str):
        return item["node"]
    return _label(item)


def _norm(value: Any) -> str:
    return value.casefold() if isinstance(value, str) else repr(value)
