"""Ansible inventories, INI or YAML: every group with hosts (directly or through children) is a
cluster of those hosts, reached through ansible_host, ansible_port, ansible_user and the
ansible_psrp_* / ansible_winrm_* connection variables. A password variable is refused."""
from __future__ import annotations

import itertools
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from scanner.errors import InputError, Problem
from scanner.inventory.address import host_problem
from scanner.inventory.model import Cluster, CredentialRef, Inventory, NodeTarget, Transport, rebased
from scanner.inventory.native import schema_validator


@dataclass
class _Group:
    name: str
    hosts: dict[str, dict[str, Any]] = field(default_factory=dict)  # host -> its own vars
    vars: dict[str, Any] = field(default_factory=dict)
    children: list[str] = field(default_factory=list)
    lines: dict[str, int] = field(default_factory=dict)  # host -> line where it is written


SECRET_VARS = ("ansible_password", "ansible_ssh_pass", "ansible_psrp_password", "ansible_winrm_password",
               "ansible_become_password", "ansible_become_pass")
WINDOWS_CONNECTIONS = ("psrp", "winrm")


def looks_like_ini(text: str) -> bool:
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", ";", "---")):
            continue
        return bool(re.fullmatch(r"\[[^\[\]]+\]", stripped)) or bool(re.fullmatch(r"[^\s:=\[\]{}]+(\s+\w+=\S*)*", stripped))
    return False


MAX_EXPANDED_HOSTS = 4096  # hosts one pattern may stand for; a failover cluster has at most 64 nodes
_RANGE = re.compile(r"\[([0-9A-Za-z]*:[0-9A-Za-z]*(?::[0-9A-Za-z-]*)?)\]")


def _expand_pattern(host: str) -> list[str]:
    """Ansible's host ranges: node[01:03] -> node01, node02, node03 (numeric and alphabetic, with an
    optional :step; several ranges multiply). ValueError, saying why, for a range Ansible would not
    accept or one standing for more than MAX_EXPANDED_HOSTS hosts (counted before anything is built)."""
    parts = _RANGE.split(host)
    choices: list[list[str]] = []
    total = 1
    for i, part in enumerate(parts):
        if i % 2 == 0:
            choices.append([part])
            continue
        values = _range_values(part)
        total *= len(values)
        if total > MAX_EXPANDED_HOSTS:
            raise ValueError(f"host pattern {host!r} stands for more than {MAX_EXPANDED_HOSTS} hosts")
        choices.append(values)
    return ["".join(combo) for combo in itertools.product(*choices)]


def _range_values(spec: str) -> list[str]:
    m = re.fullmatch(r"(\d+|[a-z]):(\d+|[a-z])(?::(\d+))?", spec)
    if not m:
        raise ValueError(f"[{spec}] is not a host range: use [01:03] or [a:c], with an optional :step")
    start, end, step = m.group(1), m.group(2), int(m.group(3) or 1)
    if step < 1:
        raise ValueError(f"[{spec}]: the step must be at least 1")
    if start.isdigit() != end.isdigit():
        raise ValueError(f"[{spec}]: both ends must be numbers or both single letters")
    first, last = (int(start), int(end)) if start.isdigit() else (ord(start), ord(end))
    if last < first:
        raise ValueError(f"[{spec}]: the range ends before it starts")
    if (last - first) // step + 1 > MAX_EXPANDED_HOSTS:
        raise ValueError(f"[{spec}] stands for more than {MAX_EXPANDED_HOSTS} hosts")
    if not start.isdigit():
        return [chr(c) for c in range(first, last + 1, step)]
    width = len(start) if start.startswith("0") else 0
    return [str(i).zfill(width) for i in range(first, last + 1, step)]


def parse_ansible_ini(text: str, file: str) -> dict[str, _Group]:
    groups: dict[str, _Group] = {"all": _Group("all"), "ungrouped": _Group("ungrouped")}
    groups["all"].children.append("ungrouped")
    section, kind = "ungrouped", "hosts"
    problems = []
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        header = re.fullmatch(r"\[([^\[\]:]+)(?::(vars|children))?\]", line)
        if header:
            section, kind = header.group(1), header.group(2) or "hosts"
            group = groups.setdefault(section, _Group(section))
            if section != "all" and section not in groups["all"].children:
                groups["all"].children.append(section)
            continue
        group = groups[section]
        try:
            words = shlex.split(line, comments=True)
        except ValueError as exc:
            problems.append(Problem(f"cannot parse line: {exc}", file=file, line=lineno))
            continue
        if not words:
            continue
        if kind == "children":
            group.children.append(words[0])
            groups.setdefault(words[0], _Group(words[0]))
        elif kind == "vars":
            key, sep, value = line.partition("=")
            if not sep:
                problems.append(Problem(f"expected key=value in [{section}:vars]", file=file, line=lineno))
                continue
            group.vars[key.strip()] = _ini_value(value.strip())
        else:
            host_vars = {}
            for word in words[1:]:
                key, sep, value = word.partition("=")
                if not sep:
                    problems.append(Problem(f"expected key=value after the host name, got {word!r}", file=file, line=lineno))
                    continue
                host_vars[key] = _ini_value(value)
            try:
                expanded = _expand_pattern(words[0])
            except ValueError as exc:
                problems.append(Problem(str(exc), file=file, line=lineno))
                continue
            for host in expanded:
                group.hosts[host] = host_vars
                group.lines[host] = lineno
    if problems:
        raise InputError(problems)
    return groups


def _ini_value(value: str) -> Any:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def parse_ansible_yaml(data: Mapping[str, Any], file: str, located: Any) -> dict[str, _Group]:
    groups: dict[str, _Group] = {}
    problems: list[Problem] = []

    def visit(name: str, body: Any, path: tuple[Any, ...]) -> None:
        group = groups.setdefault(name, _Group(name))
        if body is None:
            return
        if not isinstance(body, dict):
            problems.append(located.problem(path, f"group {name!r} must be a mapping"))
            return
        for key in body:
            if key not in ("hosts", "vars", "children"):
                problems.append(located.problem(path + (key,), f"unknown key {key!r} in group {name!r} (hosts, vars, children)"))
        hosts = body.get("hosts") or {}
        if not isinstance(hosts, dict):
            problems.append(located.problem(path + ("hosts",), "hosts must be a mapping of host names"))
            hosts = {}
        for host, host_vars in hosts.items():
            if host_vars is not None and not isinstance(host_vars, dict):
                problems.append(located.problem(path + ("hosts", host), f"host {host}: its variables must be a mapping"))
                continue
            try:
                names = _expand_pattern(str(host))
            except ValueError as exc:
                problems.append(located.problem(path + ("hosts", host), str(exc)))
                continue
            for expanded in names:
                group.hosts[expanded] = dict(host_vars or {})
                group.lines[expanded] = located.mark(path + ("hosts", host))[0] or 0
        group_vars = body.get("vars") or {}
        if not isinstance(group_vars, dict):
            problems.append(located.problem(path + ("vars",), "vars must be a mapping"))
            group_vars = {}
        group.vars.update(group_vars)
        children = body.get("children") or {}
        if not isinstance(children, dict):
            problems.append(located.problem(path + ("children",), "children must be a mapping of groups"))
            children = {}
        for child, child_body in children.items():
            if str(child) not in group.children:
                group.children.append(str(child))
            visit(str(child), child_body, path + ("children", child))

    for name, body in data.items():
        visit(str(name), body, (name,))
    if problems:
        raise InputError(problems)
    groups.setdefault("all", _Group("all"))
    for name in groups:
        if name != "all" and name not in groups["all"].children and not any(name in g.children for g in groups.values()):
            groups["all"].children.append(name)
    return groups


def from_ansible_groups(groups: dict[str, _Group], file: str) -> Inventory:
    """Every group with hosts (directly or through children) is a cluster of those hosts."""
    parents: dict[str, list[str]] = {}
    for group in groups.values():
        for child in group.children:
            parents.setdefault(child, []).append(group.name)

    def ancestry(name: str, trail: tuple[str, ...] = ()) -> list[str]:
        """Groups from the most general (all) to name, for variable precedence."""
        if name in trail:
            raise InputError([Problem(f"group {name!r} is its own ancestor", file=file)])
        order: list[str] = []
        for parent in parents.get(name, []):
            for g in ancestry(parent, trail + (name,)):
                if g not in order:
                    order.append(g)
        order.append(name)
        return order

    def members(name: str, trail: tuple[str, ...] = ()) -> dict[str, str]:
        """Host -> the group it is written in, for every host under name."""
        if name in trail:
            return {}
        found = {h: name for h in groups[name].hosts}
        for child in groups[name].children:
            for host, where in members(child, trail + (name,)).items():
                found.setdefault(host, where)
        return found

    problems: list[Problem] = []
    clusters = []
    leaf = []
    for name, group in groups.items():
        nodes = []
        for host, where in members(name).items():
            merged: dict[str, Any] = {}
            for g in ancestry(where):
                merged.update(groups[g].vars)
            merged.update(groups[where].hosts[host])
            node = _ansible_node(host, merged, file, groups[where].lines.get(host), problems)
            if node is not None:
                nodes.append(node)
        if nodes:
            clusters.append(Cluster(name, tuple(nodes)))
            if group.hosts:
                leaf.append(name)
    if problems:
        raise InputError(_unique(problems))
    if not clusters:
        raise InputError([Problem("no Windows hosts (ansible_connection psrp or winrm) in this inventory", file=file)])
    return Inventory(tuple(clusters), file, tuple(leaf))


def _unique(problems: list[Problem]) -> list[Problem]:
    return list(dict.fromkeys(problems))


def _first(v: Mapping[str, Any], *names: str) -> Any:
    for name in names:
        if v.get(name) not in (None, ""):
            return v[name]
    return None


def _ansible_node(host: str, v: Mapping[str, Any], file: str, line: int | None, problems: list[Problem]) -> NodeTarget | None:
    connection = v.get("ansible_connection")
    if connection is not None and str(connection) not in WINDOWS_CONNECTIONS:
        return None  # an SSH or local host: not a cluster node we can reach
    leaked = [name for name in SECRET_VARS if v.get(name) not in (None, "")]
    if leaked:
        problems.append(Problem(
            f"host {host}: {leaked[0]} holds a password; rollready never reads secrets from files: "
            "set rollready_password_env, rollready_password_prompt or rollready_keyring instead",
            file=file, line=line))
        return None
    port = _first(v, "ansible_port", "ansible_psrp_port", "ansible_winrm_port")
    scheme = _first(v, "ansible_psrp_protocol", "ansible_winrm_scheme")
    if scheme is None:
        scheme = "http" if str(port) == "5985" else "https"
    auth = _first(v, "ansible_psrp_auth", "ansible_winrm_transport")
    if auth is not None:
        auth = str(auth).split(",")[0].strip().strip("[]'\" ").lower()
        auth = {"plaintext": "basic", "ssl": "basic"}.get(auth, auth)
    validation = _first(v, "ansible_psrp_cert_validation", "ansible_winrm_server_cert_validation")
    ca = _first(v, "ansible_psrp_ca_cert", "ansible_winrm_ca_trust_path")
    cert_validation: Any = True
    if validation is not None and str(validation).lower() in ("ignore", "false", "no"):
        cert_validation = False
    elif ca is not None:
        cert_validation = str(ca)
    transport = {
        "scheme": str(scheme).lower(),
        "port": _number(port),
        "path": _first(v, "ansible_psrp_path", "ansible_winrm_path"),
        "auth": auth,
        "cert_validation": cert_validation,
        "encryption": _first(v, "ansible_psrp_message_encryption", "ansible_winrm_message_encryption"),
        "connect_timeout": _number(_first(v, "ansible_psrp_connection_timeout", "ansible_winrm_connection_timeout")),
        "read_timeout": _number(_first(v, "ansible_psrp_read_timeout", "ansible_winrm_read_timeout_sec")),
        "operation_timeout": _number(_first(v, "ansible_psrp_operation_timeout", "ansible_winrm_operation_timeout_sec")),
        "wmi_timeout": _number(v.get("rollready_wmi_timeout")),
        "node_timeout": _number(v.get("rollready_node_timeout")),
    }
    transport = {k: (str(x).strip("/") if k == "path" else x) for k, x in transport.items() if x is not None}
    credentials = {
        "username": _first(v, "ansible_user", "ansible_psrp_user", "ansible_winrm_user"),
        "password_env": v.get("rollready_password_env"),
        "password_prompt": _boolean(v.get("rollready_password_prompt")),
        "keyring": v.get("rollready_keyring"),
        "certificate_pem": _first(v, "ansible_psrp_certificate_pem", "ansible_winrm_cert_pem"),
        "certificate_key_pem": _first(v, "ansible_psrp_certificate_key_pem", "ansible_winrm_cert_key_pem"),
    }
    credentials = {k: (x if isinstance(x, bool) else str(x)) for k, x in credentials.items() if x not in (None, False)}
    bad = [
        f"{prefix}.{'.'.join(map(str, err.absolute_path))}: {err.message}"
        for prefix, ref, doc in (("transport", "transport", transport), ("credentials", "credentials", credentials))
        for err in schema_validator(ref).iter_errors(doc)
    ]
    if bad:
        problems.extend(Problem(f"host {host}: {msg}", file=file, line=line) for msg in bad)
        return None
    t = rebased(Transport(**transport), file)
    address = str(_first(v, "ansible_host") or host)
    if problem := host_problem(address):
        problems.append(Problem(f"host {host}: {problem}", file=file, line=line))
        return None
    return NodeTarget(host, address, t.port_for(None), t, rebased(CredentialRef(**credentials), file))


def _number(value: Any) -> Any:
    if value is None or isinstance(value, (int, float)):
        return value
    text = str(value).strip()
    if re.fullmatch(r"\d+", text):
        return int(text)
    if re.fullmatch(r"\d+\.\d*", text):
        return float(text)
    return text  # left for the schema to reject, with its name


def _boolean(value: Any) -> Any:
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "yes", "1", "on"):
        return True
    if text in ("false", "no", "0", "off"):
        return False
    return text

