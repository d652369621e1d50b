"""The cyclic garbage collector kept off what a phase builds in bulk: paused while a phase builds
many objects at once (the engine's findings, WeasyPrint's boxes), or told to leave alone what a phase
keeps to its end (a scan's decoded node outputs, what forked workers inherit). Each collection walks
every object it tracks again, and a full one walks them all. Reference counting still frees what a
phase drops."""
from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
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


@contextmanager
def kept_frozen(*, thaw_every: int = 256) -> Iterator[Callable[[], None]]:
    """Yields `keep`, to call whenever objects that will live to the end of the phase were stored:
    it moves everything tracked so far out of the collector's generations (gc.freeze), so later
    collections no longer walk them.

    For a scan: each node's decoded output is thousands of dicts and lists kept until the facts are
    built, and the full collections the growing heap triggers walked all of them again (~1 ms of CPU
    per node at 64 nodes). What is frozen with them includes the cyclic garbage of nodes still in
    flight (~50 KB per node when the nodes are collected by threads of this process), which only a
    collection after unfreezing frees: every `thaw_every` calls, and when the phase ends, the
    objects are unfrozen and collected, unless something had frozen objects before the phase
    (gc.unfreeze cannot tell whose they are)."""
    thawed = gc.get_freeze_count() == 0
    kept = 0

    def keep() -> None:
        nonlocal kept
        kept += 1  # from several threads: a count lost to a race only delays the next thaw
        if thawed and kept % thaw_every == 0:
            gc.unfreeze()
            gc.collect()
        gc.freeze()

    try:
        yield keep
    finally:
        if thawed:
            gc.unfreeze()
