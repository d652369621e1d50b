"""Linear-time regular expressions (RE2) for every pattern the engine runs against server strings.

Why: Python's `re` backtracks. A shipped catalog pattern (`Emulex .*(…)`) took 17 s of CPU on a
64 KiB device name, so a hostile driver name could stall a scan. RE2 (google-re2) runs in time
linear in the input whatever the pattern; what RE2 cannot run in linear time (backreferences,
lookaround) it refuses to compile, so such a pattern is rejected when its catalog or rule loads.
"""
from __future__ import annotations

from typing import Any

import re2

LINEAR_ONLY = "patterns run on RE2 (linear time): no backreferences, lookahead or lookbehind"


_SPECIAL = frozenset(".^$*+?{}[]\\|()")


class PlainText:
    """A pattern without special characters (`Windows Server`, `^Veeam`): found with `in` or
    `startswith`, which is what RE2 would answer, at a tenth of the cost of a call into RE2."""

    __slots__ = ("text", "anchored")

    def __init__(self, text: str, anchored: bool):
        self.text = text
        self.anchored = anchored

    def search(self, value: str) -> bool | None:
        found = value.startswith(self.text) if self.anchored else self.text in value
        return True if found else None


def compile_rule_pattern(pattern: str) -> Any:
    """A rule's `matches` pattern compiled at load: a plain text (optionally anchored with `^`) as a
    PlainText, anything else through compile_linear. Both answer `.search(text)` (None: no match)."""
    body = pattern[1:] if pattern.startswith("^") else pattern
    if body and not _SPECIAL.intersection(body):
        return PlainText(body, anchored=pattern.startswith("^"))
    return compile_linear(pattern)


def compile_linear(pattern: str, *, ignore_case: bool = False) -> Any:
    """The compiled pattern (`.search(text)` as with `re`); ValueError saying why RE2 refuses it."""
    options = re2.Options()
    options.case_sensitive = not ignore_case
    options.log_errors = False  # RE2 would print its own parse errors on stderr
    try:
        return re2.compile(pattern, options)
    except re2.error as exc:
        reason = exc.args[0].decode("utf-8", "replace") if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise ValueError(f"{reason}; {LINEAR_ONLY}") from None
