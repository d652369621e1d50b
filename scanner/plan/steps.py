"""The steps of a rolling upgrade, each with its commands, gate, way back and sources.

Sources (full titles in docs/plan.md):
  CRU  Microsoft Learn, "Cluster operating system rolling upgrade" (ms.date 3/19/2025)
  S2D  Microsoft Learn, "Upgrade a Storage Spaces Direct cluster to Windows Server 2019"
  UCFL Update-ClusterFunctionalLevel reference (windows-powershell-docs)
  SEED the field practice this tool starts from (dedup fail-back, WMI health, traces)
  WIKI TechNet wiki 31038, "Troubleshooting Data Deduplication corruptions" (down-level migration)
"""
from __future__ import annotations

from collections.abc import Sequence

from scanner.plan.model import Command, DedupVolume, Gate, Step
from scanner.pwsh import ps_list, ps_quote

CRU = "https://learn.microsoft.com/windows-server/failover-clustering/cluster-operating-system-rolling-upgrade"
S2D = "https://learn.microsoft.com/windows-server/storage/storage-spaces/upgrade-storage-spaces-direct-to-windows-server-2019"
UCFL = "https://learn.microsoft.com/powershell/module/failoverclusters/update-clusterfunctionallevel"
WIKI = "https://learn.microsoft.com/archive/technet-wiki/31038.troubleshooting-data-deduplication-corruptions"
SEED = "seed: dedup and Cluster OS Rolling Upgrade field practice (docs/plan.md)"

_S2D_HEALTH = (
    Command("Get-StorageJob | Where-Object { $_.JobState -ne 'Completed' }", False, "no storage job may still run"),
    Command("Get-VirtualDisk | Where-Object { $_.HealthStatus -ne 'Healthy' }", False, "every virtual disk Healthy"),
    Command("Get-PhysicalDisk | Where-Object { $_.OperationalStatus -contains 'In Maintenance Mode' }", False,
            "no disk left in storage maintenance mode"),
)


def prepare(*, cau: bool, s2d: bool, target_os: str) -> list[Step]:
    steps = [Step(
        "P1", "prepare", "Readiness scan and a way back",
        "Start only from a healthy cluster, with verified backups and a System State backup of every node "
        "(the cluster database) that stays until the functional level is raised.",
        commands=(
            Command("Get-ClusterNode | Format-Table -Property @('Name', 'State', 'NodeWeight', 'DynamicWeight')", False),
            Command("Get-ClusterGroup | Format-Table -Property @('Name', 'OwnerNode', 'State')", False),
            Command("Get-ClusterResource | Get-ClusterOwnerNode | Export-Clixml -Path "
                    "(Join-Path $OutDir 'possible-owners-before.xml')", False,
                    "the possible owners as they are now, to restore them if the upgrade is abandoned"),
        ),
        gate=Gate("Backups verified and a System State backup of every node taken?", scan_phase="pre"),
        rollback="Nothing has changed yet.", sources=(CRU, SEED))]
    if cau:
        steps.append(Step(
            "P2", "prepare", "Stop Cluster-Aware Updating",
            "CAU must not patch or restart nodes while they are drained and upgraded one at a time.",
            commands=(Command("Get-CauRun", False, "no updating run may be in progress"),
                      Command("Disable-CauClusterRole -Force", True)),
            rollback="Enable-CauClusterRole -Force", sources=(CRU,)))
    if s2d:
        steps.append(Step(
            "P3", "prepare", "Storage Spaces Direct healthy before the first node",
            "Storage jobs finished and every virtual disk healthy before any node goes into maintenance.",
            gate=Gate("No storage job, every virtual disk Healthy, no disk in maintenance mode?", checks=_S2D_HEALTH),
            sources=(S2D,)))
    return steps


def node_steps(node: str, *, target_os: str, dedup: Sequence[DedupVolume], old_after: tuple[str, ...],
               new_nodes: tuple[str, ...], s2d: bool) -> list[Step]:
    """Drain, upgrade and resume one node; before it leaves, no dedup volume may be able to follow it back.

    The scan after the last node is a post-phase scan: every member then runs the target release.
    """
    scan_phase = "mixed" if old_after else "post"
    steps: list[Step] = []
    n = ps_quote(node)
    if dedup:
        steps.append(_restrict_dedup(node, dedup, old_after, new_nodes))
    before = [Command(f"Suspend-ClusterNode -Name {n} -Drain -Wait", True,
                      "moves every role off the node; the node stays a cluster member", ("drain", node))]
    after = [Command(f"if ((Get-ClusterNode -Name {n}).State -eq 'Paused') "
                     f"{{ Resume-ClusterNode -Name {n} -Failback Immediate }}", True,
                     "an in-place upgraded node is still paused; a re-added node is already Up", ("resume", node))]
    if s2d:
        fault_domain = f"Get-StorageFaultDomain -Type StorageScaleUnit | Where-Object FriendlyName -eq {n}"
        before.append(Command(f"{fault_domain} | Enable-StorageMaintenanceMode", True))
        after.append(Command(f"{fault_domain} | Disable-StorageMaintenanceMode", True))
    steps.append(Step(
        f"N-{node}-1", "node", f"Drain {node}",
        "One node out at a time: quorum and the remaining nodes carry every role.",
        commands=tuple(before),
        gate=Gate(f"{node} drained (DrainStatus Completed) and every role Online on the other nodes?",
                  checks=(Command(f"(Get-ClusterNode -Name {n}).DrainStatus", False),
                          Command("Get-ClusterGroup | Where-Object State -ne 'Online'", False))),
        rollback=f"Resume-ClusterNode -Name {n} -Failback Immediate", node=node, sources=(CRU,)))
    steps.append(Step(
        f"N-{node}-2", "node", f"Upgrade {node} to Windows Server {target_os}",
        "Microsoft recommends a clean installation: evict the node (Remove-ClusterNode), install Windows Server "
        f"{target_os} with the same roles, features and drivers, then Add-ClusterNode; an in-place upgrade is "
        "possible but discouraged.",
        commands=(Command(f"Remove-ClusterNode -Name {n} -Force", True, "only for a clean installation",
                          ("upgrade", node)),),
        gate=Gate(f"{node} reinstalled (or upgraded) to Windows Server {target_os}, patched to the latest update, "
                  "Failover-Clustering and the node's features and vendor drivers installed?"),
        rollback=f"If {node} does not come back: leave it out (the cluster runs with one node fewer, as planned), "
                 "reinstall it with its previous release, Add-ClusterNode, and stop the upgrade here. Until the "
                 "functional level is raised every node can still return to the previous release.",
        node=node, sources=(CRU,)))
    after_gate_checks = (Command(f"Get-ClusterNode -Name {n} | Format-Table -Property @('Name', 'State', 'MajorVersion', 'BuildNumber')",
                                 False),) + (_S2D_HEALTH if s2d else ())
    steps.append(Step(
        f"N-{node}-3", "node", f"Add {node} back and resume it",
        "The node rejoins on the new release; the cluster is now in mixed mode until the last node is done.",
        commands=(Command(f"Add-ClusterNode -Name {n}", True, "after a clean installation"), *after),
        gate=Gate(f"{node} Up on Windows Server {target_os}, roles back, the {scan_phase} scan not NO-GO"
                  + (", storage jobs finished and virtual disks Healthy" if s2d else "") + "?",
                  checks=after_gate_checks, scan_phase=scan_phase),
        rollback=f"Suspend-ClusterNode -Name {n} -Drain -Wait; Remove-ClusterNode -Name {n} (then reinstall the "
                 "previous release)",
        node=node, sources=(CRU, S2D) if s2d else (CRU,)))
    return steps


def _restrict_dedup(node: str, dedup: Sequence[DedupVolume], old_after: tuple[str, ...],
                    new_nodes: tuple[str, ...]) -> Step:
    """Before `node` leaves for the new release: every dedup volume stays on one release side.

    A volume already owned on the target release may only be owned by upgraded nodes from now on.
    A volume on the previous release stays with the nodes still on it; when the last of them goes,
    it moves to the upgraded nodes, once, and can never come back.
    """
    commands = []
    for vol in dedup:
        to_new = vol.on_target or not old_after
        owners = new_nodes if to_new else old_after
        commands.append(Command(f"Set-ClusterOwnerNode -Resource {ps_quote(vol.resource)} -Owners {ps_list(owners)}",
                                True, f"{vol.label}: possible owners {', '.join(owners)}",
                                ("owners", vol.resource, *owners)))
        if vol.group and to_new and not vol.on_target and owners:
            commands.append(Command(f"Move-ClusterGroup -Name {ps_quote(vol.group)} -Node {ps_quote(owners[0])}",
                                    True, f"{vol.label} moves to the new release now, once", ("move", vol.group, owners[0])))
    return Step(
        f"N-{node}-0", "node", "Deduplicated volumes stay on one release side",
        f"Before {node} leaves, no deduplicated volume may be able to be mounted on the newer release and then "
        "fail back to an older node (field practice; TechNet: migrating a deduplicated volume to a down-level "
        "version is a known corruption cause).",
        commands=tuple(commands),
        gate=Gate("Possible owners of every deduplicated volume as listed?",
                  checks=tuple(Command(f"Get-ClusterOwnerNode -Resource {ps_quote(v.resource)}", False) for v in dedup)),
        rollback="Restore the possible owners from possible-owners-before.xml (Set-ClusterOwnerNode) only while "
                 "no deduplicated volume has been mounted on the newer release.",
        node=node, sources=(SEED, WIKI))


def finish(*, target_os: str, dedup: Sequence[DedupVolume], all_nodes: tuple[str, ...], s2d: bool,
           hyperv: bool, cau: bool) -> list[Step]:
    steps = [Step(
        "F1", "validate", "Final validation before the point of no return",
        "Every node on the new release, Up and in active membership; drivers, firmware and BIOS checked once more "
        "on the new release; the post-upgrade scan not NO-GO; Test-Cluster read (its storage tests take disks "
        "offline: run them in a maintenance window or read the last report).",
        commands=(Command("Get-ClusterNode | Format-Table -Property @('Name', 'State', 'MajorVersion', 'MinorVersion', 'BuildNumber')", False),
                  Command("Update-ClusterFunctionalLevel -WhatIf", False,
                          "asks the cluster whether it can be raised, and changes nothing")),
        gate=Gate("Every node on the new release and Up, vendor drivers and firmware confirmed, the post scan "
                  "not NO-GO, backups still at hand?", scan_phase="post"),
        rollback="Any node can still be evicted and reinstalled with the previous release.",
        sources=(CRU, UCFL, SEED))]
    if dedup:
        steps.append(Step(
            "F2", "validate", "Deduplicated volumes may use every node again",
            "All nodes run the same release: no owner is older any more.",
            commands=tuple(Command(f"Set-ClusterOwnerNode -Resource {ps_quote(v.resource)} -Owners {ps_list(all_nodes)}",
                                   True, v.label, ("owners", v.resource, *all_nodes)) for v in dedup),
            rollback="Set-ClusterOwnerNode back to the restricted list.", sources=(SEED,)))
    steps.append(Step(
        "X1", "no-return", "Raise the cluster functional level (point of no return)",
        "Only now: after this the cluster cannot take a node on the previous release, and the upgrade cannot be "
        "undone. Microsoft: all nodes on the new release, all on, in active membership; finish within about "
        "four weeks of the first node.",
        commands=(Command("Update-ClusterFunctionalLevel", True, action=("functional_level",)),
                  Command("Get-Cluster | Format-List -Property @('ClusterFunctionalLevel', 'ClusterUpgradeVersion')", False)),
        gate=Gate("Functional level raised (Get-Cluster shows the new level)?"),
        rollback="None: the functional level cannot be lowered. Restore from backup is the only way back.",
        reversible=False, sources=(CRU, UCFL)))
    if s2d:
        steps.append(Step(
            "X2", "finish", "Upgrade the storage pool",
            "New storage features need the pool version of the new release; also irreversible.",
            commands=(Command("Get-StoragePool -IsPrimordial $false | Update-StoragePool -Confirm:$false", True,
                              action=("storage_pool",)),),
            gate=Gate("Pool version updated and every virtual disk Healthy?", checks=_S2D_HEALTH),
            rollback="None: a pool version cannot be lowered.", reversible=False, sources=(CRU, S2D)))
    if hyperv:
        steps.append(Step(
            "X3", "finish", "Update VM configuration versions (per VM, in a maintenance window)",
            "Each VM must be off; after the update it can no longer run on an older host. Windows Server 2022 "
            "and later run only configuration version 8.0 and above.",
            commands=(Command("Get-VM -ComputerName (Get-ClusterNode).Name | Format-Table -Property @('Name', 'State', 'Version')", False),
                      Command("Get-VM -ComputerName (Get-ClusterNode).Name | Where-Object State -eq 'Off' | "
                              "Update-VMVersion -Confirm:$false", True)),
            rollback="None for an updated VM: restore the VM from backup.", reversible=False, sources=(CRU,)))
    if cau:
        steps.append(Step("X4", "finish", "Start Cluster-Aware Updating again", "Patching resumes on the new release.",
                          commands=(Command("Enable-CauClusterRole -Force", True),), sources=(CRU,)))
    steps.append(Step(
        "X5", "finish", "Post-upgrade scan and report", "The readiness record for the change board.",
        gate=Gate("Post-upgrade scan GO (or every finding accepted)?", scan_phase="post"), sources=(CRU,)))
    return steps
