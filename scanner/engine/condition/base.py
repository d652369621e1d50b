"""What every condition form shares: the `Condition` interface and the table of forms that
`parse_condition` dispatches on.

A condition is parsed and checked once, when the rules load; a broken one is a load problem with
its place in the file, never a silent non-result at scan time.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar, NamedTuple, Protocol

from scanner.engine.condition.context import Context
from scanner.engine.condition.values import Tri

Where = tuple[Any, ...]  # the path inside the rule file where a condition sits, for file:line:column
Problems = list[tuple[Where, str]]
Aliases = Mapping[str, str] | None  # loop variable -> the collection it ranges over (None: keep names as written)


class CatalogRef(NamedTuple):
    """A catalog a condition names; `key` (as written) and `field` when the lookup is by a literal
    key, so `rules validate` can check the entry exists before any scan."""

    name: str
    key: Any = None
    field: str | None = None  # None: not a lookup by a literal key


class Condition(ABC):
    """One condition form. Subclasses list the keys that select them (`heads`) and register in
    FORMS; everything about a form (checks, evaluation, facts, description, catalogs) lives in it."""

    __slots__ = ()
    heads: ClassVar[tuple[str, ...]] = ()

    @classmethod
    @abstractmethod
    def parse(cls, raw: dict[str, Any], where: Where, problems: Problems) -> Condition | None:
        """The condition, or None after appending what is wrong with `raw` to `problems`."""

    @abstractmethod
    def evaluate(self, ctx: Context) -> Tri:
        """TRUE, FALSE or UNKNOWN for this context; evidence and offenders are noted on `ctx`."""

    @abstractmethod
    def facts(self, aliases: Aliases = None) -> Iterator[str]:
        """The fact paths read, in order; with `aliases`, loop variables are spelled out
        (`update.id` read over node.hotfixes is node.hotfixes[].id)."""

    @abstractmethod
    def describe(self, depth: int) -> list[str]:
        """The condition as indented lines an admin can read (`rules explain`)."""

    def catalog_refs(self) -> Iterator[CatalogRef]:
        """The catalogs this condition looks up, in order."""
        return iter(())


class Form(Protocol):
    """A condition class seen as a form: the keys that select it and its parser."""

    @property
    def heads(self) -> tuple[str, ...]: ...

    def parse(self, raw: dict[str, Any], where: Where, problems: Problems) -> Condition | None: ...


# The condition forms, in the order their heads are tried; filled in once by the package's __init__
# (the forms' modules import parse_condition from here for their sub-conditions).
FORMS: list[Form] = []


def parse_condition(raw: Any, where: Where, problems: Problems) -> Condition | None:
    """Dispatch on the keys of `raw` to the one form that owns them."""
    if not isinstance(raw, dict):
        problems.append((where, "a condition must be a mapping"))
        return None
    for cls in FORMS:
        if any(head in raw for head in cls.heads):
            return cls.parse(raw, where, problems)
    problems.append((where, f"unknown condition {sorted(raw)}: expected all/any/none/not, every/some/none_of, "
                            "count, same, or fact + operator"))
    return None


def expand(path: str, aliases: Aliases) -> str:
    """A path with its loop variable replaced by the collection it ranges over."""
    if aliases is None:
        return path
    head, _, rest = path.partition(".")
    if head in aliases:
        return aliases[head] + ("." + rest if rest else "")
    return path
