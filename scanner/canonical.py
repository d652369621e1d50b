"""Canonical JSON: the one byte form of a document we hash, embed and write (evaluate --out,
report --format json, the PDF attachment, the facts digest). Sorted keys, UTF-8, no whitespace."""
from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterator
from typing import Any

_encode = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode

# How many levels of dicts and lists are written piece by piece before one piece is encoded whole:
# a result document is {..., "findings": [finding, ...]}, so depth 2 encodes one finding at a time.
PIECE_DEPTH = 2


def canonical_json(doc: Any) -> bytes:
    """The bytes we hash and embed: sorted keys, UTF-8, no trailing whitespace.

    The same bytes as json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":")),
    written piece by piece: json.dumps of a whole 1,000-node result (33 MB) first builds a list of
    every key and value as its own string, about three times the output (95 MB at the peak)."""
    out = io.BytesIO()
    for piece in _pieces(doc, PIECE_DEPTH):
        out.write(piece.encode("utf-8"))
    return out.getvalue()


def _pieces(doc: Any, depth: int) -> Iterator[str]:
    if depth and isinstance(doc, dict) and all(type(k) is str for k in doc):
        yield "{"
        for i, key in enumerate(sorted(doc)):
            yield f"{',' if i else ''}{_encode(key)}:"
            yield from _pieces(doc[key], depth - 1)
        yield "}"
    elif depth and isinstance(doc, list) and doc:
        yield "["
        for i, item in enumerate(doc):
            if i:
                yield ","
            yield from _pieces(item, depth - 1)
        yield "]"
    else:  # a leaf, or a dict whose keys json.dumps would convert: encoded whole, exactly as json.dumps does
        yield _encode(doc)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
