"""The values conditions work with: the three truth values and the mark of a fact that was not
collected.

A condition is true, false or unknown. A fact that is absent or null is unknown, and unknown
propagates (Kleene logic), so a missing fact can never turn into a pass.
"""
from __future__ import annotations

from typing import Any, Literal

Tri = Literal["true", "false", "unknown"]  # a condition's value
TRUE: Tri = "true"
FALSE: Tri = "false"
UNKNOWN: Tri = "unknown"
NEGATED: dict[Tri, Tri] = {TRUE: FALSE, FALSE: TRUE, UNKNOWN: UNKNOWN}


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


def shown(value: Any) -> Any:
    return None if value is MISSING else value


def brief(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
