"""The lab: every node of a scenario served on its own loopback port, with an inventory to scan it."""
from __future__ import annotations

import json
import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scanner.collect.sections import default_params
from scanner.collect.wire import pack
from scanner.lab import auth as lab_auth
from scanner.lab.outputs import collector_run
from scanner.lab.scenario import NodeSpec, Scenario
from scanner.lab.script import answer_collector
from scanner.lab.server import NodeServer
from scanner.lab.service import WinRMService
from scanner.lab.stats import NodeStats
from scanner.lab.tls import LabCertificates, make_certificates

PASSWORD_ENV = "ROLLREADY_LAB_PASSWORD"
DEFAULT_USERNAME = "LAB\\admin"
DEFAULT_PASSWORD = "rollready-lab"  # documented in docs/lab.md; a loopback-only lab credential
DEFAULT_HOST = "127.0.0.1"


@dataclass(frozen=True)
class NodeEndpoint:
    name: str
    host: str
    port: int
    scheme: str
    ca_file: str | None


class Lab:
    """Start with running(); endpoints, inventory() and stats are valid while it runs."""

    def __init__(
        self,
        scenario: Scenario,
        tls: bool = False,
        auth: str = lab_auth.BASIC,
        *,
        host: str = DEFAULT_HOST,
        base_port: int | None = None,
        username: str = DEFAULT_USERNAME,
        password: str | None = None,
        time_scale: float = 1.0,
    ) -> None:
        if auth not in lab_auth.AUTH_METHODS:
            raise ValueError(f"unknown lab auth {auth!r}; use one of {', '.join(lab_auth.AUTH_METHODS)}")
        self.scenario = scenario
        self.tls = tls
        self.auth = auth
        self.host = host
        self.base_port = base_port
        self.credentials = _credentials(username, password)
        self.time_scale = time_scale  # real seconds per simulated collector second (hung sections)
        self.ca_file: str | None = None
        self.endpoints: list[NodeEndpoint] = []
        self._servers: list[NodeServer] = []
        self._refusers: list[socket.socket] = []
        self._stats: dict[str, NodeStats] = {}
        self._tmp: Path | None = None
        self._ntlm_registered = False

    @contextmanager
    def running(self) -> Iterator[Lab]:
        self.start()
        try:
            yield self
        finally:
            self.stop()

    def start(self) -> None:
        try:
            self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> None:
        certs = None
        if self.tls:
            self._tmp = Path(tempfile.mkdtemp(prefix="rollready-lab-"))
            certs = make_certificates(self._tmp, [self.host])
            self.ca_file = str(certs.ca_file)
        if self.auth == lab_auth.NTLM:
            lab_auth.NtlmUserFile.add(self.credentials)
            self._ntlm_registered = True
        scheme = "https" if self.tls else "http"
        for i, spec in enumerate(self.scenario.nodes):
            port = self.base_port + i if self.base_port is not None else 0
            self._stats[spec.name] = NodeStats()
            if spec.faults.refuse:
                port = self._refuse(port)
            else:
                server = self._serve(spec, port, scheme, certs)
                port = server.server_address[1]
            self.endpoints.append(NodeEndpoint(spec.name, self.host, port, scheme, self.ca_file))

    def _serve(self, spec: NodeSpec, port: int, scheme: str, certs: LabCertificates | None) -> NodeServer:
        def document(parameters: dict[str, object]) -> tuple[str, float]:
            # The scenario as it is now: a replay (scanner.lab.evolve) may have moved it on since the start.
            current = self.scenario.node(spec.name)
            params = default_params().with_parameters(parameters)
            run = collector_run(self.scenario, current, params)
            text = json.dumps(run.document, separators=(",", ":"))
            return pack(text) if params.compress_output else text, run.runtime_s * self.time_scale

        service = WinRMService(
            machine=spec.name,
            owner=self.credentials.username,
            answer=answer_collector(document, corrupt=spec.faults.malformed == "clixml",
                                    watch=lambda: json.dumps(watch_document(self.scenario))),
        )
        authenticator = lab_auth.Authenticator(self.auth, self.credentials, certs.channel_binding if certs else None)
        server = NodeServer(
            self.host, port, service, authenticator, spec.faults, self._stats[spec.name], certs.context if certs else None
        )
        self._servers.append(server)
        server.start()
        return server

    def _refuse(self, port: int) -> int:
        """Hold the port without listening: connecting to it is refused."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind((self.host, port))
        self._refusers.append(sock)
        return int(sock.getsockname()[1])

    def stop(self) -> None:
        for server in self._servers:
            server.stop()
        for sock in self._refusers:
            sock.close()
        self._servers.clear()
        self._refusers.clear()
        if self._ntlm_registered:
            lab_auth.NtlmUserFile.remove(self.credentials)
            self._ntlm_registered = False
        self.endpoints = []
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    @property
    def stats(self) -> dict[str, dict[str, int]]:
        return {name: s.snapshot() for name, s in self._stats.items()}

    def open_shells(self) -> dict[str, int]:
        """Shells each listening node still holds: 0 once a client deleted what it created."""
        return {server.service.machine: server.service.open_shells for server in self._servers}

    def inventory(self) -> dict[str, Any]:
        """An inventory (contracts §4) that scans this lab; the password is referenced, never included."""
        scheme = "https" if self.tls else "http"
        return {
            "clusters": [
                {
                    "name": self.scenario.cluster["name"],
                    "transport": {
                        "scheme": scheme,
                        "auth": self.auth,
                        "cert_validation": self.ca_file if self.tls else True,
                        "encryption": "never" if (self.auth == lab_auth.BASIC and not self.tls) else "auto",
                    },
                    "credentials": {"username": self.credentials.username, "password_env": PASSWORD_ENV},
                    "nodes": [{"name": e.name, "host": e.host, "port": e.port} for e in self.endpoints],
                }
            ]
        }


def watch_document(scenario: Scenario) -> dict[str, Any]:
    """What scanner/collect/watch.ps1 prints on a node of this cluster, as it is now."""
    cluster = scenario.cluster
    nodes = [{"name": n["name"], "state": n.get("state") or "Up", "major_version": n.get("major_version"),
              "minor_version": n.get("minor_version"), "build_number": n.get("build_number")}
             for n in cluster.get("nodes") or []]
    for node in nodes:  # a scenario may leave the build to the node's own facts
        if node["build_number"] is None:
            os_facts = scenario.node(node["name"]).facts.get("os") or {}
            node["build_number"] = os_facts.get("build")
    groups = [{"name": g["name"], "owner_node": g.get("owner_node"), "state": g.get("state")}
              for g in cluster.get("groups") or []]
    disks = [{"name": r["name"], "owner_group": r.get("owner_group"), "owner_node": r.get("owner_node"),
              "state": r.get("state"), "possible_owners": list(r.get("possible_owners") or [])}
             for r in cluster.get("resources") or [] if (r.get("resource_type") or "") == "Physical Disk"]
    return {"watch_version": "1", "cluster": cluster.get("name") or scenario.name, "collected_at": None,
            "nodes": nodes, "groups": groups, "disks": disks}


def _credentials(username: str, password: str | None) -> lab_auth.Credentials:
    return lab_auth.Credentials(username, password or os.environ.get(PASSWORD_ENV) or DEFAULT_PASSWORD)
