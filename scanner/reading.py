"""Reading an input file with a size bound, so a wrong path costs one line, not the machine's memory.

Every loader reads through here. A check of `stat().st_size` first is not enough: a device or a pipe
(`/dev/zero`, `/dev/urandom`, a process substitution) reports size 0 and never ends, and a file may
grow after the check. So at most `limit + 1` bytes are read, and more than `limit` is an input error.
"""
from __future__ import annotations

import zlib
from pathlib import Path

from scanner.errors import InputError, Problem

MB = 1024 * 1024
MAX_YAML_BYTES = 16 * MB  # rules, catalogs, waivers, attestations, inventories, certificates: far beyond any real one
MAX_REPORT_BYTES = 256 * MB  # a PDF report to verify, its attachments included


def read_input(path: str | Path, limit: int, *, what: str = "") -> bytes:
    """The file's bytes; InputError naming the file when it cannot be read or holds more than limit."""
    file = str(path)
    try:
        with open(path, "rb") as fh:
            raw = fh.read(limit + 1)
    except OSError as exc:
        raise InputError([Problem(f"cannot read{' ' + what if what else ''}: {exc.strerror or exc}", file=file)]) from None
    if len(raw) > limit:
        raise InputError([Problem(f"{what or 'file'} is larger than {limit:,} bytes", file=file)])
    return raw


def read_input_text(path: str | Path, limit: int, *, what: str = "", encoding: str = "utf-8") -> str:
    """read_input, decoded."""
    return decoded(read_input(path, limit, what=what), str(path), encoding)


def decoded(raw: bytes, file: str, encoding: str = "utf-8") -> str:
    """raw as text; a byte that is not `encoding` (UTF-8, with or without a BOM) is an input error
    naming its offset."""
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        raise InputError([Problem(f"not UTF-8 text (byte {exc.start})", file=file)]) from None


class InflateError(ValueError):
    """Compressed data that is not of its format, expands beyond its bound, is cut short or goes on
    after its end; the message reads after the name of what it is ("compressed output is cut short")."""


def inflate(raw: bytes, limit: int, *, kind: str, wbits: int = zlib.MAX_WBITS) -> bytes:
    """raw decompressed with a bound checked while inflating: a few kilobytes of gzip or Flate can
    expand to gigabytes. kind names the format in the message ("gzip", "Flate data"); wbits selects it
    (zlib's: MAX_WBITS for a zlib stream, 16 + MAX_WBITS for gzip framing only)."""
    inflater = zlib.decompressobj(wbits=wbits)
    try:
        data = inflater.decompress(raw, limit + 1)
    except zlib.error as exc:
        raise InflateError(f"is not {kind}: {exc}") from None
    if len(data) > limit:
        raise InflateError(f"expands beyond {limit:,} bytes")
    if not inflater.eof:
        raise InflateError("is cut short")
    if inflater.unused_data:
        raise InflateError("has data after its end")
    return data
