"""Canonical JSON: the one byte form of a document we hash, embed and write (evaluate --out,
report --format json, the PDF attachment, the facts digest). Sorted keys, UTF-8, no whitespace."""
from __future__ import annotations

import hashlib
import json
from typing import Any


def canonical_json(doc: Any) -> bytes:
    """The bytes we hash and embed: sorted keys, UTF-8, no trailing whitespace."""
    return json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
