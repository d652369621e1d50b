"""What a scan tells whoever shows its progress: a node started, a node finished.

The scan never draws anything itself (only scanner/cli/ writes to the terminal): it reports to the
Display its options name, made for the clusters being scanned; scanner/cli/progress.py draws one
on stderr. Without one, nothing is shown.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from scanner.collect.winrm import NodeResult

NodeKey = tuple[int, int]  # (cluster index, node index): node names repeat across clusters
Groups = Sequence[tuple[str, Sequence[str]]]  # (cluster name, its node names), in scan order


class Display(Protocol):
    """Shown for the duration of the collection (a context manager); started and finished are
    called from the collecting threads, or from the process pool's result pump."""

    def __enter__(self) -> Display: ...

    def __exit__(self, *exc: object) -> None: ...

    def started(self, key: NodeKey) -> None: ...

    def finished(self, key: NodeKey, result: NodeResult) -> None: ...


DisplayFactory = Callable[[Groups], Display]


class NoDisplay:
    """Shows nothing: a library call, a test, a run without a terminal."""

    def __init__(self, groups: Groups = ()) -> None:
        pass

    def __enter__(self) -> NoDisplay:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def started(self, key: NodeKey) -> None:
        pass

    def finished(self, key: NodeKey, result: NodeResult) -> None:
        pass
