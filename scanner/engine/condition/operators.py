"""The one operator table. Adding an operator is one entry here (and a line in docs/rules.md).

Each operator says what its argument must be (checked when the rules load) and how the fact is
read: by value (the usual case: a missing fact makes the test unknown), by presence (`exists`,
the one operator that reads a missing fact as an answer), by catalog membership (`in_catalog`),
by age in days against the scan time (`within_days`, `older_than_days`), or as a date compared
with a date (`date_lt` ... `date_ge`, e.g. the scan time against a catalog's end of support).

Dates are facts from servers: one the parser cannot read makes the test unknown (never an error,
never a pass); a date on the rule or catalog side that cannot be read is an error (a broken rule).
"""
from __future__ import annotations

import functools
import operator
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from scanner.engine.regex import compile_linear, compile_rule_pattern
from scanner.times import parse_utc
from scanner.versions import compare_versions, parse_version

Test = Callable[[Any, Any], bool]
Argument = Literal["operand", "list", "regex", "bool", "catalog"]
Reads = Literal["value", "presence", "catalog", "age", "date"]


@dataclass(frozen=True)
class Operator:
    name: str
    test: Test | None  # (actual, expected) -> bool; raises TypeError/ValueError when it does not apply
    argument: Argument = "operand"  # literal or reference; "list", "regex", "bool", "catalog" are narrower
    reads: Reads = "value"
    prepare: Callable[[Any], Any] | None = None  # a literal argument as the test takes it, worked out at load


def num(v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise TypeError
    return float(v)


_NUMBERS = (int, float)  # JSON and YAML numbers; bool is its own type, so `type(v) in` leaves it out


def _numeric(compare: Callable[[float, float], bool]) -> Test:
    def test(actual: Any, expected: Any) -> bool:
        if type(actual) not in _NUMBERS or type(expected) not in _NUMBERS:
            raise TypeError
        return compare(float(actual), float(expected))

    return test


def _version(want: Callable[[int], bool]) -> Test:
    def op(actual: Any, expected: Any) -> bool:
        if type(actual) is str and type(expected) is tuple:  # a version string against a literal (prepared at load)
            order = _order(actual, expected)
            if order is None:
                raise TypeError
            return want(order)
        a = parse_version(actual)
        b = expected if type(expected) is tuple else parse_version(expected)
        if a is None or b is None:
            raise TypeError
        return want(compare_versions(a, b))

    return op


@functools.lru_cache(maxsize=65536)
def _order(actual: str, expected: tuple[int, ...]) -> int | None:
    """compare_versions of a version string and a parsed literal; None when the string is not a
    version. Cached: every node of a scan compares the same few versions with the same literals."""
    a = parse_version(actual)
    return None if a is None else compare_versions(a, expected)


def _parsed_version(value: Any) -> Any:
    """A version literal parsed at load; left as written when it is not one (the test then errs)."""
    parsed = parse_version(value)
    return value if parsed is None else parsed


class UnreadableDate(ValueError):
    """A date fact in a form the engine does not read: the test is unknown, not an error."""


def parse_date(value: Any) -> datetime:
    """An ISO 8601 date or time (the facts' form; UTC when no zone is given). ValueError otherwise."""
    if not isinstance(value, str):
        raise TypeError
    return _moment(value)


# Cached like versions: a scan reads the same few install dates on every node.
_moment = functools.lru_cache(maxsize=65536)(parse_utc)


def fact_date(value: Any) -> datetime:
    """A date read from a server: UnreadableDate when it is not one the facts contract allows."""
    try:
        return parse_date(value)
    except (TypeError, ValueError):
        raise UnreadableDate(str(value)[:60]) from None


def age_days(now: datetime, value: Any) -> float:
    """Days from a date fact to the scan time. A date more than a day after the scan cannot be true
    (a hotfix "installed" on 9999-12-31): unknown, never "recent" (engine/contradictions.py names it)."""
    if type(value) is str:  # the facts' form: cached, every node reads the same few dates at one scan time
        return _age(now, value)
    return _age.__wrapped__(now, value)


@functools.lru_cache(maxsize=65536)
def _age(now: datetime, value: Any) -> float:
    age = (now - fact_date(value)).total_seconds() / 86400
    if age < -1:
        raise UnreadableDate(str(value)[:60])
    return age


def _dated(compare: Callable[[datetime, datetime], bool]) -> Test:
    """Date against date; the fact side is already read (fact_date), the argument is the rule's."""
    return lambda actual, expected: compare(actual, parse_date(expected))


def _matches(actual: Any, pattern: Any) -> bool:
    if type(actual) is str and type(pattern) is not str:  # the usual case: a string, a pattern compiled at load
        return pattern.search(actual) is not None
    if not isinstance(actual, (str, int, float)) or isinstance(actual, bool):
        raise TypeError
    if not isinstance(pattern, str):  # compiled at load (Operator.prepare)
        return pattern.search(str(actual)) is not None
    return compile_linear(pattern).search(str(actual)) is not None


def _contains(actual: Any, expected: Any) -> bool:
    if isinstance(actual, list):
        if isinstance(expected, str):  # a name in a list of names: `same` inlined, the argument folded once
            folded = expected.casefold()
            for item in actual:
                if item.casefold() == folded if isinstance(item, str) else same(item, expected):
                    return True
            return False
        return any(same(item, expected) for item in actual)
    if isinstance(actual, str) and isinstance(expected, str):
        return expected.lower() in actual.lower()
    raise TypeError


def same(a: Any, b: Any) -> bool:
    """Equality that ignores case for strings (Windows names are case-insensitive)."""
    if isinstance(a, str) and isinstance(b, str):
        return a.casefold() == b.casefold()
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return bool(a == b)


def _in(actual: Any, expected: Any) -> bool:
    if not isinstance(expected, list):
        raise TypeError
    for e in expected:
        if same(actual, e):
            return True
    return False


def _empty(actual: Any, expected: Any) -> bool:
    if not isinstance(actual, (list, dict, str)):
        raise TypeError
    return (len(actual) == 0) is bool(expected)


def _table(*operators: Operator) -> dict[str, Operator]:
    return {op.name: op for op in operators}


OPERATORS: dict[str, Operator] = _table(
    Operator("equals", same),
    Operator("not_equals", lambda a, e: not same(a, e)),
    Operator("in", _in, "list"),
    Operator("not_in", lambda a, e: not _in(a, e), "list"),
    Operator("contains", _contains),
    Operator("not_contains", lambda a, e: not _contains(a, e)),
    Operator("matches", _matches, "regex", prepare=compile_rule_pattern),
    Operator("not_matches", lambda a, e: not _matches(a, e), "regex", prepare=compile_rule_pattern),
    Operator("empty", _empty, "bool"),
    Operator("gt", _numeric(operator.gt)),
    Operator("ge", _numeric(operator.ge)),
    Operator("lt", _numeric(operator.lt)),
    Operator("le", _numeric(operator.le)),
    Operator("eq", _numeric(operator.eq)),
    Operator("version_lt", _version(lambda c: c < 0), prepare=_parsed_version),
    Operator("version_le", _version(lambda c: c <= 0), prepare=_parsed_version),
    Operator("version_gt", _version(lambda c: c > 0), prepare=_parsed_version),
    Operator("version_ge", _version(lambda c: c >= 0), prepare=_parsed_version),
    Operator("version_eq", _version(lambda c: c == 0), prepare=_parsed_version),
    Operator("within_days", lambda age, days: age <= num(days), reads="age"),
    Operator("older_than_days", lambda age, days: age > num(days), reads="age"),
    Operator("date_lt", _dated(lambda a, e: a < e), reads="date"),
    Operator("date_le", _dated(lambda a, e: a <= e), reads="date"),
    Operator("date_gt", _dated(lambda a, e: a > e), reads="date"),
    Operator("date_ge", _dated(lambda a, e: a >= e), reads="date"),
    Operator("exists", None, "bool", reads="presence"),
    Operator("in_catalog", None, "catalog", reads="catalog"),
)
LEAF_OPERATORS: tuple[str, ...] = tuple(OPERATORS)
COUNT_OPERATORS = ("eq", "gt", "ge", "lt", "le")  # what `count` compares its number with
