"""The typed shape of the facts document and of the cluster view built from it.

TypedDicts, not classes: the document is JSON (written to facts.json, hashed, attached to the PDF,
validated by schemas/facts.schema.json) and stays a plain dict at run time, at no cost; the types let
mypy check every key the Python code reads or writes. The schema stays the authority on values:
these types name the keys the code uses, with `None` where the schema allows null ("could not be
collected"). A section rules read only through condition paths (drivers, services, ...) keeps a
loose item type: the rule loader checks those paths, not mypy.

Required keys are the schema's `required`; the others are optional (`total=False` on the class that
adds them). Python 3.10 has no `NotRequired`, hence the `_...Keys` base classes.
"""
from __future__ import annotations

from typing import Any, TypedDict

# -- the facts document (schemas/facts.schema.json) ------------------------------------------------


class _SectionErrorKeys(TypedDict):
    section: str
    message: str


class SectionError(_SectionErrorKeys, total=False):
    """A section that could not be collected (the section itself is then null or absent)."""

    duration_ms: int


class _ScanKeys(TypedDict):
    tool_version: str
    collected_at: str
    method: str


class Connection(TypedDict):
    """One way a cluster's nodes were reached (scanner/provenance.py connections)."""

    cluster: str
    account: str | None
    auth: str
    scheme: str
    tls: str
    nodes: list[str]


class CollectionProvenance(TypedDict):
    """`scan.provenance`: who collected the facts, from where, how (scanner/provenance.py)."""

    scanner_host: str | None
    os_user: str | None
    command_line: list[str]
    collector: dict[str, str]
    inventory_sha256: str | None
    connections: list[Connection]


class ScanSection(_ScanKeys, total=False):
    """`scan`: how and when the facts were collected, and what the operator declared."""

    phase: str | None
    source_os: str | None
    target_os: str | None
    operator: str | None
    inventory: str | None
    partial: bool
    mixed_mode_since: str | None  # set by the mixed-mode clock (scanner/history/mixed_mode.py)
    provenance: CollectionProvenance | None  # null for offline or example facts


class ScanInput(ScanSection, total=False):
    """The scan section as a caller hands it to facts_from_outputs: `cluster_name` (the inventory's name
    for the cluster) names the cluster when no node returned a view, and is not kept."""

    cluster_name: str | None


class _MemberKeys(TypedDict):
    name: str
    state: str


class ClusterMember(_MemberKeys, total=False):
    """One entry of the cluster's own member list (Get-ClusterNode): NetBIOS name, state, build."""

    drain_status: str | None
    major_version: int | None
    minor_version: int | None
    build_number: int | None
    node_weight: int | None
    dynamic_weight: int | None
    status_information: str | None
    status_code: int | None


class QuorumFacts(TypedDict, total=False):
    type: str | None
    raw_type: str | None
    resource: str | None
    resource_state: str | None


class _NamedStateKeys(TypedDict):
    name: str
    state: str


class ClusterGroup(_NamedStateKeys, total=False):
    owner_node: str | None
    is_core: bool | None
    group_type: str | None


class ClusterResource(_NamedStateKeys, total=False):
    owner_group: str | None
    owner_node: str | None
    resource_type: str | None
    is_csv: bool | None
    possible_owners: list[str] | None


class _CsvStateKeys(TypedDict):
    node: str


class CsvState(_CsvStateKeys, total=False):
    """One node's Get-ClusterSharedVolumeState row for a CSV."""

    state_info: str | None
    redirected_reason: str | None
    block_redirected_reason: str | None


class _NameKeys(TypedDict):
    name: str


class ClusterCsv(_NameKeys, total=False):
    owner_node: str | None
    state: str | None
    path: str | None
    file_system: str | None
    percent_free: float | None
    state_info: str | None  # the worst row of `states` (scanner/facts/outputs.py)
    redirected_reason: str | None
    underlying_file_system: str | None
    block_redirected_reason: str | None
    states: list[CsvState] | None


class CauFacts(TypedDict, total=False):
    role_present: bool | None
    role_status: str | None
    role_enabled: bool | None
    run_in_progress: bool | None
    run_id: str | None
    run_started: str | None
    orchestrator: str | None


class _ClusterKeys(TypedDict):
    name: str


class ClusterFacts(_ClusterKeys, total=False):
    """`cluster`: the cluster as seen from one node (the reachable node with the highest build)."""

    collected_from: str | None  # the node whose view this is
    functional_level: int | None
    upgrade_version: int | None
    s2d_enabled: bool | None
    nodes: list[ClusterMember] | None
    quorum: QuorumFacts | None
    groups: list[ClusterGroup] | None
    resources: list[ClusterResource] | None
    csvs: list[ClusterCsv] | None
    errors: list[SectionError]
    networks: list[dict[str, Any]] | None
    network_interfaces: list[dict[str, Any]] | None
    cau: CauFacts | None
    storage: dict[str, Any] | None


class OsFacts(TypedDict, total=False):
    caption: str | None
    version: str | None
    build: int | None
    ubr: int | None
    full_version: str | None
    release: str | None  # 2012R2, 2016, ... (the view derives it from the version when absent)
    install_date: str | None
    last_boot: str | None


class _HotfixKeys(TypedDict):
    id: str


class HotfixFacts(_HotfixKeys, total=False):
    description: str | None
    installed_on: str | None  # yyyy-MM-dd (the view parses free-form text, C8)
    installed_on_raw: str | None


class _PathKeys(TypedDict):
    path: str


class _DedupKeys(TypedDict):
    enabled: bool


class DedupFacts(_DedupKeys, total=False):
    """Get-DedupVolume for one volume; `{"enabled": false}` when no node has the feature (the view)."""

    usage_type: str | None
    last_optimization_result: int | None
    last_gc_result: int | None
    last_scrubbing_result: int | None
    saved_space: int | None


class _VolumeProperties(TypedDict, total=False):
    """What a volume says of itself; a clustered volume in the view has these from its owner's volume."""

    label: str | None
    file_system: str | None
    file_system_type: str | None
    file_system_type_code: int | None
    underlying_file_system: str | None
    size: int | None
    free: int | None
    health: str | None
    health_code: int | None
    short_names: bool | None  # 8.3 name creation enabled
    dedup: DedupFacts | None


class VolumeFacts(_PathKeys, _VolumeProperties, total=False):
    """A volume as its node sees it; a clustered disk's volume names its `cluster_resource`."""

    volume_id: str | None
    csv: bool | None
    cluster_resource: str | None


class ShareFacts(_NameKeys, total=False):
    node: str  # not collected: the view adds the node the share was read on
    path: str | None
    volume: str | None
    scope_name: str | None
    continuously_available: bool | None
    encrypt_data: bool | None


class HyperVFacts(TypedDict, total=False):
    present: bool
    vms: list[dict[str, Any]] | None
    switches: list[dict[str, Any]] | None
    supported_versions: list[str] | None


class _NodeKeys(TypedDict):
    name: str  # the computer name once reached, else the inventory's name (scanner/facts/coverage.py)
    reachable: bool
    errors: list[SectionError]


class NodeFacts(_NodeKeys, total=False):
    """One node's facts; an unreachable node has only name, reachable and errors."""

    inventory_name: str | None  # the inventory's spelling, when it differs from `name`
    collector_version: str | None
    collected_at: str | None
    os: OsFacts | None
    hotfixes: list[HotfixFacts] | None
    drivers: list[dict[str, Any]] | None
    bios: dict[str, Any] | None
    system: dict[str, Any] | None
    processor: dict[str, Any] | None
    defender: dict[str, Any] | None
    filters: list[dict[str, Any]] | None
    products: list[dict[str, Any]] | None
    features: list[str] | None
    services: dict[str, Any] | None
    wmi: dict[str, Any] | None
    cluster_node_state: str | None  # Up, Down, Paused, Joining, Unknown
    cluster_registry: dict[str, Any] | None
    ntfs_disable_8dot3: int | None
    odx_mode: int | None
    dedup_installed: bool | None
    volumes: list[VolumeFacts] | None
    shares: list[ShareFacts] | None
    timings: dict[str, Any]
    pending_reboot: dict[str, Any] | None
    cluster_events: dict[str, Any] | None
    hyperv: HyperVFacts | None
    lbfo_teams: list[dict[str, Any]] | None


class FactsDoc(TypedDict):
    """The facts document: the evidence, kept as collected and hashed (docs/contracts.md §2)."""

    schema_version: str
    scan: ScanSection
    cluster: ClusterFacts
    nodes: list[NodeFacts]


# -- the cluster view (scanner/facts/view.py): the document plus the joins rules read --------------


class NodeView(NodeFacts, total=False):
    """A node as rules read it: `os.release`/`os.full_version` filled in, hotfix dates parsed, each
    driver, product and share carrying `node`, and the node's entry in the cluster's member list."""

    membership: ClusterMember | None  # None: not listed; absent: the member list was not collected


class ShareView(ShareFacts, total=False):
    volume_facts: VolumeFacts | None  # the node's volume the share lives on


class DiskOwner(TypedDict):
    """A node as the owner (or a possible owner) of a clustered disk."""

    name: str
    known: bool  # False: not among the scanned nodes (its OS comes from Get-ClusterNode's build)
    reachable: bool | None
    os: OsFacts | None


class _ClusterVolumeKeys(TypedDict):
    name: str
    resource: ClusterResource
    owner_node: str | None
    owner: DiskOwner | None
    possible_owners: list[DiskOwner] | None
    csv: bool
    path: str | None  # None: the owner's volume facts are not known


class ClusterVolume(_ClusterVolumeKeys, _VolumeProperties):
    """A clustered disk resource joined with its owner's volume facts and its possible owners."""


class ClusterView(ClusterFacts, total=False):
    """The cluster section as rules read it: the collected section plus what the view derives."""

    mixed_mode: bool | None  # members on different releases; None: a member's release is unknown
    os_releases: list[str] | None
    node_count: int
    volumes: list[ClusterVolume] | None  # None: the cluster resources were not collected
    vswitch_names_by_node: dict[str, list[str]]
    vswitch_names_consistent: bool | None
    vm_versions_min: str | None
