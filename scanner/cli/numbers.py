"""argparse types for numeric options, each with its bounds.

A value out of range is a usage error naming the option (exit 64) at parse time. Left to plain
`int`/`float`, `--keep-days nan`, `--port 99999` or `--base-port 70000` reached SQLite, timedelta
or bind() and ended as an internal error (exit 70), and `--port -1` as a node failure.
"""
from __future__ import annotations

import argparse
import math
from collections.abc import Callable


def whole(low: int, high: int) -> Callable[[str], int]:
    """A whole number from low to high."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be at least {low} and at most {high}")
        return value

    return parse


def number(low: float, high: float, *, above_low: bool = False, unit: str = "") -> Callable[[str], float]:
    """A finite number from low (excluded with above_low) to high."""
    span = f"more than {low:g}" if above_low else f"at least {low:g}"
    what = f"a number of {unit}" if unit else "a number"

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None
        if not math.isfinite(value) or value < low or (above_low and value == low) or value > high:
            raise argparse.ArgumentTypeError(f"must be {span} and at most {high:g}")
        return value

    return parse
