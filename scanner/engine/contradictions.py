"""Facts that cannot all be true: each one keeps the verdict from GO, named by the fact.

Two kinds, both found on real clusters and in hand-edited fact files:
- a functional level above what the oldest member's release supports (functional level 9 with a
  Windows Server 2012 R2 member): the cluster cannot be in that state, so one of the facts is wrong;
- a date after the scan (a hotfix "installed" on 9999-12-31): the engine reads such a date as unknown
  (scanner/engine/condition/operators.py), and the verdict names it here, instead of letting it count
  as "installed in the last 60 days".
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any

from scanner.facts.view import FactsView, node_release
from scanner.times import parse_utc

CLOCK_SKEW = timedelta(days=1)  # a node's clock may run a little ahead of the scanner's
DATE_KEYS = ("installed_on", "install_date", "last_boot", "signature_updated", "release_date", "collected_at")


def contradictions(view: FactsView, levels: Mapping[str, int], now: datetime) -> list[str]:
    return _level_above_members(view, levels) + _dates_after_scan(view, now)


def _level_above_members(view: FactsView, levels: Mapping[str, int]) -> list[str]:
    level = view.cluster.get("functional_level")
    if not isinstance(level, int):
        return []
    below: dict[tuple[str, int], list[str]] = {}  # (release, its level) -> members on it
    for node in view.nodes:
        release = node_release(node)
        supported = levels.get(release) if release else None
        if release and supported is not None and level > supported:
            below.setdefault((release, supported), []).append(node["name"])
    return [f"contradictory facts: cluster functional level {level} is above the {supported} that Windows Server "
            f"{release} supports, yet {', '.join(names)} run{'s' if len(names) == 1 else ''} it"
            for (release, supported), names in below.items()]


def _dates_after_scan(view: FactsView, now: datetime) -> list[str]:
    limit = now + CLOCK_SKEW
    out = []
    for node in view.nodes:
        for path, value in _dates(node, ""):
            try:
                when = parse_utc(value)
            except ValueError:
                continue  # unreadable dates are unknown to the rules already
            if when > limit:
                out.append(f"impossible fact: {node['name']} {path} = {value} is after the scan ({now.date()})")
    return out


def _dates(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """(path, text) of every date-named string under a node; list items named by id or name."""
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else key
            if key in DATE_KEYS and isinstance(item, str):
                yield where, item
            elif isinstance(item, (dict, list)):
                yield from _dates(item, where)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            label = (item.get("id") or item.get("name")) if isinstance(item, dict) else None
            yield from _dates(item, f"{path}[{label if isinstance(label, str) else i}]")
