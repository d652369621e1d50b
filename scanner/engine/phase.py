"""The phase the facts show, which selects the rules; the operator's `--phase` is a statement of intent.

Several OS releases among the members: **mixed**. One release: **post** when it is the target release
(or the functional level is still below what that release brings: the nodes are upgraded and the
level is not yet raised), else **pre**. Nothing known about the releases: no observed phase, and the
declared one has to stand in (the gaps that caused it keep the verdict from GO anyway).

A declared phase that differs from the observed one is itself a finding (rule PHS-001 reads
`params.declared_phase` and `params.observed_phase`): a rule the observed state calls for is never
skipped because someone said otherwise (issue #10: `--phase pre` on a mixed-OS cluster with a
deduplicated volume must still run the dedup fail-back rule).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from scanner.engine.catalogs import Catalog
from scanner.facts.view import FactsView
from scanner.model import Phase
from scanner.versions import RELEASES


@dataclass(frozen=True)
class PhaseReading:
    observed: Phase | None
    why: str  # one line: what in the facts decided it


def functional_levels(catalogs: Mapping[str, Catalog]) -> dict[str, int]:
    """Release -> the cluster functional level it brings, from the os_releases catalog."""
    catalog = catalogs.get("os_releases")
    if catalog is None:
        return {}
    return {e.key: e.data["functional_level"] for e in catalog.entries.values()
            if isinstance(e.data.get("functional_level"), int)}


def observed_phase(view: FactsView, target_os: str | None, levels: Mapping[str, int]) -> PhaseReading:
    cluster = view.cluster
    releases: list[str] = cluster.get("os_releases") or []
    mixed = cluster.get("mixed_mode")
    if mixed:
        return PhaseReading("mixed", f"the members run {len(releases)} OS releases ({', '.join(releases)})")
    if mixed is None or not releases:
        return PhaseReading(None, "the OS release of some member is not known")
    release = releases[0]
    level = cluster.get("functional_level")
    own_level = levels.get(release)
    if target_os is not None and release in RELEASES and target_os in RELEASES:
        if RELEASES.index(release) >= RELEASES.index(target_os):
            return PhaseReading("post", f"every member runs {release}, the target release")
        return PhaseReading("pre", f"every member runs {release}, before the target {target_os}")
    if isinstance(level, int) and own_level is not None and level < own_level:
        return PhaseReading("post", f"every member runs {release} and the functional level ({level}) is not raised yet")
    return PhaseReading(None, f"every member runs {release}; without a target OS the facts cannot tell pre from post")

