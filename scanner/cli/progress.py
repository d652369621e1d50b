"""Per-node progress on stderr during a scan, grouped by cluster for a fleet; silent when stderr is
not a terminal. The scan reports to it (scanner/collect/progress.py: Display); the command line
makes it."""
from __future__ import annotations

import sys
from typing import Any

from scanner.collect.progress import Groups, NodeKey
from scanner.collect.winrm import NodeResult

# A frame of 64 nodes takes rich about 15 ms to render, under the GIL the collecting threads need:
# at rich's default 10 frames a second the display alone took 15 % of a CPU during a 64-node scan.
REFRESH_PER_SECOND = 2

class Progress:
    """One row per node for a single cluster. For a fleet, one row per cluster (nodes collected of
    all, failures) with a row under it for each node being collected or failed: a thousand healthy
    nodes do not scroll the clusters away."""

    def __init__(self, groups: Groups, enabled: bool | None = None) -> None:
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self._rich: Any = None
        self._fleet = len(groups) > 1
        self._tasks: dict[NodeKey, Any] = {}
        self._headers: list[Any] = []
        self._done = [[0, 0, len(nodes)] for _, nodes in groups]  # collected, failed, total
        self._names = [name for name, _ in groups]
        if not self.enabled:
            return
        from rich.console import Console
        from rich.progress import Progress as RichProgress
        from rich.progress import SpinnerColumn, TextColumn, TimeElapsedColumn

        self._rich = RichProgress(
            SpinnerColumn(), TextColumn("{task.description:<24}"), TextColumn("{task.fields[status]}"),
            TimeElapsedColumn(), console=Console(stderr=True), transient=False,
            refresh_per_second=REFRESH_PER_SECOND,
        )
        for ci, (cluster, nodes) in enumerate(groups):
            if self._fleet:
                self._headers.append(self._rich.add_task(_escape(cluster), total=len(nodes), start=False,
                                                         status=self._header_status(ci)))
            for ni, name in enumerate(nodes):
                label = f"  {name}" if self._fleet else name
                self._tasks[ci, ni] = self._rich.add_task(_escape(label), total=1, start=False, status="waiting",
                                                          visible=not self._fleet)

    def __enter__(self) -> Progress:
        if self._rich is not None:
            self._rich.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._rich is not None:
            self._rich.stop()

    def _header_status(self, ci: int) -> str:
        collected, failed, total = self._done[ci]
        text = f"{collected + failed} of {total} nodes"
        return text + (f", [red]{failed} not collected[/]" if failed else "")

    def started(self, key: NodeKey) -> None:
        if self._rich is None:
            return
        self._rich.start_task(self._tasks[key])
        self._rich.update(self._tasks[key], status="collecting", visible=True)
        if self._fleet:
            self._rich.start_task(self._headers[key[0]])

    def finished(self, key: NodeKey, result: NodeResult) -> None:
        if self._rich is None:
            return
        error = result.error
        status = "[green]collected[/]" if error is None else f"[red]{error['section']}:[/] {_escape(error['message'])}"
        self._rich.update(self._tasks[key], completed=1, status=status, visible=not self._fleet or error is not None)
        if self._fleet:
            self._done[key[0]][0 if error is None else 1] += 1
            self._rich.update(self._headers[key[0]], advance=1, status=self._header_status(key[0]))


def _escape(text: str) -> str:
    """Inert for rich: no markup, no escape sequence, one line."""
    from rich.markup import escape

    from scanner.inert import inert

    return escape(inert(text))
