"""Fact paths: `node.os.build`, `cluster.nodes[*].drivers[*]`, `node.features.length`.

A path is checked when the rules load and turned into a resolver once; an absent or null value
anywhere along it resolves to MISSING."""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from scanner.engine.condition.base import Problems, Where
from scanner.engine.condition.values import MISSING

PATH_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*(\[\*\])?(\.[A-Za-z0-9_-]+(\[\*\])?)*$")
Parts = tuple[tuple[str, bool], ...]
Resolver = Callable[[dict[str, Any]], Any]


def check_path(path: Any, where: Where, problems: Problems, *, allow_star: bool) -> bool:
    """Append what is wrong with a path; True when it is sound."""
    if not isinstance(path, str) or not PATH_RE.match(path):
        problems.append((where, f"bad fact path {path!r}"))
        return False
    if "[*]" in path and not allow_star:
        problems.append((where, f"'[*]' is only allowed in every/some/none_of/count/same collections: {path!r}"))
        return False
    return True


def path_parts(path: str) -> Parts:
    return tuple((p[:-3], True) if p.endswith("[*]") else (p, False) for p in path.split("."))


def compile_path(path: str) -> Resolver:
    """A resolver for one path; plain dotted paths (the common case) get a tight one."""
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

    # Most reads find a dict holding the key at every step: subscripting answers those in a few
    # bytecodes. Anything else raises (an absent key, a null on the way, a list's `length`, a string)
    # and is answered by `plain`, which says what every path means.
    if len(keys) == 2:  # `node.x`, `volume.y`, `d.signed`: most leaves of a real pack
        first, second = keys

        def two(values: dict[str, Any]) -> Any:
            try:
                value = values[first][second]
            except (KeyError, TypeError):
                return plain(values)
            return MISSING if value is None else value

        return two
    if len(keys) == 3:  # `node.os.version`
        first, second, third = keys

        def three(values: dict[str, Any]) -> Any:
            try:
                value = values[first][second][third]
            except (KeyError, TypeError):
                return plain(values)
            return MISSING if value is None else value

        return three
    if len(keys) == 4:  # `node.wmi.mscluster.ok`
        first, second, third, fourth = keys

        def four(values: dict[str, Any]) -> Any:
            try:
                value = values[first][second][third][fourth]
            except (KeyError, TypeError):
                return plain(values)
            return MISSING if value is None else value

        return four
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
