"""HTTP exchanges and bytes on the wire, per lab node (for the collection benchmark)."""
from __future__ import annotations

import threading


class NodeStats:
    """Counters one node's connection threads update; read with snapshot()."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._exchanges = 0
        self._bytes_in = 0
        self._bytes_out = 0

    def request(self, bytes_in: int) -> None:
        with self._lock:
            self._exchanges += 1
            self._bytes_in += bytes_in

    def sent(self, bytes_out: int) -> None:
        with self._lock:
            self._bytes_out += bytes_out

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return {"exchanges": self._exchanges, "bytes_in": self._bytes_in, "bytes_out": self._bytes_out}
