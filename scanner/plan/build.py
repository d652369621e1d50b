"""Facts + target release → an ordered rolling-upgrade plan, or the reasons it cannot be made safely.

The procedure is Microsoft's Cluster OS Rolling Upgrade (stop CAU, back up, drain one node at a
time, upgrade, resume, validate, raise the functional level last) with the seed's field practice on
top: move through mixed mode quickly and never let a deduplicated volume that has been mounted on
the newer release fail back to an older node. docs/plan.md cites the source of every step.
"""
from __future__ import annotations

from collections.abc import Sequence

from scanner.errors import InputError, Problem
from scanner.facts.model import ClusterFacts, ClusterMember, FactsDoc
from scanner.facts.view import FactsView, view_of
from scanner.plan import steps as S
from scanner.plan.model import DedupVolume, NodeChoice, Plan, Step
from scanner.versions import RELEASES, release_of, release_of_build

CORE_GROUP = "cluster group"


class PlanRefused(InputError):
    """The facts do not allow a safe plan; every reason is one Problem (exit 65)."""


def build_plan(doc: FactsDoc, target_os: str, *, source: str | None = None, view: FactsView | None = None) -> Plan:
    """The plan for this cluster, or PlanRefused naming every reason it cannot be made safely. `view`:
    the cluster view of `doc` when the caller has built it already (`scan --plan`: once per scan)."""
    view = view_of(doc, view)
    cluster = view.cluster
    members = cluster.get("nodes") or []
    releases = {n["name"].lower(): _release(view, n) for n in members}
    reasons = _refusals(view, members, releases, target_os)
    if reasons:
        raise PlanRefused([Problem(r, file=source) for r in reasons])
    older = [n for n in members if releases[n["name"].lower()] != target_os]
    source_os = next(r for r in RELEASES if r in releases.values())
    dedup = _dedup_volumes(view, releases, target_os)
    order = _node_order(view, older, releases, dedup)
    upgraded = tuple(n["name"] for n in members if releases[n["name"].lower()] == target_os)
    s2d = bool(cluster.get("s2d_enabled"))
    hyperv = _has_hyperv(view)
    cau = bool((cluster.get("cau") or {}).get("role_present"))
    plan_steps: list[Step] = [*S.prepare(cau=cau, s2d=s2d, target_os=target_os)]
    remaining_old = [c.name for c in order]
    new_nodes = list(upgraded)
    for choice in order:
        remaining_old.remove(choice.name)
        plan_steps += S.node_steps(choice.name, target_os=target_os, dedup=dedup, old_after=tuple(remaining_old),
                                   new_nodes=tuple(new_nodes), s2d=s2d)
        new_nodes.append(choice.name)
    plan_steps += S.finish(target_os=target_os, dedup=dedup, all_nodes=tuple(n["name"] for n in members),
                           s2d=s2d, hyperv=hyperv, cau=cau)
    return Plan(cluster=str(cluster.get("name") or "?"), source_os=source_os, target_os=target_os, nodes=tuple(order),
                upgraded=upgraded, steps=tuple(plan_steps), dedup_volumes=dedup, s2d=s2d, hyperv=hyperv, cau=cau,
                quorum=_quorum_text(cluster), notes=_notes(dedup))


def _release(view: FactsView, member: ClusterMember) -> str | None:
    """A member's release from its own facts, else from Get-ClusterNode's build (an unreached node)."""
    node = view.node_of(member)
    os_facts = (node.get("os") if node is not None else None) or {}
    return os_facts.get("release") or release_of(os_facts.get("version")) or release_of_build(member.get("build_number"))


def _refusals(view: FactsView, members: Sequence[ClusterMember], releases: dict[str, str | None],
              target: str) -> list[str]:
    reasons = []
    cluster = view.cluster
    if target not in RELEASES:
        reasons.append(f"target {target} is not a Windows Server release a rolling upgrade reaches ({', '.join(RELEASES[1:])})")
        return reasons
    if len(members) < 2:
        reasons.append("the facts list fewer than two cluster members (Get-ClusterNode); a rolling upgrade needs "
                       "the cluster's member list")
        return reasons
    unknown = sorted(name for name, rel in releases.items() if rel is None)
    if unknown:
        reasons.append(f"the OS release of {', '.join(unknown)} is not known; scan every member first")
    known = {r for r in releases.values() if r}
    if any(RELEASES.index(r) > RELEASES.index(target) for r in known):
        reasons.append(f"a member already runs a release newer than {target}")
    older = sorted(known - {target}, key=RELEASES.index)
    if len(older) > 1:
        reasons.append(f"members run {', '.join(older)}: finish the earlier upgrade first")
    if older and RELEASES.index(target) - RELEASES.index(older[0]) != 1:
        reasons.append(f"{older[0]} → {target} skips a release: a rolling upgrade goes one release at a time "
                       f"(next: {RELEASES[RELEASES.index(older[0]) + 1]})")
    if not older:
        reasons.append(f"every member already runs {target}: nothing to upgrade (raise the functional level "
                       "when the post-upgrade scan allows it)")
    down = sorted(n["name"] for n in members if (n.get("state") or "").lower() != "up")
    if down:
        reasons.append(f"{', '.join(down)} not Up: start only with every node Up and every role healthy")
    reasons += _quorum_refusal(cluster, members)
    return reasons


def _quorum_refusal(cluster: ClusterFacts, members: Sequence[ClusterMember]) -> list[str]:
    """With one node drained the remaining votes must still be a majority."""
    votes = sum(1 for n in members if n.get("node_weight", 1) != 0)
    quorum = cluster.get("quorum")
    if quorum is None:
        return ["the quorum configuration was not collected; it decides whether one node can be out"]
    witness = bool(quorum.get("resource")) and (quorum.get("resource_state") or "Online").lower() == "online"
    total = votes + (1 if witness else 0)
    if (total - 1) * 2 <= total:
        return [f"quorum does not hold with one node out ({votes} node vote{'s' if votes != 1 else ''}"
                f"{' and a witness' if witness else ', no witness'}): add a witness (file share or cloud) first"]
    return []


def _dedup_volumes(view: FactsView, releases: dict[str, str | None], target: str) -> tuple[DedupVolume, ...]:
    out = []
    for vol in view.volumes or []:
        dedup = vol.get("dedup")
        if not (dedup and dedup.get("enabled")):
            continue
        label = " ".join(str(p) for p in (vol.get("path"), f"({vol['label']})" if vol.get("label") else None) if p)
        owners = tuple(o["name"] for o in vol.get("possible_owners") or [])
        owner = vol.get("owner_node")
        out.append(DedupVolume(resource=vol["name"], group=vol["resource"].get("owner_group"),
                               label=label or vol["name"], csv=bool(vol.get("csv")), owners_before=owners,
                               owner=owner, on_target=releases.get((owner or "").lower()) == target))
    return tuple(out)


def _node_order(view: FactsView, older: Sequence[ClusterMember], releases: dict[str, str | None],
                dedup: Sequence[DedupVolume]) -> list[NodeChoice]:
    """Fewest roles and nothing quorum-critical first; the owners of deduplicated volumes last."""
    groups = view.cluster.get("groups") or []
    quorum = view.cluster.get("quorum") or {}
    witness_owner = next((r.get("owner_node") for r in view.cluster.get("resources") or []
                          if r.get("name") == quorum.get("resource")), None)
    dedup_owners = {(d.owner or "").lower() for d in dedup if not d.on_target}
    choices = []
    for member in older:
        name = member["name"]
        owned = [g for g in groups if (g.get("owner_node") or "").lower() == name.lower()]
        roles = sum(1 for g in owned if not g.get("is_core"))
        critical = any(g["name"].lower() == CORE_GROUP for g in owned) or (witness_owner or "").lower() == name.lower()
        choices.append(NodeChoice(name=name, roles=roles, quorum_critical=critical,
                                  dedup_owner=name.lower() in dedup_owners, release=releases[name.lower()]))
    return sorted(choices, key=lambda c: (c.dedup_owner, c.quorum_critical, c.roles, c.name.lower()))


def _has_hyperv(view: FactsView) -> bool:
    groups = view.cluster.get("groups") or []
    if any((g.get("group_type") or "").lower() == "virtualmachine" for g in groups):
        return True
    return any("Hyper-V" in (n.get("features") or []) for n in view.nodes)


def _quorum_text(cluster: ClusterFacts) -> str:
    quorum = cluster.get("quorum") or {}
    witness = quorum.get("resource")
    return f"{quorum.get('type') or '?'}" + (f" with witness {witness}" if witness else ", no witness")


def _notes(dedup: Sequence[DedupVolume]) -> tuple[str, ...]:
    if any(d.csv for d in dedup):
        return ("A deduplicated CSV is reachable from every node through the CSV namespace even when its possible "
                "owners are restricted: the restriction keeps the owner (the node that mounts the volume) on one "
                "release side; avoid dedup jobs and heavy I/O on the CSV from other nodes while mixed.",)
    return ()
