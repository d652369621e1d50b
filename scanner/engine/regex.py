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
