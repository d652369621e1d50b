"""Fact tests: `{fact: PATH, OPERATOR: ARGUMENT}`, one operator from the table in operators.py.

The operator decides the class: a value test (unknown when the fact is missing), `exists` (a
missing fact is an answer), `in_catalog` (membership in a catalog)."""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from scanner.engine.condition.base import Aliases, CatalogRef, Condition, Problems, Where, expand
from scanner.engine.condition.context import MAX_EVIDENCE, Context, EvalError, new_evidence
from scanner.engine.condition.operands import Operand, check_operand, make_operand
from scanner.engine.condition.operators import OPERATORS, Operator, UnreadableDate, age_days, fact_date
from scanner.engine.condition.paths import check_path, compile_path
from scanner.engine.condition.values import FALSE, MISSING, TRUE, UNKNOWN, Tri, brief, shown
from scanner.engine.regex import compile_linear
from scanner.model import Evidence


class Leaf(Condition):
    """What every fact test shares: the path, its resolver, the operator and its argument."""

    __slots__ = ("path", "resolve", "op", "argument", "head", "rest")
    heads = ("fact",)

    def __init__(self, path: str, op: Operator, argument: Operand):
        self.path = path
        self.resolve = compile_path(path)
        self.op = op.name
        self.argument = argument
        head, dot, rest = path.partition(".")
        # The name a loop may bind and the rest of the path: LiteralTest names its evidence as
        # Context.fact_name does, with the path split here once (a test inside a loop runs per element).
        self.head, self.rest = head, dot + rest

    @classmethod
    def parse(cls, raw: dict[str, Any], where: Where, problems: Problems) -> Condition | None:
        before = len(problems)
        check_path(raw["fact"], where + ("fact",), problems, allow_star=False)
        names = [k for k in raw if k != "fact"]
        if len(names) != 1:
            problems.append((where, f"a fact test needs exactly one operator, found {len(names)}"))
            return None
        name = names[0]
        op = OPERATORS.get(name)
        if op is None:
            problems.append((where + (name,), f"unknown operator '{name}'"))
            return None
        value = raw[name]
        _check_argument(op, value, where + (name,), problems)
        if len(problems) > before:
            return None
        return _LEAVES[op.reads](raw["fact"], op, make_operand(value))

    def facts(self, aliases: Aliases = None) -> Iterator[str]:
        yield expand(self.path, aliases)
        yield from self.argument.facts(aliases)

    def describe(self, depth: int) -> list[str]:
        return [f"{'  ' * depth}{self.path} {self.op} {self.argument.describe()}"]

    def catalog_refs(self) -> Iterator[CatalogRef]:
        return self.argument.catalog_refs()


def _check_argument(op: Operator, value: Any, where: Where, problems: Problems) -> None:
    if op.argument == "regex":
        if not isinstance(value, str):
            problems.append((where, "a regex must be a string"))
            return
        try:
            compile_linear(value)
        except ValueError as exc:
            problems.append((where, f"bad regex {value!r}: {exc}"))
        return
    if op.argument == "list" and not isinstance(value, (list, dict)):
        problems.append((where, f"'{op.name}' needs a list"))
    if op.argument == "bool" and not isinstance(value, bool):
        problems.append((where, f"'{op.name}' needs true or false"))
    if op.argument == "catalog" and not isinstance(value, str):
        problems.append((where, "'in_catalog' needs a catalog name"))
    if op.argument in ("operand", "list"):
        check_operand(value, where, problems)


class FactTest(Leaf):
    """A value test: unknown when the fact or the argument is missing, an error when the operator
    does not apply to the values (a string where a number was expected)."""

    __slots__ = ("test", "reads", "literal", "value", "prepared")

    def __init__(self, path: str, op: Operator, argument: Operand):
        super().__init__(path, op, argument)
        assert op.test is not None
        self.test = op.test
        self.reads = op.reads  # "age" / "date": the fact is a date (its age in days, or the date itself)
        self.literal = type(argument) is Operand  # most arguments: nothing to look up per subject
        self.value = argument.value  # as written: what the evidence shows
        self.prepared = op.prepare(self.value) if op.prepare is not None and self.literal else self.value

    def evaluate(self, ctx: Context) -> Tri:
        actual = self.resolve(ctx.values)
        expected = self.value if self.literal else self.argument.get(ctx)
        evidence = ctx.evidence
        if actual is MISSING or expected is MISSING:
            if len(evidence) < MAX_EVIDENCE:
                evidence.append(Evidence(ctx.fact_name(self.path), shown(actual), self.op, shown(expected), UNKNOWN))
            return UNKNOWN
        try:
            if self.reads == "value":
                ok = self.test(actual, self.prepared if self.literal else expected)
            elif self.reads == "age":
                ok = self.test(age_days(ctx.now, actual), expected)
            else:
                ok = self.test(fact_date(actual), expected)
        except UnreadableDate:
            # A server's date in a form nobody could read: unknown, like a date not collected.
            if len(evidence) < MAX_EVIDENCE:
                evidence.append(Evidence(ctx.fact_name(self.path), actual, self.op, expected, UNKNOWN))
            return UNKNOWN
        except (TypeError, ValueError, re.error):
            raise self.cannot(actual, expected) from None
        result = TRUE if ok else FALSE
        if len(evidence) < MAX_EVIDENCE:
            fact = ctx.fact_name(self.path) if ctx.labels else self.path
            evidence.append(new_evidence((fact, actual, self.op, expected, result)))
        return result

    def cannot(self, actual: Any, expected: Any) -> EvalError:
        return EvalError(f"cannot apply {self.op} to {self.path} = {brief(actual)} and {brief(expected)}")


class LiteralTest(FactTest):
    """A value test against a literal written in the rule, most tests of a pack: FactTest's steps
    with the argument (and its compiled form, e.g. a regex) bound at load."""

    __slots__ = ()

    def evaluate(self, ctx: Context) -> Tri:
        actual = self.resolve(ctx.values)
        evidence = ctx.evidence
        if actual is MISSING:
            if len(evidence) < MAX_EVIDENCE:
                evidence.append(new_evidence((ctx.fact_name(self.path), None, self.op, self.value, UNKNOWN)))
            return UNKNOWN
        try:
            ok = self.test(actual, self.prepared)
        except (TypeError, ValueError, re.error):
            raise self.cannot(actual, self.value) from None
        result = TRUE if ok else FALSE
        if len(evidence) < MAX_EVIDENCE:
            labels = ctx.labels  # most tests run outside any loop; inside one: Context.fact_name, inlined
            if labels and (label := labels.get(self.head)) is not None:
                fact = f"{self.head}[{label}]{self.rest}"
            else:
                fact = self.path
            evidence.append(new_evidence((fact, actual, self.op, self.value, result)))
        return result


class FactExists(Leaf):
    """`exists: true|false`: the one test that reads a missing fact as an answer."""

    __slots__ = ()

    def evaluate(self, ctx: Context) -> Tri:
        actual = self.resolve(ctx.values)
        want = bool(self.argument.value)
        result = TRUE if (actual is not MISSING) is want else FALSE
        ctx.note(Evidence(self.path, shown(actual), "exists", want, result))
        return result


class FactInCatalog(Leaf):
    """`in_catalog: NAME`: the fact's value is a key of the catalog or matches one of its patterns."""

    __slots__ = ()

    def evaluate(self, ctx: Context) -> Tri:
        actual = self.resolve(ctx.values)
        name = self.argument.value
        catalog = ctx.catalogs.get(str(name))
        if catalog is None:
            raise EvalError(f"catalog {name!r} is not loaded")
        if actual is MISSING:
            ctx.note(Evidence(self.path, shown(actual), "in_catalog", name, UNKNOWN))
            return UNKNOWN
        entry = catalog.match(str(actual))
        if entry is not None:
            ctx.catalogs_used.add(entry.source)
        result = TRUE if entry is not None else FALSE
        ctx.note(Evidence(self.path, actual, "in_catalog", name, result))
        return result

    def catalog_refs(self) -> Iterator[CatalogRef]:
        yield CatalogRef(str(self.argument.value))


_LEAVES: dict[str, Callable[[str, Operator, Operand], Leaf]] = {
    "value": lambda path, op, argument: (LiteralTest if type(argument) is Operand else FactTest)(path, op, argument),
    "age": FactTest, "date": FactTest, "presence": FactExists, "catalog": FactInCatalog,
}
