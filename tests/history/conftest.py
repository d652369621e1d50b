"""Result + facts documents shaped like docs/contracts.md §2-3, built small for history tests."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

import pytest

RELEASES = {9600: ("2012R2", "6.3.9600"), 14393: ("2016", "10.0.14393"), 17763: ("2019", "10.0.17763")}
EXIT = {"GO": 0, "GO WITH WARNINGS": 1, "NO-GO": 2, "INCOMPLETE": 3}

Scan = tuple[dict[str, Any], dict[str, Any], bytes, str]


def build_scan(*, cluster: str = "FSCLUSTER1", verdict: str = "GO",
               builds: dict[str, int | None] | None = None,
               findings: list[tuple[str, str, str, str]] | None = None,
               collected_at: str = "2026-11-20T02:00:00Z", phase: str = "pre",
               install_dates: dict[str, str] | None = None) -> Scan:
    """builds: node -> OS build (None: unreachable); findings: (rule_id, subject, status, severity)."""
    builds = {"N1": 9600, "N2": 9600} if builds is None else builds
    findings = findings if findings is not None else [("CLU-001", "cluster", "pass", "critical")]
    nodes = []
    for name, build in builds.items():
        if build is None:
            nodes.append({"name": name, "reachable": False,
                          "errors": [{"section": "connection", "message": "refused"}]})
            continue
        release, version = RELEASES[build]
        nodes.append({"name": name, "reachable": True, "errors": [],
                      "os": {"caption": f"Windows Server {release}", "version": version, "build": build,
                             "ubr": 100, "full_version": f"{version}.100", "release": release,
                             "install_date": (install_dates or {}).get(name)}})
    scan = {"tool_version": "0.1.0", "collected_at": collected_at, "method": "lab", "phase": phase,
            "source_os": "2012R2", "target_os": "2016", "operator": "svc", "inventory": "lab.yaml",
            "partial": False}
    facts = {"schema_version": "1", "scan": scan, "cluster": {"name": cluster}, "nodes": nodes}
    facts_bytes = json.dumps(facts, sort_keys=True).encode()
    sha = hashlib.sha256(facts_bytes).hexdigest()
    result = {
        "schema_version": "1.0", "tool": {"name": "rollready", "version": "0.1.0"},
        "generated_at": collected_at, "phase": phase, "source_os": "2012R2", "target_os": "2016",
        "scan": scan,
        "cluster": {"name": cluster, "functional_level": 8, "upgrade_version": None,
                    "nodes": [{"name": n["name"], "reachable": n["reachable"],
                               "os_caption": (n.get("os") or {}).get("caption"),
                               "os_version": (n.get("os") or {}).get("version"),
                               "build": (n.get("os") or {}).get("build"), "errors": n["errors"]}
                              for n in nodes]},
        "rule_pack": {"paths": ["rules"], "sha256": "ab" * 32, "rules": 3, "catalogs": []},
        "facts_sha256": sha,
        "verdict": {"status": verdict, "reason": f"{verdict} because", "exit_code": EXIT[verdict],
                    "counts": {}},
        "findings": [{"rule_id": r, "title": f"title of {r}", "severity": sev, "status": st, "scope": "node",
                      "subject": subj, "area": "cluster", "node": subj if subj != "cluster" else None,
                      "message": f"{r} on {subj} is {st}"} for r, subj, st, sev in findings],
        "waivers": {"applied": [], "expired": [], "stale": []}, "attestations": [],
    }
    return result, facts, facts_bytes, sha


@pytest.fixture
def make_scan() -> Callable[..., Scan]:
    return build_scan
