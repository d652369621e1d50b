"""What the light scan must alert on at once during mixed mode (pure: no I/O).

* a deduplicated volume owned by an older-OS node while a newer one exists, or whose possible
  owners span two releases (it may move back): the seed's dedup fail-back, before it happens;
* a node that left the Up state;
* mixed mode past its planned end (Microsoft: finish within about four weeks).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from scanner.versions import release_of_build


@dataclass(frozen=True)
class Alert:
    kind: str  # dedup-owner | dedup-may-move | node-state | mixed-overdue
    subject: str
    message: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.kind, self.subject)


def evaluate(view: dict[str, Any], dedup: Iterable[str], *, planned_end: datetime | None,
             mixed_since: datetime | None, now: datetime) -> list[Alert]:
    releases = {n["name"].lower(): release_of_build(n.get("build_number")) for n in view["nodes"]}
    order = sorted({r for r in releases.values() if r})
    newest = order[-1] if order else None
    alerts: list[Alert] = []
    wanted = {d.lower() for d in dedup}
    for disk in view["disks"]:
        if disk["name"].lower() not in wanted:
            continue
        owner = disk.get("owner_node") or ""
        owner_release = releases.get(owner.lower())
        possible = {releases.get(p.lower()) for p in disk["possible_owners"]} - {None}
        if len(order) > 1 and owner_release is not None and owner_release != newest:
            alerts.append(Alert("dedup-owner", disk["name"],
                                f"deduplicated volume {disk['name']} is owned by {owner} ({owner_release}) while "
                                f"members run {newest}: it must not go back once mounted on the newer release"))
        if len(possible) > 1:
            names = ", ".join(f"{p} ({releases.get(p.lower()) or '?'})" for p in disk["possible_owners"])
            alerts.append(Alert("dedup-may-move", disk["name"],
                                f"deduplicated volume {disk['name']} may move between releases: possible owners "
                                f"{names}; restrict them (Set-ClusterOwnerNode) to one release side"))
    for node in view["nodes"]:
        if (node.get("state") or "").lower() != "up":
            alerts.append(Alert("node-state", node["name"], f"node {node['name']} is {node.get('state') or '?'}, not Up"))
    if len(order) > 1 and planned_end is not None and now > planned_end:
        since = f" (since {mixed_since:%Y-%m-%d})" if mixed_since else ""
        alerts.append(Alert("mixed-overdue", view["cluster"],
                            f"mixed mode{since} is past its planned end {planned_end:%Y-%m-%d}: finish the upgrade "
                            "or roll back"))
    return alerts
