"""Inventories: which clusters and nodes to scan, how to reach them, where credentials live.

Three sources, one result (`Inventory` of `Cluster`s of `NodeTarget`s):

* rollready's YAML inventory (`schemas/inventory.schema.json`, docs/contracts.md §4);
* Ansible inventories, INI or YAML (ansible_host, ansible_port, ansible_user and the
  ansible_psrp_* / ansible_winrm_* connection variables); every group with hosts is a cluster;
* `--node HOST` on the command line (`inventory_for_hosts`).

No source may hold a secret: passwords are references (environment variable, prompt, keyring),
resolved by scanner/credentials.py only when a scan starts.
"""
from __future__ import annotations

from pathlib import Path

from scanner.errors import InputError, Problem
from scanner.inventory.ansible import from_ansible_groups, looks_like_ini, parse_ansible_ini, parse_ansible_yaml
from scanner.inventory.model import (
    AUTH_METHODS,
    DEFAULT_PORTS,
    Cluster,
    CredentialRef,
    Inventory,
    NodeTarget,
    Transport,
)
from scanner.inventory.native import from_native, inventory_for_hosts, inventory_from_dict, schema_validator
from scanner.reading import MAX_YAML_BYTES, read_input_text
from scanner.yamlmarks import load_located, schema_problems, universal_newlines

__all__ = [
    "AUTH_METHODS", "DEFAULT_PORTS", "Cluster", "CredentialRef", "Inventory", "NodeTarget", "Transport",
    "inventory_for_hosts", "inventory_from_dict", "load_inventory", "parse_inventory",
]


def load_inventory(path: str | Path) -> Inventory:
    """Read an inventory file in any of the supported formats."""
    file = str(path)
    text = read_input_text(path, MAX_YAML_BYTES, what="inventory", encoding="utf-8-sig")
    return parse_inventory(universal_newlines(text), file)


def parse_inventory(text: str, file: str) -> Inventory:
    if looks_like_ini(text):
        return from_ansible_groups(parse_ansible_ini(text, file), file)
    located = load_located(text, file)
    data = located.data
    if isinstance(data, dict) and "clusters" in data:
        problems = schema_problems(located, schema_validator())
        if problems:
            raise InputError(problems)
        return from_native(data, file, located)
    if isinstance(data, dict) and data and all(isinstance(v, (dict, type(None))) for v in data.values()):
        return from_ansible_groups(parse_ansible_yaml(data, file, located), file)
    raise InputError([Problem("not an inventory: expected `clusters:` (rollready) or Ansible groups", file=file, line=1)])
