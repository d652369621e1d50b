"""The cyclic garbage collector paused while a phase builds many objects at once (the engine's
findings, WeasyPrint's boxes): each collection such a phase triggers walks everything it has built so
far again. Reference counting still frees what the phase drops."""
from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc(*, freeze_after: bool = False) -> Iterator[None]:
    """No cyclic collection for the duration; the collector is restored as it was (a pause inside a
    pause leaves it to the outer one).

    freeze_after: what was built is moved out of the collector's generations when the pause ends,
    for phases whose objects are acyclic (findings, evidence, result documents): without it the
    first collection afterwards walks every one of them. Never for objects that may form cycles
    (a layout's box tree): frozen cycles are never freed."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            if freeze_after:
                gc.freeze()
            gc.enable()
