"""Text a PDF can really draw: a character no installed font has becomes its code point, [U+1F600].

Why: PDF/A forbids showing a character without its glyph, yet WeasyPrint (through Pango) draws a
missing-glyph box for a character no font covers, and servers send CJK, Korean and emoji names.
So before layout, every character outside the union of the installed fonts' character maps is
replaced by its code point in brackets, readable in every viewer. scripts/bootstrap.sh installs
DejaVu (Latin, Greek, Cyrillic, symbols) and Noto CJK (Chinese, Japanese, Korean), so those are drawn
as written. Colour-bitmap fonts (emoji) are left out: their glyphs are images PDF/A readers need
not show. The JSON attachments are separate bytes and keep the original text.
"""
from __future__ import annotations

import functools
import logging
import re
import shutil
import subprocess

log = logging.getLogger(__name__)

_NON_ASCII = re.compile(r"[^\x00-\x7f]")


@functools.cache
def drawable() -> frozenset[int] | None:
    """Code points some installed outline font covers, from fontconfig's cached character sets;
    None when fontconfig cannot say (then the text is left as it is)."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return None
    try:
        listed = subprocess.run([fc_list, "--format", "%{color} %{charset}\n"], capture_output=True, text=True,
                                timeout=30, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    covered: set[int] = set()
    for line in listed.splitlines():
        color, _, charset = line.partition(" ")
        if color == "True":  # colour-bitmap (emoji) fonts: images, not glyphs PDF/A readers must show
            continue
        for span in charset.split():
            first, _, last = span.partition("-")
            try:
                covered.update(range(int(first, 16), int(last or first, 16) + 1))
            except ValueError:
                log.debug("fontconfig charset span %r not understood", span)
    return frozenset(covered) if covered else None


def printable(text: str) -> str:
    """text with every character no installed font can draw written as [U+XXXX]."""
    covered = drawable()
    if covered is None:
        return text
    return _NON_ASCII.sub(lambda m: m.group() if ord(m.group()) in covered else f"[U+{ord(m.group()):04X}]", text)
