"""PowerShell literals for the scripts rollready writes (scheduled-task line, upgrade runbook).

Every value is a single-quoted literal, so nothing in a name or path is ever interpreted.
"""
from __future__ import annotations

from collections.abc import Iterable

_QUOTES = "'\u2018\u2019\u201a\u201b"  # PowerShell treats the typographic single quotes as quotes too


def ps_quote(text: str) -> str:
    return "'" + "".join(c * 2 if c in _QUOTES else c for c in text) + "'"


def ps_list(items: Iterable[str]) -> str:
    """An array argument: 'A','B' (a comma list binds as one string[] parameter value)."""
    return ",".join(ps_quote(i) for i in items)
