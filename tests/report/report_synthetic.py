"""Synthetic result and facts documents for report tests and the report benchmark.

Deterministic (seeded), valid against schemas/findings.schema.json and schemas/facts.schema.json,
with every status present: failures, unknowns from an unreachable node, errors, manual rules,
waivers, not_applicable and passes.
"""
from __future__ import annotations

import hashlib
import json
import random
from typing import Any

AREAS = ("cluster", "os", "patches", "storage", "dedup", "shares", "drivers", "firmware", "security", "backup", "wmi", "hyper-v")
HOSTILE = " <script>alert(1)</script> {{ 7*7 }} \u202egnp.exe "  # markup, template syntax, RTL override
LONG = "A" * 10240
SEVERITIES = ("critical", "high", "medium", "low", "info")
BUILDS = {"2012R2": ("6.3.9600", 9600, "Microsoft Windows Server 2012 R2 Datacenter"),
          "2016": ("10.0.14393", 14393, "Microsoft Windows Server 2016 Datacenter")}


def facts_document(nodes: int = 4, *, cluster: str = "FSCLUSTER1", phase: str = "pre", upgraded: int = 0,
                   unreachable: tuple[int, ...] = (), hotfixes: tuple[str, ...] = ("KB5000001",),
                   traces: bool = False, owners: dict[str, int] | None = None,
                   functional_level: int = 8, upgrade_version: int | None = 1, text: str = "") -> dict[str, Any]:
    """A facts document: the first `upgraded` nodes run 2016, the rest 2012 R2."""
    owners = owners or {"Cluster Disk 1": 0}
    names = [f"NODE{i + 1:02d}" for i in range(nodes)]
    node_docs = []
    for i, name in enumerate(names):
        if i in unreachable:
            node_docs.append({"name": name, "reachable": False,
                              "errors": [{"section": "connection", "message": f"WinRM: connection refused{text}"}]})
            continue
        release = "2016" if i < upgraded else "2012R2"
        version, build, caption = BUILDS[release]
        node_docs.append({
            "name": name, "reachable": True, "errors": [],
            "os": {"caption": caption + text, "version": version, "build": build, "ubr": 100, "release": release},
            "hotfixes": [{"id": kb} for kb in hotfixes],
            "cluster_registry": ({"os": "Windows Server 2012 R2", "os_version": "6.3", "functional_level": 8,
                                  "operating_version_present": True, "mixed_mode": 1}
                                 if traces else {"os": None, "os_version": None, "functional_level": None,
                                                 "operating_version_present": False, "mixed_mode": None}),
            "volumes": [{"path": f"E{k}:", "cluster_resource": res, "dedup": {"enabled": True}}
                        for k, (res, owner) in enumerate(sorted(owners.items())) if owner == i],
        })
    resources = [{"name": res, "state": "Online", "owner_node": names[owner], "resource_type": "Physical Disk",
                  "possible_owners": names} for res, owner in sorted(owners.items())]
    return {
        "schema_version": "1",
        "scan": {"tool_version": "0.1.0", "collected_at": "2026-11-25T06:00:00Z", "method": "lab", "phase": phase,
                 "source_os": "2012R2", "target_os": "2016", "operator": "CORP\\admin" + text, "inventory": "inv.yaml",
                 "partial": False},
        "cluster": {"name": cluster + text, "collected_from": names[0], "functional_level": functional_level,
                    "upgrade_version": upgrade_version, "resources": resources, "errors": []},
        "nodes": node_docs,
    }


def facts_bytes(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc, indent=2).encode("utf-8")


def _verdict(findings: list[dict[str, Any]]) -> dict[str, Any]:
    counts: dict[str, dict[str, int]] = {}
    for f in findings:
        by = counts.setdefault(f["status"], {})
        by[f["severity"]] = by.get(f["severity"], 0) + 1
    crit = [f for f in findings if f["status"] == "fail" and f["severity"] == "critical"]
    open_ = [f for f in findings if f["status"] in ("unknown", "error", "manual") and f["blocking"]]
    fails = [f for f in findings if f["status"] == "fail"]
    if crit:
        return {"status": "NO-GO", "reason": f"{len(crit)} critical check(s) failed, first {crit[0]['rule_id']} on {crit[0]['subject']}.", "exit_code": 2, "counts": counts}
    if open_:
        return {"status": "INCOMPLETE", "reason": f"{len(open_)} blocking check(s) could not be evaluated.", "exit_code": 3, "counts": counts}
    if fails:
        return {"status": "GO WITH WARNINGS", "reason": f"{len(fails)} non-critical check(s) failed.", "exit_code": 1, "counts": counts}
    return {"status": "GO", "reason": "Every check passed.", "exit_code": 0, "counts": counts}


def _finding(rule: dict[str, Any], subject: str, node: str | None, status: str, text: str) -> dict[str, Any]:
    evidence = [{"fact": rule["fact"], "actual": {"pass": "10.0.14393.2828", "fail": "10.0.14393.1000"}.get(status),
                 "op": "version_ge", "expected": "10.0.14393.2828",
                 "result": {"pass": "true", "fail": "false"}.get(status, "unknown")}]
    detail = {"unknown": f"fact {rule['fact']} was not collected on {node or 'the cluster'}",
              "error": "catalog rules/data/drivers.yaml: entry 3 has no version", "manual": "needs an attestation"}.get(status)
    if node is not None and status == "unknown" and rule.get("down"):
        detail = "node unreachable: WinRM connection refused"
    return {
        "rule_id": rule["id"], "title": rule["title"], "severity": rule["severity"], "status": status,
        "scope": rule["scope"], "subject": subject, "area": rule["area"], "node": node,
        "message": f"{rule['title']} on {subject}{text}: {status}",
        "remediation": f"Bring {rule['fact']} up to the required value, then re-run the scan.",
        "references": ["https://learn.microsoft.com/windows-server/failover-clustering/cluster-operating-system-rolling-upgrade"],
        "evidence": evidence if status not in ("not_applicable", "manual") else [],
        "blocking": rule["severity"] in ("critical", "high"), "catalog": None,
        "waiver": ({"rule": rule["id"], "subject": subject, "justification": f"Accepted by change board CAB-1234{text}",
                    "expires": "2027-01-31", "approved_by": "J. Smith"} if status == "waived" else None),
        "attestation": None, "detail": detail,
    }


def result_document(nodes: int = 4, rules: int = 8, *, seed: int = 1, unreachable: tuple[int, ...] = (),
                    fail_rate: float = 0.04, text: str = "", facts: dict[str, Any] | None = None,
                    phase: str = "pre", waived: int = 2) -> tuple[dict[str, Any], bytes]:
    """(result, facts bytes): `rules` rules over `nodes` nodes; text is appended to untrusted strings."""
    rnd = random.Random(seed)
    facts = facts or facts_document(nodes, unreachable=unreachable, phase=phase, text=text)
    raw = facts_bytes(facts)
    names = [n["name"] for n in facts["nodes"]]
    down = {n["name"] for n in facts["nodes"] if not n["reachable"]}
    rule_defs = []
    for r in range(rules):
        scope = ("cluster", "node", "node", "volume")[r % 4]
        rule_defs.append({"id": f"R{r + 1:03d}", "title": f"Synthetic check number {r + 1} of the {AREAS[r % len(AREAS)]} area{text}",
                          "severity": SEVERITIES[r % len(SEVERITIES)], "scope": scope, "area": AREAS[r % len(AREAS)],
                          "fact": f"{AREAS[r % len(AREAS)]}.value{r}"})
    findings = []
    for r, rule in enumerate(rule_defs):
        subjects = [("cluster", None)] if rule["scope"] == "cluster" else (
            [(n, n) for n in names] if rule["scope"] == "node" else [(f"{n}:E:", n) for n in names])
        for subject, node in subjects:
            roll = rnd.random()
            decided = rule
            if node in down:
                status, decided = "unknown", {**rule, "down": True}
            elif r % 17 == 5:
                status = "manual"
            elif r % 23 == 7 and roll < 0.5:
                status = "error"
            elif roll < fail_rate:
                status = "fail"
            elif roll < fail_rate + 0.01:
                status = "unknown"
            elif roll < fail_rate + 0.06:
                status = "not_applicable"
            else:
                status = "pass"
            findings.append(_finding(decided, subject, node, status, text))
    fails = [f for f in findings if f["status"] == "fail" and f["severity"] != "critical"]
    for f in fails[:waived]:
        f.update(_finding({"id": f["rule_id"], "title": f["title"], "severity": f["severity"], "scope": f["scope"],
                           "area": f["area"], "fact": "x"}, f["subject"], f["node"], "waived", text))
    pack = hashlib.sha256(b"rules").hexdigest()
    result = {
        "schema_version": "1.0",
        "tool": {"name": "rollready", "version": "0.1.0"},
        "generated_at": "2026-11-25T06:05:00Z",
        "phase": phase, "source_os": "2012R2", "target_os": "2016",
        "scan": facts["scan"],
        "cluster": {"name": facts["cluster"]["name"], "functional_level": facts["cluster"]["functional_level"],
                    "upgrade_version": facts["cluster"]["upgrade_version"],
                    "nodes": [{"name": n["name"], "reachable": n["reachable"],
                               "os_caption": (n.get("os") or {}).get("caption"), "os_version": (n.get("os") or {}).get("version"),
                               "build": (n.get("os") or {}).get("build"), "errors": n["errors"]} for n in facts["nodes"]]},
        "rule_pack": {"paths": ["rules/"], "version": "2026.11", "sha256": pack, "rules": rules,
                      "catalogs": [{"name": "drivers", "path": "rules/data/drivers.yaml", "sha256": hashlib.sha256(b"d").hexdigest()}]},
        "facts_sha256": hashlib.sha256(raw).hexdigest(),
        "verdict": _verdict(findings),
        "collection_problems": [f"{n['name']}: {n['errors'][0]['message']}" for n in facts["nodes"] if not n["reachable"]],
        "findings": findings,
        "waivers": {"applied": [], "expired": [], "stale": []},
        "attestations": [],
    }
    return result, raw
