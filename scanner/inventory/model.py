"""The inventory model: which clusters and nodes to scan, how to reach them, where credentials
live. Every source (scanner/inventory/native.py, ansible.py, `--node`) produces these values.

No source may hold a secret: passwords are references (environment variable, prompt, keyring),
resolved by scanner/credentials.py only when a scan starts.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from scanner.errors import UsageError

AUTH_METHODS = ("negotiate", "kerberos", "ntlm", "basic", "credssp", "certificate")
DEFAULT_PORTS = {"http": 5985, "https": 5986}


@dataclass(frozen=True)
class Transport:
    """How to reach a node's WinRM endpoint. TLS is verified unless cert_validation is False."""

    scheme: str = "https"
    port: int | None = None
    path: str = "wsman"
    auth: str = "negotiate"
    cert_validation: bool | str = True  # True, False, or a CA bundle path
    encryption: str = "auto"
    connect_timeout: float = 10.0
    read_timeout: float | None = None  # default: operation_timeout + 10
    operation_timeout: float = 120.0
    wmi_timeout: int = 30
    node_timeout: float = 600.0  # wall clock for the whole node, connect to last byte (scanner/collect/deadline.py)
    retries: int = 2

    def port_for(self, node_port: int | None) -> int:
        return node_port or self.port or DEFAULT_PORTS[self.scheme]


@dataclass(frozen=True)
class NodeTarget:
    """One node to scan: the name the inventory gives it, the address to reach, and how."""

    name: str
    host: str
    port: int
    transport: Transport
    credentials: CredentialRef


@dataclass(frozen=True)
class CredentialRef:
    """Where the credentials are, never what they are."""

    username: str | None = None
    password_env: str | None = None
    password_prompt: bool = False
    keyring: str | None = None
    certificate_pem: str | None = None
    certificate_key_pem: str | None = None


@dataclass(frozen=True)
class Cluster:
    """A cluster as the inventory lists it: its name and the nodes to scan."""

    name: str
    nodes: tuple[NodeTarget, ...]
    named: bool = True  # False: `--node` without --cluster, whose name is a placeholder the nodes cannot contradict


@dataclass(frozen=True)
class Inventory:
    clusters: tuple[Cluster, ...]
    source: str  # the file, or "--node"
    default_clusters: tuple[str, ...] = field(default=())  # chosen when no cluster is named

    def select(self, name: str | None) -> Cluster:
        """The one cluster to use: by name, or the only one there is."""
        found = self.pick([name] if name is not None else [])
        if len(found) == 1:
            return found[0]
        names = ", ".join(c.name for c in found)
        raise UsageError(f"{self.source}: holds {len(found)} clusters ({names}); choose one by name")

    def pick(self, names: Iterable[str]) -> tuple[Cluster, ...]:
        """The clusters named (case-insensitive, in the order given), or, when none is named, the
        default ones (an Ansible inventory's rollready groups) or else every cluster."""
        by_name = {c.name.lower(): c for c in self.clusters}
        wanted = list(dict.fromkeys(n.lower() for n in names)) or [n.lower() for n in self.default_clusters]
        if not wanted:
            return self.clusters
        unknown = [n for n in names if n.lower() not in by_name]
        if unknown:
            raise UsageError(f"{self.source}: no cluster {unknown[0]!r} (clusters: {', '.join(c.name for c in self.clusters)})")
        return tuple(by_name[n] for n in wanted)


def rebased(value: Any, file: str) -> Any:
    """File paths in an inventory (CA bundle, client certificate) are relative to the inventory."""
    base = Path(file).parent
    changes = {
        name: str(base / getattr(value, name))
        for name in ("cert_validation", "certificate_pem", "certificate_key_pem")
        if isinstance(getattr(value, name, None), str) and not Path(getattr(value, name)).is_absolute()
    }
    return replace(value, **changes) if changes else value
