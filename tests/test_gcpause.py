"""The garbage collector kept off what a phase builds (scanner/gcpause.py)."""
from __future__ import annotations

import gc
import weakref

from scanner.gcpause import kept_frozen, paused_gc


def _in_a_generation(obj: object) -> bool:
    return any(o is obj for g in range(3) for o in gc.get_objects(g))


def test_kept_objects_leave_the_generations_and_come_back_when_the_phase_ends() -> None:
    gc.unfreeze()
    with kept_frozen() as keep:
        kept = [{"a": [1]}]
        assert _in_a_generation(kept)
        keep()
        assert not _in_a_generation(kept) and gc.get_freeze_count() > 0
        later = [{"b": [2]}]
        assert _in_a_generation(later)  # only what existed at keep() is frozen
    assert gc.get_freeze_count() == 0 and _in_a_generation(kept)


def test_a_freeze_made_before_the_phase_is_left_as_it_was() -> None:
    """gc.unfreeze cannot tell whose objects it thaws: a phase that starts with frozen objects
    (a forked worker's inheritance, the engine's findings) leaves all of them frozen."""
    gc.unfreeze()
    before = [{"x": 1}]
    gc.freeze()
    try:
        with kept_frozen() as keep:
            keep()
        assert not _in_a_generation(before) and gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_cyclic_garbage_frozen_with_the_kept_objects_is_freed_after_the_phase() -> None:
    gc.unfreeze()

    class Node:
        pass

    with kept_frozen() as keep:
        cycle = Node()
        cycle.me = cycle  # type: ignore[attr-defined]
        alive = weakref.ref(cycle)
        keep()
        del cycle
        gc.collect()
        assert alive() is not None  # frozen: no collection sees it during the phase
    gc.collect()
    assert alive() is None


def test_cyclic_garbage_frozen_with_kept_objects_is_freed_every_so_many_keeps() -> None:
    """A long scan does not hold the garbage of all its nodes in flight until it ends."""
    gc.unfreeze()

    class Node:
        pass

    with kept_frozen(thaw_every=3) as keep:
        cycle = Node()
        cycle.me = cycle  # type: ignore[attr-defined]
        alive = weakref.ref(cycle)
        keep()
        del cycle
        keep()
        gc.collect()
        assert alive() is not None
        kept = [{"still": "here"}]
        keep()  # the third: unfrozen, collected, frozen again
        assert alive() is None
        assert not _in_a_generation(kept) and gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0


def test_a_pause_restores_the_collector_and_an_inner_pause_leaves_it_to_the_outer() -> None:
    assert gc.isenabled()
    with paused_gc():
        with paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
