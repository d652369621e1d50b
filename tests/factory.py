"""Small, valid facts documents for tests: a healthy cluster, changed one fact at a time."""
from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

# The `write_file` fixture (tests/conftest.py): write_file(name, text) -> the file, in the test's tmp_path.
WriteFile = Callable[[str, str], Path]

OS = {
    "2012R2": {"caption": "Microsoft Windows Server 2012 R2 Datacenter", "version": "6.3.9600", "build": 9600, "ubr": 19999},
    # 2016 / 2019 at the update baselines of rules/data/required_updates.yaml (KB5073722, KB5065428)
    "2016": {"caption": "Microsoft Windows Server 2016 Datacenter", "version": "10.0.14393", "build": 14393, "ubr": 8783},
    "2019": {"caption": "Microsoft Windows Server 2019 Datacenter", "version": "10.0.17763", "build": 17763, "ubr": 7792},
}
COLLECTED_AT = "2026-11-20T02:00:00Z"


def node(name: str, release: str = "2012R2", **overrides: Any) -> dict[str, Any]:
    os_ = dict(OS[release])
    n: dict[str, Any] = {
        "name": name,
        "reachable": True,
        "collector_version": "1",
        "collected_at": COLLECTED_AT,
        "os": {**os_, "full_version": f"{os_['version']}.{os_['ubr']}", "release": release,
               "install_date": "2019-03-01T10:00:00Z", "last_boot": "2026-11-01T03:00:00Z"},
        "hotfixes": [{"id": "KB5044343", "description": "Security Update", "installed_on": "2026-11-05"},
                     {"id": "KB3216755", "description": "Update", "installed_on": "2017-02-01"}],
        "drivers": [
            {"device_name": "QLogic QLE2692 Fibre Channel Adapter", "device_class": "SCSIADAPTER",
             "hardware_id": "PCI\\VEN_1077&DEV_2261", "version": "9.4.4.20", "provider": "QLogic", "signed": True},
            {"device_name": "Intel(R) Ethernet Controller X710 for 10GbE SFP+", "device_class": "NET",
             "hardware_id": "PCI\\VEN_8086&DEV_1572", "version": "1.12.101.0", "provider": "Intel", "signed": True},
        ],
        "bios": {"manufacturer": "Dell Inc.", "version": "2.19.1", "release_date": "2025-06-01"},
        "system": {"manufacturer": "Dell Inc.", "model": "PowerEdge R740", "total_memory_bytes": 274877906944},
        "processor": {"slat": True, "hypervisor_present": False},
        "defender": {"present": False},
        "filters": [{"name": "SAVOnAccess", "altitude": "324000", "instances": 4}],
        "products": [{"name": "Sophos Endpoint Agent", "version": "2023.2.1", "publisher": "Sophos Limited"},
                     {"name": "Veeam Agent for Microsoft Windows", "version": "12.3.1", "publisher": "Veeam Software Group GmbH"}],
        "features": ["Failover-Clustering", "FS-Data-Deduplication", "Multipath-IO", "FS-FileServer"],
        "services": {"ClusSvc": {"status": "Running", "start_mode": "Auto"}},
        "wmi": {"mscluster": {"ok": True, "error": None, "duration_ms": 120}},
        "cluster_node_state": "Up",
        "cluster_registry": {"os": None, "os_version": None, "functional_level": None,
                             "operating_version_present": False, "mixed_mode": None},
        "ntfs_disable_8dot3": 2,
        "odx_mode": 0,
        "dedup_installed": True,
        "volumes": [],
        "shares": [],
        "pending_reboot": {"any": False, "cbs": False, "windows_update": False, "file_rename": False,
                           "computer_rename": False},
        "cluster_events": {"window_days": 30, "since": "2026-10-21T02:00:00Z",
                           "ids": [1069, 1135, 1136, 1146, 1230, 7031], "counts": {}, "events": []},
        "hyperv": {"present": False},
        "lbfo_teams": [],
        "errors": [],
        "timings": {"os": 40},
    }
    n.update(copy.deepcopy(overrides))
    return n


def facts(nodes: list[dict[str, Any]] | None = None, phase: str = "pre", target: str = "2016",
          **cluster_overrides: Any) -> dict[str, Any]:
    """A three-node 2012 R2 file-server cluster with one deduplicated disk owned by NODE1."""
    nodes = nodes if nodes is not None else [node(f"NODE{i}") for i in (1, 2, 3)]
    names = [n["name"] for n in nodes]
    owner = names[0]
    for n in nodes:
        if n["name"] == owner and n.get("reachable") and not n.get("volumes"):
            n["volumes"] = [{"path": "E:", "label": "Data", "file_system": "NTFS", "size": 10 ** 12, "free": 4 * 10 ** 11,
                             "csv": False, "cluster_resource": "Cluster Disk 1", "short_names": False,
                             "dedup": {"enabled": True, "usage_type": "Default", "last_optimization_result": 0}}]
            n["shares"] = [{"name": "Data", "path": "E:\\Shares\\Data", "volume": "E:", "scope_name": "FS1",
                            "continuously_available": True, "encrypt_data": False}]
    cluster: dict[str, Any] = {
        "name": "FSCLUSTER1",
        "collected_from": owner,
        "functional_level": 8,
        "upgrade_version": None,
        "s2d_enabled": False,
        "nodes": [{"name": n, "state": "Up", "drain_status": "NotInitiated", "node_weight": 1, "dynamic_weight": 1}
                  for n in names],
        "quorum": {"type": "NodeAndDiskMajority", "raw_type": "NodeAndDiskMajority", "resource": "Cluster Disk Witness",
                   "resource_state": "Online"},
        "groups": [{"name": "Cluster Group", "owner_node": owner, "state": "Online", "is_core": True},
                   {"name": "Available Storage", "owner_node": owner, "state": "Offline", "is_core": True},
                   {"name": "FS1", "owner_node": owner, "state": "Online", "is_core": False, "group_type": "FileServer"}],
        "resources": [{"name": "Cluster Disk 1", "state": "Online", "owner_group": "FS1", "owner_node": owner,
                       "resource_type": "Physical Disk", "is_csv": False, "possible_owners": names},
                      {"name": "FS1", "state": "Online", "owner_group": "FS1", "owner_node": owner,
                       "resource_type": "File Server", "is_csv": False, "possible_owners": names}],
        "csvs": [],
        "networks": [{"name": "Cluster Network 1", "state": "Up", "role": "ClusterAndClient", "role_code": 3,
                      "address": "127.0.10.0"}],
        "network_interfaces": [{"name": f"{n} - Cluster Network 1", "node": n, "network": "Cluster Network 1",
                                "state": "Up"} for n in names],
        "cau": {"role_present": False, "role_status": None, "role_enabled": False, "run_in_progress": False,
                "run_id": None, "run_started": None, "orchestrator": None},
        "storage": {"pools": [], "virtual_disks": [], "physical_disks": [], "jobs": []},
        "errors": [],
    }
    cluster.update(copy.deepcopy(cluster_overrides))
    return {
        "schema_version": "1",
        "scan": {"tool_version": "0.1.0", "collected_at": COLLECTED_AT, "method": "example", "phase": phase,
                 "source_os": None, "target_os": target, "operator": "tests", "inventory": None, "partial": False,
                 "mixed_mode_since": None},
        "cluster": cluster,
        "nodes": nodes,
    }


def mixed_dedup_hazard() -> dict[str, Any]:
    """NODE1 upgraded to 2016 and owning the dedup disk; NODE2 and NODE3 still 2012 R2."""
    doc = facts([node("NODE1", "2016"), node("NODE2"), node("NODE3")], phase="mixed")
    doc["scan"]["mixed_mode_since"] = "2026-11-12T02:00:00Z"
    return doc


def post_fl8_traces() -> dict[str, Any]:
    """All nodes on 2016, functional level not raised yet, registry traces of the roll."""
    traces = {"os": "Windows Server 2012 R2 Datacenter", "os_version": "6.3.9600", "functional_level": 8,
              "operating_version_present": True, "mixed_mode": 1}
    return facts([node(f"NODE{i}", "2016", cluster_registry=traces) for i in (1, 2, 3)], phase="post")
