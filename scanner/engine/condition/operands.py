"""What a test compares a fact with: a literal, another fact, a scan parameter or a catalog lookup."""
from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from scanner.engine.catalogs import CatalogError
from scanner.engine.condition.base import Aliases, CatalogRef, Problems, Where, expand
from scanner.engine.condition.context import Context, EvalError
from scanner.engine.condition.paths import check_path, compile_path
from scanner.engine.condition.values import MISSING

_FIELD_PARAM = re.compile(r"\{([a-z_]+)\}")


class Operand:
    """A literal value; the references below override `get`."""

    __slots__ = ("value",)

    def __init__(self, value: Any):
        self.value = value  # as written in the rule (shown in evidence when a count is unknown)

    def get(self, ctx: Context) -> Any:
        return self.value

    def facts(self, aliases: Aliases) -> Iterator[str]:
        return iter(())

    def describe(self) -> str:
        return repr(self.value)

    def catalog_refs(self) -> Iterator[CatalogRef]:
        return iter(())


class FactRef(Operand):
    """{fact: PATH}: another fact of the same context."""

    __slots__ = ("path", "resolve")

    def __init__(self, value: dict[str, Any]):
        super().__init__(value)
        self.path: str = value["fact"]
        self.resolve = compile_path(self.path)

    def get(self, ctx: Context) -> Any:
        return self.resolve(ctx.values)

    def facts(self, aliases: Aliases) -> Iterator[str]:
        yield expand(self.path, aliases)

    def describe(self) -> str:
        return f"fact {self.path}"


class ParamRef(Operand):
    """{param: NAME}: a scan parameter (phase, target_os, source_os)."""

    __slots__ = ("name",)

    def __init__(self, value: dict[str, Any]):
        super().__init__(value)
        self.name: str = value["param"]

    def get(self, ctx: Context) -> Any:
        value = (ctx.values.get("params") or {}).get(self.name)
        return MISSING if value is None else value

    def describe(self) -> str:
        return f"scan parameter {self.name}"


class CatalogLookup(Operand):
    """{catalog: NAME, key: VALUE | match: VALUE, field: PATH [, default: VALUE]}: a field of a
    catalog entry found by key, or by the entry whose pattern matches; the field path may name a
    scan parameter (`min_version.{target_os}`). Without `default` an entry lacking the field is an
    error (broken data); with it the field is optional and `default` says what its absence means
    (e.g. a lifecycle date the vendor has not announced)."""

    __slots__ = ("catalog", "by_key", "probe", "field", "has_default", "default")

    def __init__(self, value: dict[str, Any]):
        super().__init__(value)
        self.catalog: str = value["catalog"]
        self.by_key = "key" in value
        self.probe = make_operand(value["key"] if self.by_key else value["match"])
        self.field: str = value["field"]
        self.has_default = "default" in value
        self.default = value.get("default")

    def get(self, ctx: Context) -> Any:
        probe = self.probe.get(ctx)
        catalog = ctx.catalogs.get(self.catalog)
        if catalog is None:
            raise EvalError(f"catalog {self.catalog!r} is not loaded")
        if probe is MISSING:
            return MISSING
        try:
            entry = catalog.entry(str(probe)) if self.by_key else catalog.match(str(probe))
        except CatalogError as exc:
            raise EvalError(str(exc), catalog.source) from None
        if entry is None:
            raise EvalError(f"catalog {catalog.name!r} has no entry for {str(probe)[:80]!r}", catalog.source)
        ctx.catalogs_used.add(entry.source)
        field_path = self._field_path(ctx)
        value: Any = entry.data
        for part in field_path.split("."):
            value = value.get(part) if isinstance(value, dict) else None
            if value is None:
                if self.has_default:
                    return self.default
                raise EvalError(f"catalog {catalog.name!r} entry {entry.key!r} has no {field_path!r}", entry.source)
        return value

    def _field_path(self, ctx: Context) -> str:
        params = ctx.values.get("params") or {}

        def sub(m: re.Match[str]) -> str:
            value = params.get(m.group(1))
            if value is None:
                raise EvalError(f"scan parameter {m.group(1)!r} is not set")
            return str(value)

        return _FIELD_PARAM.sub(sub, self.field)

    def facts(self, aliases: Aliases) -> Iterator[str]:
        return self.probe.facts(aliases)

    def describe(self) -> str:
        how = f"key {self.probe.describe()}" if self.by_key else f"entry matching {self.probe.describe()}"
        return f"catalog {self.catalog} ({how}) field {self.field}"

    def catalog_refs(self) -> Iterator[CatalogRef]:
        key = self.value.get("key")
        literal = "key" in self.value and not isinstance(key, dict)
        optional = self.has_default  # an optional field is not a gap `rules validate` reports
        yield CatalogRef(self.catalog, key if literal else None, self.field if literal and not optional else None)
        yield from self.probe.catalog_refs()


def make_operand(spec: Any) -> Operand:
    """The operand for a load-checked spec."""
    if not isinstance(spec, dict):
        return Operand(spec)
    if "fact" in spec:
        return FactRef(spec)
    if "param" in spec:
        return ParamRef(spec)
    if "catalog" in spec:
        return CatalogLookup(spec)
    raise EvalError(f"unknown operand {sorted(spec)}")


def check_operand(value: Any, where: Where, problems: Problems) -> None:
    """Append what is wrong with an operand spec."""
    if not isinstance(value, dict):
        return
    keys = set(value)
    if keys == {"fact"}:
        check_path(value["fact"], where + ("fact",), problems, allow_star=False)
    elif keys == {"param"}:
        if not isinstance(value["param"], str):
            problems.append((where, "'param' needs a name"))
    elif "catalog" in value:
        keys.discard("default")
        if not (keys in ({"catalog", "key", "field"}, {"catalog", "match", "field"})) \
                or not isinstance(value["catalog"], str) or not isinstance(value["field"], str):
            problems.append((where, "a catalog lookup is {catalog: NAME, key: VALUE or match: VALUE, field: PATH[, default: VALUE]}"))
        else:
            check_operand(value.get("key", value.get("match")), where + ("key" if "key" in value else "match",), problems)
    else:
        problems.append((where, f"unknown operand {sorted(keys)}: use a literal, {{fact: ...}}, {{param: ...}} or {{catalog: ...}}"))
