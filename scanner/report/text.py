"""Making untrusted strings inert for people: visible control characters, clipped length, one line."""
from __future__ import annotations

import json
import re
from typing import Any

from scanner.inert import inert, one_line, visible

__all__ = ["clip", "human", "inert", "one_line", "soft_breaks", "value_text", "visible"]

_LONG_RUN = re.compile(r"\S{65,}")  # longer than a SHA-256 hex digest


def soft_breaks(text: str) -> str:
    """Allow a line break every 40 characters inside runs longer than a SHA-256 digest.

    Layout engines handle a break opportunity far faster than `overflow-wrap: anywhere`.
    """
    return _LONG_RUN.sub(lambda m: "\u200b".join(m.group()[i:i + 40] for i in range(0, len(m.group()), 40)), text)


def clip(text: str, limit: int) -> str:
    """Cut text to about limit characters and say how much was left out (the JSON has it all)."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… [{len(text) - limit} more characters in findings.json]"


def value_text(value: Any) -> str:
    """A fact value as a person reads it: strings bare, everything else as compact JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(", ", ": "))


def human(value: Any) -> str:
    """A value as a person reads it in a report: never JSON, never a bare `null`.

    Lists are comma-separated, mappings `key: value; ...`, None is "none", booleans true/false
    (as the rules spell them)."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)):
        return ", ".join(human(v) for v in value) if value else "(empty)"
    if isinstance(value, dict):
        return "; ".join(f"{k}: {human(v)}" for k, v in value.items()) if value else "(empty)"
    return str(value)


def coverage_lines(result: dict[str, Any], *, unreachable: bool = True) -> list[str]:
    """Members of the cluster the scan did not cover, and scanned nodes the cluster does not list, one
    line each; `unreachable=False` leaves out the members already listed as unreachable nodes."""
    cov = result.get("coverage") or {}
    lines = []
    if cov.get("members") is None and cov:
        lines.append("the cluster's member list was not collected: coverage cannot be checked")
    for m in cov.get("not_scanned") or []:
        why = "not in the inventory or --node list" if m["reason"] == "not_in_scan" else "could not be collected"
        if m["reason"] == "not_in_scan" or unreachable:
            lines.append(f"member {m['name']} not scanned ({why})")
    lines += [f"{name} was scanned but is not a member of the cluster" for name in cov.get("not_members") or []]
    return lines
