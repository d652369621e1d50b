"""The condition language: rule conditions as objects, parsed and checked when the rules load.

One class per condition form (logic.py: all/any/none, not; over.py: every/some/none_of, count,
same; leaf.py: fact tests), each owning its load checks, its three-valued evaluation, the facts it
reads, its description for `rules explain` and the catalogs it names. Operators live in one table
(operators.py). docs/engine.md describes the language; docs/rules.md the operators.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from scanner.engine.condition.base import FORMS, Aliases, CatalogRef, Condition, Problems, Where, parse_condition
from scanner.engine.condition.context import Context, EvalError
from scanner.engine.condition.leaf import Leaf
from scanner.engine.condition.logic import Combination, Not
from scanner.engine.condition.operators import COUNT_OPERATORS, LEAF_OPERATORS, OPERATORS, Operator
from scanner.engine.condition.over import Count, Quantifier, Same
from scanner.engine.condition.values import FALSE, MISSING, TRUE, UNKNOWN, Tri

# The forms in the order their heads are tried: a mapping with both `all` and `fact` is an `all`
# with an unexpected key, not a fact test.
FORMS[:] = [Combination, Not, Quantifier, Count, Same, Leaf]


class ConditionError(ValueError):
    """A condition that does not pass the load checks (the loader reports these with file:line)."""

    def __init__(self, problems: Problems):
        super().__init__("; ".join(message for _, message in problems))
        self.problems = problems


def check_condition(raw: Any, where: Where = ()) -> Problems:
    """Every structural problem of a raw condition, each with its path inside the rule."""
    problems: Problems = []
    parse_condition(raw, where, problems)
    return problems


def parse(raw: Any, where: Where = ()) -> Condition:
    """The condition object for a raw (YAML) condition; ConditionError when it is broken."""
    problems: Problems = []
    cond = parse_condition(raw, where, problems)
    if cond is None or problems:
        raise ConditionError(problems)
    return cond


def evaluate(raw: Any, ctx: Context) -> Tri:
    """Parse and evaluate a raw condition in one step (tests, tools); rules parse once at load."""
    return parse(raw).evaluate(ctx)


def facts_read(conditions: Iterable[Condition | None], aliases: Aliases = None) -> list[str]:
    """The fact paths the conditions read, each once, in order (`rules explain`, the docs)."""
    return list(dict.fromkeys(path for cond in conditions if cond is not None for path in cond.facts(aliases)))


__all__ = [
    "COUNT_OPERATORS", "FALSE", "LEAF_OPERATORS", "MISSING", "OPERATORS", "TRUE", "UNKNOWN", "CatalogRef",
    "Combination", "Condition", "ConditionError", "Context", "Count", "EvalError", "Leaf", "Not", "Operator",
    "Quantifier", "Same", "Tri", "check_condition", "evaluate", "facts_read", "parse",
]
