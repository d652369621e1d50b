"""Untrusted strings made inert for people: hidden characters shown, one line where a line is due.

A leaf module (no imports from the package) so that the command line, the collector's progress
display and the log formatter can use it without loading the report stack.
"""
from __future__ import annotations

import re

# Bidirectional overrides and isolates (Trojan Source, CVE-2021-42574), zero-width and other format
# characters that can hide or reorder text, and C0/C1 controls except tab and newline.
_HIDDEN = re.compile(
    "[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f"
    "\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufff9-\ufffb"
    "\ud800-\udfff]"
)


def visible(text: str) -> str:
    """Replace every hidden or reordering character by a visible marker such as ⟦U+202E⟧."""
    return _HIDDEN.sub(lambda m: f"\u27e6U+{ord(m.group()):04X}\u27e7", text)


def one_line(text: str) -> str:
    return " ".join(text.split())


def inert(text: str) -> str:
    """One line with every hidden character visible: what a server string may become on a terminal,
    in a log record, a mail header or a command argument (no escape sequence, no forged line)."""
    return visible(one_line(text))
