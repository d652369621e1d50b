"""The condition language: three-valued evaluation of rule conditions over a context of facts.

A condition is true, false or unknown. A fact that is absent or null is unknown, and unknown
propagates (Kleene logic): `all` is false if any part is false, else unknown if any is unknown;
`any` is true if any part is true, else unknown if any is unknown. So a missing fact can never
turn into a pass. Operators live in one explicit table (`OPERATORS`); an unknown name is a load
error, never a silent non-result.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from typing import Any, Literal

from scanner.engine.catalogs import Catalog, CatalogError
from scanner.model import Evidence
from scanner.versions import compare_versions, parse_version

Tri = Literal["true", "false", "unknown"]  # a condition's value
TRUE: Tri = "true"
FALSE: Tri = "false"
UNKNOWN: Tri = "unknown"
MAX_EVIDENCE = 40


class Missing:
    """The value of a fact that was not collected (absent or null)."""

    _instance: Missing | None = None

    def __new__(cls) -> Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "<not collected>"


MISSING = Missing()


class EvalError(Exception):
    """The rule or its data is broken for this subject (becomes an `error` finding)."""

    def __init__(self, message: str, catalog: str | None = None):
        super().__init__(message)
        self.catalog = catalog


class Context:
    """Names a condition can read: scope variables, `scan`, `cluster`, `nodes`, `params`.

    A plain slotted class: one is made per rule x subject and per collection element."""

    __slots__ = ("values", "catalogs", "now", "evidence", "offenders", "catalogs_used")

    def __init__(self, values: dict[str, Any], catalogs: dict[str, Catalog], now: datetime,
                 evidence: list[Evidence] | None = None, offenders: list[str] | None = None,
                 catalogs_used: set[str] | None = None):
        self.values = values
        self.catalogs = catalogs
        self.now = now
        self.evidence = [] if evidence is None else evidence
        self.offenders = [] if offenders is None else offenders
        self.catalogs_used = set() if catalogs_used is None else catalogs_used

    def child(self, name: str, value: Any) -> Context:
        values = dict(self.values)
        values[name] = value
        return Context(values, self.catalogs, self.now, self.evidence, self.offenders, self.catalogs_used)

    def note(self, item: Evidence) -> None:
        if len(self.evidence) < MAX_EVIDENCE:
            self.evidence.append(item)


# ---------------------------------------------------------------- paths

PATH_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*(\[\*\])?(\.[A-Za-z0-9_-]+(\[\*\])?)*$")
Parts = tuple[tuple[str, bool], ...]


def path_parts(path: str) -> Parts:
    return tuple((p[:-3], True) if p.endswith("[*]") else (p, False) for p in path.split("."))


def resolve(path: str, ctx: Context) -> Any:
    return resolve_parts(path_parts(path), ctx.values)


def compile_path(path: str) -> Callable[[dict[str, Any]], Any]:
    """A resolver for one path; plain dotted paths (the common case) get a tight loop."""
    parts = path_parts(path)
    if any(star for _, star in parts):
        return lambda values: resolve_parts(parts, values)
    keys = tuple(key for key, _ in parts)

    def plain(values: dict[str, Any]) -> Any:
        current: Any = values
        for key in keys:
            if type(current) is dict:
                current = current.get(key)
                if current is None:
                    return MISSING
            else:
                current = _get(current, key)
                if current is MISSING:
                    return MISSING
        return current

    return plain


def resolve_parts(parts: Parts, values: dict[str, Any]) -> Any:
    """Follow a dotted path; `[*]` flattens a list. Absent or null anywhere gives MISSING."""
    items: list[Any] = [values]
    many = False
    for key, star in parts:
        nxt: list[Any] = []
        for item in items:
            value = _get(item, key)
            if star:
                value = _star(value)
                if value is MISSING:
                    return MISSING
                nxt.extend(value)
            elif value is MISSING:
                return MISSING
            else:
                nxt.append(value)
        items = nxt
        many = many or star
    return items if many else items[0]


def _get(obj: Any, key: str) -> Any:
    if type(obj) is dict:
        value = obj.get(key, MISSING)
        return MISSING if value is None else value
    if isinstance(obj, list) and key == "length":
        return len(obj)
    return MISSING


def _star(value: Any) -> Any:
    return list(value) if isinstance(value, list) else MISSING


# ---------------------------------------------------------------- operands

Getter = Callable[[Context], Any]


def compile_operand(spec: Any) -> Getter:
    """A literal, or a reference: {fact: PATH}, {param: NAME}, {catalog: NAME, key|match, field}."""
    if not isinstance(spec, dict):
        return lambda ctx: spec
    if "fact" in spec:
        get = compile_path(spec["fact"])
        return lambda ctx: get(ctx.values)
    if "param" in spec:
        name = spec["param"]

        def param(ctx: Context) -> Any:
            value = (ctx.values.get("params") or {}).get(name)
            return MISSING if value is None else value

        return param
    if "catalog" in spec:
        probe = compile_operand(spec.get("key", spec.get("match")))
        return lambda ctx: _catalog_value(spec, probe(ctx), ctx)
    raise EvalError(f"unknown operand {sorted(spec)}")


def operand(spec: Any, ctx: Context) -> Any:
    return compile_operand(spec)(ctx)


def _catalog_value(spec: dict[str, Any], probe: Any, ctx: Context) -> Any:
    catalog = ctx.catalogs.get(spec["catalog"])
    if catalog is None:
        raise EvalError(f"catalog {spec['catalog']!r} is not loaded")
    if probe is MISSING:
        return MISSING
    try:
        entry = catalog.entry(str(probe)) if "key" in spec else catalog.match(str(probe))
    except CatalogError as exc:
        raise EvalError(str(exc), catalog.source) from None
    if entry is None:
        raise EvalError(f"catalog {catalog.name!r} has no entry for {str(probe)[:80]!r}", catalog.source)
    ctx.catalogs_used.add(entry.source)
    field_path = _expand(spec["field"], ctx)
    value: Any = entry.data
    for part in field_path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
        if value is None:
            raise EvalError(f"catalog {catalog.name!r} entry {entry.key!r} has no {field_path!r}", entry.source)
    return value


def _expand(text: str, ctx: Context) -> str:
    """Field paths may name a scan parameter: `min_version.{target_os}`."""
    params = ctx.values.get("params") or {}

    def sub(m: re.Match[str]) -> str:
        value = params.get(m.group(1))
        if value is None:
            raise EvalError(f"scan parameter {m.group(1)!r} is not set")
        return str(value)

    return re.sub(r"\{([a-z_]+)\}", sub, text)


# ---------------------------------------------------------------- leaf operators

Op = Callable[[Any, Any], bool]


def _num(v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise TypeError
    return float(v)


def _numeric(compare: Callable[[float, float], bool]) -> Op:
    return lambda actual, expected: compare(_num(actual), _num(expected))


def _version(want: Callable[[int], bool]) -> Op:
    def op(actual: Any, expected: Any) -> bool:
        a, b = parse_version(actual), parse_version(expected)
        if a is None or b is None:
            raise TypeError
        return want(compare_versions(a, b))

    return op


def _date(value: Any) -> datetime:
    if not isinstance(value, str):
        raise TypeError
    text = value.strip().replace("Z", "+00:00")
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _matches(actual: Any, pattern: Any) -> bool:
    if not isinstance(actual, (str, int, float)) or isinstance(actual, bool):
        raise TypeError
    return re.search(str(pattern), str(actual)) is not None


def _contains(actual: Any, expected: Any) -> bool:
    if isinstance(actual, list):
        return any(_same(item, expected) for item in actual)
    if isinstance(actual, str) and isinstance(expected, str):
        return expected.lower() in actual.lower()
    raise TypeError


def _same(a: Any, b: Any) -> bool:
    """Equality that ignores case for strings (Windows names are case-insensitive)."""
    if isinstance(a, str) and isinstance(b, str):
        return a.casefold() == b.casefold()
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return bool(a == b)


def _in(actual: Any, expected: Any) -> bool:
    if not isinstance(expected, list):
        raise TypeError
    return any(_same(actual, e) for e in expected)


def _empty(actual: Any, expected: Any) -> bool:
    if not isinstance(actual, (list, dict, str)):
        raise TypeError
    return (len(actual) == 0) is bool(expected)


OPERATORS: dict[str, Op] = {
    "equals": _same,
    "not_equals": lambda a, e: not _same(a, e),
    "in": _in,
    "not_in": lambda a, e: not _in(a, e),
    "contains": _contains,
    "not_contains": lambda a, e: not _contains(a, e),
    "matches": _matches,
    "not_matches": lambda a, e: not _matches(a, e),
    "empty": _empty,
    "gt": _numeric(lambda a, e: a > e),
    "ge": _numeric(lambda a, e: a >= e),
    "lt": _numeric(lambda a, e: a < e),
    "le": _numeric(lambda a, e: a <= e),
    "eq": _numeric(lambda a, e: a == e),
    "version_lt": _version(lambda c: c < 0),
    "version_le": _version(lambda c: c <= 0),
    "version_gt": _version(lambda c: c > 0),
    "version_ge": _version(lambda c: c >= 0),
    "version_eq": _version(lambda c: c == 0),
}
# Operators whose verdict depends on the scan time, taking a number of days.
DATE_OPERATORS = ("within_days", "older_than_days")
# `exists` is the one operator that reads a missing fact as an answer rather than as unknown.
SPECIAL_OPERATORS = ("exists", "in_catalog") + DATE_OPERATORS
LEAF_OPERATORS: tuple[str, ...] = tuple(OPERATORS) + SPECIAL_OPERATORS
COUNT_OPERATORS = ("eq", "gt", "ge", "lt", "le")
LOGIC_KEYS = ("all", "any", "none", "not")
QUANTIFIERS = ("every", "some", "none_of")


Compiled = Callable[[Context], Tri]


def _compile_leaf(cond: dict[str, Any]) -> Compiled:
    path = cond["fact"]
    get = compile_path(path)
    (op_name, spec), = ((k, v) for k, v in cond.items() if k != "fact")
    if op_name == "exists":
        want = bool(spec)

        def exists(ctx: Context) -> Tri:
            actual = get(ctx.values)
            result = TRUE if (actual is not MISSING) is want else FALSE
            ctx.note(Evidence(path, _shown(actual), "exists", want, result))
            return result

        return exists
    if op_name == "in_catalog":
        return lambda ctx: _in_catalog(path, get(ctx.values), spec, ctx)
    expected_of = compile_operand(spec)
    op = OPERATORS.get(op_name)

    def leaf(ctx: Context) -> Tri:
        actual = get(ctx.values)
        expected = expected_of(ctx)
        evidence = ctx.evidence
        if actual is MISSING or expected is MISSING:
            if len(evidence) < MAX_EVIDENCE:
                evidence.append(Evidence(path, _shown(actual), op_name, _shown(expected), UNKNOWN))
            return UNKNOWN
        try:
            if op is None:  # a date operator
                age = (ctx.now - _date(actual)).total_seconds() / 86400
                ok = age <= _num(expected) if op_name == "within_days" else age > _num(expected)
            else:
                ok = op(actual, expected)
        except (TypeError, ValueError, re.error):
            raise EvalError(f"cannot apply {op_name} to {path} = {_brief(actual)} and {_brief(expected)}") from None
        result = TRUE if ok else FALSE
        if len(evidence) < MAX_EVIDENCE:
            evidence.append(Evidence(path, actual, op_name, expected, result))
        return result

    return leaf


def _in_catalog(path: str, actual: Any, name: Any, ctx: Context) -> Tri:
    catalog = ctx.catalogs.get(str(name))
    if catalog is None:
        raise EvalError(f"catalog {name!r} is not loaded")
    if actual is MISSING:
        ctx.note(Evidence(path, _shown(actual), "in_catalog", name, UNKNOWN))
        return UNKNOWN
    entry = catalog.match(str(actual))
    if entry is not None:
        ctx.catalogs_used.add(entry.source)
    result = TRUE if entry is not None else FALSE
    ctx.note(Evidence(path, actual, "in_catalog", name, result))
    return result


def _shown(value: Any) -> Any:
    return None if value is MISSING else value


def _brief(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# ---------------------------------------------------------------- combinators

def _all(results: Iterable[Tri]) -> Tri:
    seen_unknown = False
    for r in results:
        if r == FALSE:
            return FALSE
        seen_unknown |= r == UNKNOWN
    return UNKNOWN if seen_unknown else TRUE


def negate(result: Tri) -> Tri:
    return _NEGATED[result]


_NEGATED: dict[Tri, Tri] = {TRUE: FALSE, FALSE: TRUE, UNKNOWN: UNKNOWN}


def _any(results: Iterable[Tri]) -> Tri:
    """De Morgan: some part true <=> not every part false (short-circuits the same way)."""
    return negate(_all(negate(r) for r in results))


def _label(item: Any) -> str:
    if isinstance(item, dict):
        for key in ("name", "id", "path", "device_name"):
            if isinstance(item.get(key), str):
                return item[key]
    return str(item)[:80]


def _compile_quantified(cond: dict[str, Any]) -> Compiled:
    kind = next(q for q in QUANTIFIERS if q in cond)
    path = cond[kind]
    parts = path_parts(path)
    name = cond["as"]
    that = compile_condition(cond["that"])
    combine = {"every": _all, "some": _any, "none_of": _none}[kind]
    breaks = {"every": FALSE, "some": None, "none_of": TRUE}[kind]

    def quantified(ctx: Context) -> Tri:
        items = resolve_parts(parts, ctx.values)
        if items is MISSING or not isinstance(items, list):
            ctx.note(Evidence(path, None, kind, None, UNKNOWN))
            return UNKNOWN
        results = []
        for item in items:
            r = that(ctx.child(name, item))
            results.append(r)
            if r == breaks:
                label = _label(item)
                if label not in ctx.offenders:
                    ctx.offenders.append(label)
        return combine(results)

    return quantified


def _compile_count(cond: dict[str, Any]) -> Compiled:
    path = cond["count"]
    parts = path_parts(path)
    op_name = next(k for k in COUNT_OPERATORS if k in cond)
    op = OPERATORS[op_name]
    expected_of = compile_operand(cond[op_name])
    that = compile_condition(cond["that"]) if "that" in cond else None
    name = cond.get("as", "item")

    def count(ctx: Context) -> Tri:
        items = resolve_parts(parts, ctx.values)
        if items is MISSING or not isinstance(items, list):
            ctx.note(Evidence(f"count({path})", None, op_name, cond[op_name], UNKNOWN))
            return UNKNOWN
        n = unknown = 0
        if that is None:
            n = len(items)
        else:
            for item in items:
                r = that(ctx.child(name, item))
                n += r == TRUE
                unknown += r == UNKNOWN
        expected = expected_of(ctx)
        if expected is MISSING:
            return UNKNOWN
        try:
            low, high = op(n, expected), op(n + unknown, expected)
        except TypeError:
            raise EvalError(f"count {op_name} needs a number, got {_brief(expected)}") from None
        # With unknown items the count lies in [n, n + unknown]; answer only if both ends agree.
        result = (TRUE if low else FALSE) if low == high else UNKNOWN
        ctx.note(Evidence(f"count({path})", n if not unknown else f"{n}..{n + unknown}", op_name, expected, result))
        return result

    return count


def _compile_same(cond: dict[str, Any]) -> Compiled:
    """Cross-subject consistency: the same value on every element (per group when `by` is given)."""
    path = cond["same"]
    parts = path_parts(path)
    name = cond["as"]
    value_parts = path_parts(cond["value"])
    by_parts = path_parts(cond["by"]) if "by" in cond else None

    def same(ctx: Context) -> Tri:
        items = resolve_parts(parts, ctx.values)
        if items is MISSING or not isinstance(items, list):
            ctx.note(Evidence(path, None, "same", None, UNKNOWN))
            return UNKNOWN
        groups: dict[str, dict[str, list[str]]] = {}
        unknown = False
        for item in items:
            values = ctx.child(name, item).values
            value = resolve_parts(value_parts, values)
            group = resolve_parts(by_parts, values) if by_parts else ""
            if value is MISSING or group is MISSING:
                unknown = True
                continue
            groups.setdefault(str(group).casefold(), {}).setdefault(_norm(value), []).append(_owner_label(item))
        inconsistent = {g: vals for g, vals in groups.items() if len(vals) > 1}
        for group, values_seen in sorted(inconsistent.items()):
            shown = {v: sorted(set(members)) for v, members in values_seen.items()}
            ctx.note(Evidence(cond["value"] + (f" [{group}]" if group else ""), shown, "same", None, FALSE))
            for members in values_seen.values():
                for member in members:
                    if member not in ctx.offenders:
                        ctx.offenders.append(member)
        if inconsistent:
            return FALSE
        if unknown:
            ctx.note(Evidence(cond["value"], None, "same", None, UNKNOWN))
            return UNKNOWN
        ctx.note(Evidence(cond["value"], sorted({v for g in groups.values() for v in g}), "same", None, TRUE))
        return TRUE

    return same


def _norm(value: Any) -> str:
    return value.casefold() if isinstance(value, str) else repr(value)


def _owner_label(item: Any) -> str:
    if isinstance(item, dict) and isinstance(item.get("node"), str):
        return item["node"]
    return _label(item)


def _none(results: Iterable[Tri]) -> Tri:
    return negate(_any(results))


_COMBINERS: dict[str, Callable[[Iterable[Tri]], Tri]] = {"all": _all, "any": _any, "none": _none}


def _compile_logic(cond: dict[str, Any]) -> Compiled | None:
    for key, combine in _COMBINERS.items():
        if key in cond:
            parts = [compile_condition(c) for c in cond[key]]
            return lambda ctx: combine(p(ctx) for p in parts)
    if "not" in cond:
        inner = compile_condition(cond["not"])
        return lambda ctx: negate(inner(ctx))
    return None


_CACHE: dict[int, tuple[dict[str, Any], Compiled]] = {}
_CACHE_LIMIT = 4096


def compile_condition(cond: dict[str, Any]) -> Compiled:
    """Turn a load-checked condition into a function of the context, once per condition object."""
    hit = _CACHE.get(id(cond))
    if hit is not None and hit[0] is cond:
        return hit[1]
    compiled = _compile_logic(cond)
    if compiled is None:
        if any(q in cond for q in QUANTIFIERS):
            compiled = _compile_quantified(cond)
        elif "count" in cond:
            compiled = _compile_count(cond)
        elif "same" in cond:
            compiled = _compile_same(cond)
        else:
            compiled = _compile_leaf(cond)
    if len(_CACHE) >= _CACHE_LIMIT:
        _CACHE.clear()
    _CACHE[id(cond)] = (cond, compiled)  # keeping cond alive keeps its id from being reused
    return compiled


def evaluate(cond: dict[str, Any], ctx: Context) -> Tri:
    """Evaluate a (load-checked) condition to TRUE, FALSE or UNKNOWN."""
    return compile_condition(cond)(ctx)


# ---------------------------------------------------------------- load-time checks

def check_condition(cond: Any, where: tuple[Any, ...]) -> list[tuple[tuple[Any, ...], str]]:
    """Structural problems of a condition, each with the path inside the rule where it sits."""
    if not isinstance(cond, dict):
        return [(where, "a condition must be a mapping")]
    keys = set(cond)
    for logic in ("all", "any", "none"):
        if logic in cond:
            if keys != {logic}:
                return [(where, f"'{logic}' cannot be combined with {sorted(keys - {logic})}")]
            if not isinstance(cond[logic], list) or not cond[logic]:
                return [(where + (logic,), f"'{logic}' needs a non-empty list of conditions")]
            out: list[tuple[tuple[Any, ...], str]] = []
            for i, sub in enumerate(cond[logic]):
                out += check_condition(sub, where + (logic, i))
            return out
    if "not" in cond:
        if keys != {"not"}:
            return [(where, f"'not' cannot be combined with {sorted(keys - {'not'})}")]
        return check_condition(cond["not"], where + ("not",))
    quant = [q for q in QUANTIFIERS if q in cond]
    if quant:
        return _check_scoped(cond, where, quant[0], required={"as", "that"}, optional=set())
    if "count" in cond:
        ops = [k for k in COUNT_OPERATORS if k in cond]
        if len(ops) != 1:
            return [(where, f"'count' needs exactly one of {', '.join(COUNT_OPERATORS)}")]
        return _check_scoped(cond, where, "count", required=set(ops), optional={"as", "that"})
    if "same" in cond:
        return _check_scoped(cond, where, "same", required={"as", "value"}, optional={"by"})
    if "fact" in cond:
        return _check_leaf(cond, where)
    return [(where, f"unknown condition {sorted(keys)}: expected all/any/none/not, every/some/none_of, count, same, or fact + operator")]


def _check_scoped(cond: dict[str, Any], where: tuple[Any, ...], head: str, *, required: set[str], optional: set[str]) -> list[tuple[tuple[Any, ...], str]]:
    keys = set(cond) - {head}
    problems = [(where, f"'{head}' needs '{k}'") for k in sorted(required - keys)]
    problems += [(where + (k,), f"unexpected key '{k}' in '{head}'") for k in sorted(keys - required - optional)]
    problems += _check_path(cond[head], where + (head,), allow_star=True)
    if "as" in cond and (not isinstance(cond["as"], str) or not re.fullmatch(r"[a-z_][a-z0-9_]*", cond["as"])):
        problems.append((where + ("as",), "'as' must be a lower-case name"))
    for key in ("value", "by"):
        if key in cond:
            problems += _check_path(cond[key], where + (key,), allow_star=False)
    if "that" in cond:
        problems += check_condition(cond["that"], where + ("that",))
    for key in COUNT_OPERATORS:
        if key in cond and head == "count":
            problems += _check_operand(cond[key], where + (key,))
    return problems


def _check_leaf(cond: dict[str, Any], where: tuple[Any, ...]) -> list[tuple[tuple[Any, ...], str]]:
    problems = _check_path(cond["fact"], where + ("fact",), allow_star=False)
    ops = [k for k in cond if k != "fact"]
    if len(ops) != 1:
        return problems + [(where, f"a fact test needs exactly one operator, found {len(ops)}")]
    op = ops[0]
    if op not in LEAF_OPERATORS:
        return problems + [(where + (op,), f"unknown operator '{op}'")]
    value = cond[op]
    if op in ("matches", "not_matches"):
        if not isinstance(value, str):
            return problems + [(where + (op,), "a regex must be a string")]
        try:
            re.compile(value)
        except re.error as exc:
            return problems + [(where + (op,), f"bad regex {value!r}: {exc}")]
    if op in ("in", "not_in") and not isinstance(value, (list, dict)):
        problems.append((where + (op,), f"'{op}' needs a list"))
    if op in ("exists", "empty") and not isinstance(value, bool):
        problems.append((where + (op,), f"'{op}' needs true or false"))
    if op == "in_catalog" and not isinstance(value, str):
        problems.append((where + (op,), "'in_catalog' needs a catalog name"))
    if op not in ("exists", "empty", "in_catalog", "matches", "not_matches"):
        problems += _check_operand(value, where + (op,))
    return problems


def _check_operand(value: Any, where: tuple[Any, ...]) -> list[tuple[tuple[Any, ...], str]]:
    if not isinstance(value, dict):
        return []
    keys = set(value)
    if keys == {"fact"}:
        return _check_path(value["fact"], where + ("fact",), allow_star=False)
    if keys == {"param"}:
        return [] if isinstance(value["param"], str) else [(where, "'param' needs a name")]
    if "catalog" in value:
        if not (keys in ({"catalog", "key", "field"}, {"catalog", "match", "field"})) \
                or not isinstance(value["catalog"], str) or not isinstance(value["field"], str):
            return [(where, "a catalog lookup is {catalog: NAME, key: VALUE or match: VALUE, field: PATH}")]
        return _check_operand(value.get("key", value.get("match")), where + ("key" if "key" in value else "match",))
    return [(where, f"unknown operand {sorted(keys)}: use a literal, {{fact: ...}}, {{param: ...}} or {{catalog: ...}}")]


def _check_path(path: Any, where: tuple[Any, ...], *, allow_star: bool) -> list[tuple[tuple[Any, ...], str]]:
    if not isinstance(path, str) or not PATH_RE.match(path):
        return [(where, f"bad fact path {path!r}")]
    if "[*]" in path and not allow_star:
        return [(where, f"'[*]' is only allowed in every/some/none_of/count/same collections: {path!r}")]
    return []


def facts_read(cond: Any) -> list[str]:
    """The fact paths a condition reads, for `rules explain` and the docs."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("fact", "every", "some", "none_of", "count", "same", "value", "by") and isinstance(value, str):
                    if value not in found:
                        found.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(cond)
    return found
