"""The mixed-mode clock: how long a cluster has run with nodes on different OS builds.

Microsoft asks that a rolling upgrade finish "within four weeks" (domain.md §1.4); rule MIX-002
reads `scan.mixed_mode_since`, which this sets, and fails once the window is older than 28 days.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from scanner.facts.model import FactsDoc
from scanner.facts.view import FactsView, build_view, view_of
from scanner.history.db import StorageError
from scanner.times import format_utc, parse_time, parse_utc, utc_now

log = logging.getLogger(__name__)

Source = Literal["history", "install_date", "this_scan"]


def facts_mixed_mode(facts: FactsDoc) -> bool | None:
    """The engine's own answer (scanner.facts.view: nodes on different releases, Get-ClusterNode builds
    standing in for nodes that could not be reached), so the clock and the rules never disagree."""
    return build_view(facts).cluster["mixed_mode"]


@dataclass(frozen=True)
class MixedModeClock:
    """Whether the scanned cluster is in mixed mode, since when, and for how many days."""

    mixed: bool | None
    since: datetime | None = None
    age_days: float | None = None
    source: Source | None = None

    @property
    def since_iso(self) -> str | None:
        """The value for facts `scan.mixed_mode_since` (ISO UTC or null)."""
        return format_utc(self.since) if self.since else None


class MixedModeHistory(Protocol):
    """What the clock asks the history (scanner.history.store.HistoryStore answers it)."""

    def first_mixed_mode_seen(self, cluster: str) -> datetime | None: ...


def mixed_mode_clock(facts: FactsDoc, store: MixedModeHistory | None,
                     now: datetime | None = None, *, view: FactsView | None = None) -> MixedModeClock:
    """Start and age of the mixed-mode window this scan is in; age counted at the scan time.

    The start is the earliest of: when the history first saw the current window, and the OS
    install date of the nodes on the newest build (an upgraded node's InstallDate is when it
    was upgraded, so the first one marks the window's start when the history begins mid-window).
    With neither, the window starts with this scan. `view`: the run's cluster view, when the caller
    has built it already (scanner/pipeline), so it is built once per run.
    """
    mixed = view_of(facts, view).cluster["mixed_mode"]
    if not mixed:
        return MixedModeClock(mixed=mixed)
    scan_time = parse_time((facts.get("scan") or {}).get("collected_at")) or now or utc_now()
    candidates: list[tuple[datetime, Source]] = []
    cluster = (facts.get("cluster") or {}).get("name")
    if store is not None and cluster:
        try:
            seen = store.first_mixed_mode_seen(cluster)
        except StorageError as exc:  # a damaged history never blocks a scan: the clock falls back
            log.warning("history not readable (%s): the mixed-mode clock does without it", exc)
            seen = None
        if seen is not None:
            candidates.append((seen, "history"))
    installed = _newest_build_install_date(facts)
    if installed is not None:
        candidates.append((installed, "install_date"))
    since, source = min(candidates, default=(scan_time, "this_scan"), key=lambda c: c[0])
    since = min(since, scan_time)
    age = max((scan_time - since).total_seconds(), 0.0) / 86400.0
    return MixedModeClock(mixed=True, since=since, age_days=round(age, 2), source=source)


def _newest_build_install_date(facts: FactsDoc) -> datetime | None:
    reached = [os_ for n in facts.get("nodes") or [] if n.get("reachable") and (os_ := n.get("os"))]
    builds = [(b, os_) for os_ in reached if isinstance(b := os_.get("build"), int)]
    if not builds:
        return None
    newest = max(b for b, _ in builds)
    dates: list[datetime] = []
    for build, os_ in builds:
        text = os_.get("install_date")
        if build == newest and text:
            try:
                dates.append(parse_utc(text))
            except ValueError:
                continue  # an unparsable date is no evidence; other sources still count
    return min(dates, default=None)
