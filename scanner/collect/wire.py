"""The collector's one output string as it crosses WinRM.

Run by the scanner, collector.ps1 gets `-CompressOutput` and writes its JSON document as UTF-8,
gzip-compressed (.NET's GZipStream, RFC 1952) and base64-encoded behind PREFIX; run by hand it
writes the JSON text itself. Why: every node returns the whole cluster view, whose owner lists name
every node once per resource, so a node's output grows with the square of the cluster (190 KB of
JSON at 64 nodes, 9 KB compressed). Uncompressed, each byte is carried three times over (CLIXML
string, base64 PSRP fragment, SOAP envelope) and parsed at each layer by pypsrp, which cost the
scanner about 1 ms of CPU per node at 64 nodes; a large output also needs extra Receive exchanges
once it passes the envelope size (docs/collection.md).
"""
from __future__ import annotations

import base64
import binascii
import gzip
import zlib

from scanner.facts.document import MAX_FACTS_BYTES
from scanner.reading import InflateError, inflate

PREFIX = "rollready-gzip-base64:"


class OutputEncodingError(ValueError):
    """The output carries PREFIX but what follows is not base64 of gzip of at most MAX_FACTS_BYTES
    of UTF-8."""


def unpack(text: str) -> str:
    """The JSON text of one output string: the string itself, or a compressed output's, decoded.

    The size is checked while decompressing: a few kilobytes of gzip can expand to gigabytes."""
    if not text.startswith(PREFIX):
        return text
    try:
        packed = base64.b64decode(text[len(PREFIX):], validate=True)
    except (binascii.Error, ValueError):
        raise OutputEncodingError("compressed output is not base64") from None
    try:
        data = inflate(packed, MAX_FACTS_BYTES, kind="gzip", wbits=16 + zlib.MAX_WBITS)  # gzip framing only
    except InflateError as exc:
        raise OutputEncodingError(f"compressed output {exc}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise OutputEncodingError(f"compressed output is not UTF-8 (byte {exc.start})") from None


def pack(json_text: str) -> str:
    """What collector.ps1 -CompressOutput writes for this JSON text (the lab answers with it)."""
    return PREFIX + base64.b64encode(gzip.compress(json_text.encode("utf-8"), mtime=0)).decode("ascii")
