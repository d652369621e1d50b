"""rollready plan: node order, dedup owners, gates, refusals, the runbook and the written files."""
from __future__ import annotations

import copy
import json
import re
import subprocess

import pytest
from pwsh_syntax import command_names, powershell_errors

from scanner import exitcodes
from scanner.cli import main
from scanner.paths import EXAMPLES_DIR
from scanner.plan import PlanRefused, build_plan, render_runbook
from scanner.plan.render import plan_context

PRE = json.loads((EXAMPLES_DIR / "pre-healthy-2012r2.json").read_text())
MIXED = json.loads((EXAMPLES_DIR / "mixed-dedup-hazard.json").read_text())


def facts(base=PRE, **cluster):
    doc = copy.deepcopy(base)
    doc["cluster"].update(cluster)
    return doc


def changing(plan):
    """(step id, command text) of every changing command, in plan order."""
    return [(s.id, c.text) for s in plan.steps for c in s.commands if c.changes]


def first_index(rows, pattern):
    return next(i for i, (_, text) in enumerate(rows) if re.search(pattern, text))


def test_node_order_puts_the_role_quorum_and_dedup_owner_last():
    plan = build_plan(facts(), "2016")
    assert [c.name for c in plan.nodes] == ["NODE2", "NODE3", "NODE1"]
    assert plan.nodes[-1].dedup_owner and plan.nodes[-1].quorum_critical and plan.nodes[-1].roles == 1


def test_every_node_is_drained_and_resumed_and_the_functional_level_is_raised_last():
    rows = changing(build_plan(facts(), "2016"))
    for node in ("NODE1", "NODE2", "NODE3"):
        drain = first_index(rows, rf"Suspend-ClusterNode -Name '{node}' -Drain")
        resume = first_index(rows, rf"Resume-ClusterNode -Name '{node}'")
        assert drain < resume
    level = first_index(rows, r"^Update-ClusterFunctionalLevel$")
    assert level > max(first_index(rows, rf"Resume-ClusterNode -Name '{n}'") for n in ("NODE1", "NODE2", "NODE3"))
    assert [t for _, t in rows].count("Update-ClusterFunctionalLevel") == 1


def test_dedup_owners_are_restricted_before_the_first_node_leaves_and_widened_at_the_end():
    plan = build_plan(facts(), "2016")
    rows = changing(plan)
    first_drain = first_index(rows, r"Suspend-ClusterNode")
    restrict = first_index(rows, r"Set-ClusterOwnerNode -Resource 'Cluster Disk 1'")
    assert restrict < first_drain
    assert rows[restrict][1].endswith("-Owners 'NODE3','NODE1'")  # NODE2 leaves first: only older nodes may own it
    owners = [t for _, t in rows if t.startswith("Set-ClusterOwnerNode")]
    assert owners == ["Set-ClusterOwnerNode -Resource 'Cluster Disk 1' -Owners 'NODE3','NODE1'",
                      "Set-ClusterOwnerNode -Resource 'Cluster Disk 1' -Owners 'NODE1'",
                      "Set-ClusterOwnerNode -Resource 'Cluster Disk 1' -Owners 'NODE2','NODE3'",
                      "Set-ClusterOwnerNode -Resource 'Cluster Disk 1' -Owners 'NODE1','NODE2','NODE3'"]
    # when the last old node goes, the role moves to the new release once, before that node is drained
    move = first_index(rows, r"Move-ClusterGroup -Name 'FS1' -Node 'NODE2'")
    assert move < first_index(rows, r"Suspend-ClusterNode -Name 'NODE1'")
    assert first_index(rows, r"Owners 'NODE1','NODE2','NODE3'") < first_index(rows, r"^Update-ClusterFunctionalLevel$")
    assert plan.dedup_volumes[0].label == "E: (Data)"


def test_in_mixed_mode_a_volume_on_the_new_release_never_gets_an_older_owner():
    plan = build_plan(copy.deepcopy(MIXED), "2016")
    assert [c.name for c in plan.nodes] == ["NODE2", "NODE3"] and plan.upgraded == ("NODE1",)
    owners = [t for _, t in changing(plan) if t.startswith("Set-ClusterOwnerNode")]
    assert owners[0] == "Set-ClusterOwnerNode -Resource 'Cluster Disk 1' -Owners 'NODE1'"
    assert owners[1] == "Set-ClusterOwnerNode -Resource 'Cluster Disk 1' -Owners 'NODE1','NODE2'"


def test_gates_scan_between_nodes_and_before_the_point_of_no_return():
    plan = build_plan(facts(), "2016")
    phases = [(s.id, s.gate.scan_phase) for s in plan.steps if s.gate and s.gate.scan_phase]
    assert [p for _, p in phases] == ["pre", "mixed", "mixed", "post", "post", "post"]
    no_return = [s for s in plan.steps if not s.reversible]
    assert [s.id for s in no_return] == ["X1"]
    assert plan.steps[[s.id for s in plan.steps].index("X1") - 1].phase == "validate"


def test_s2d_hyperv_and_cau_add_their_steps():
    doc = facts(s2d_enabled=True, cau={"role_present": True, "role_enabled": True, "run_in_progress": False})
    doc["cluster"]["groups"].append({"name": "VM1", "owner_node": "NODE2", "state": "Online", "is_core": False,
                                     "group_type": "VirtualMachine"})
    plan = build_plan(doc, "2016")
    texts = [t for _, t in changing(plan)]
    assert "Disable-CauClusterRole -Force" == texts[0]
    assert any("Enable-StorageMaintenanceMode" in t for t in texts)
    assert any(t.startswith("Get-StoragePool") and "Update-StoragePool" in t for t in texts)
    assert any("Update-VMVersion" in t for t in texts)
    assert texts[-1] == "Enable-CauClusterRole -Force"
    assert [s.id for s in plan.steps if not s.reversible] == ["X1", "X2", "X3"]


@pytest.mark.parametrize("change, reason", [
    ({"quorum": {"type": "NodeMajority", "raw_type": "NodeMajority", "resource": None, "resource_state": None},
      "nodes": PRE["cluster"]["nodes"][:2]}, "quorum does not hold with one node out (2 node votes, no witness)"),
    ({"nodes": [dict(PRE["cluster"]["nodes"][0], state="Down"), *PRE["cluster"]["nodes"][1:]]},
     "NODE1 not Up"),
    ({"quorum": None}, "quorum configuration was not collected"),
])
def test_refuses_with_every_reason(change, reason):
    with pytest.raises(PlanRefused) as err:
        build_plan(facts(**change), "2016", source="f.json")
    assert any(reason in p.message for p in err.value.problems)
    assert all(p.file == "f.json" for p in err.value.problems)


def test_refuses_a_skipped_release_and_a_finished_upgrade():
    with pytest.raises(PlanRefused, match="skips a release"):
        build_plan(facts(), "2019")
    with pytest.raises(PlanRefused, match="a member already runs a release newer than 2012R2|not a Windows Server"):
        build_plan(copy.deepcopy(MIXED), "2012R2")


def test_two_nodes_with_a_witness_can_be_planned():
    plan = build_plan(facts(nodes=PRE["cluster"]["nodes"][:2]), "2016")
    assert len(plan.nodes) == 2


HOSTILE = "NODE2'; Remove-Item C:\\ -Recurse #\n<#"


def test_runbook_parses_quotes_every_server_string_and_changes_nothing_without_execute():
    doc = facts()
    for ref in [doc["cluster"]["nodes"][1], *doc["cluster"]["groups"], *doc["cluster"]["resources"], doc["nodes"][1]]:
        for key in ("name", "owner_node"):
            if ref.get(key) == "NODE2":
                ref[key] = HOSTILE
    text = render_runbook(build_plan(doc, "2016"), "2026-11-20T02:00:00Z")
    assert powershell_errors(text) == []
    assert "Remove-Item" not in command_names(text)  # the name stays inside its quotes
    assert "Suspend-ClusterNode" in command_names(text)
    for line in text.splitlines():
        if re.match(r"\s*(Suspend|Resume|Remove|Add)-ClusterNode|\s*Set-ClusterOwnerNode|\s*Update-Cluster", line):
            pytest.fail(f"a changing command outside Invoke-Change: {line}")
    assert "param(\n    [switch]$Execute," in text and "Get-Credential" not in text and "-Password" not in text


def test_runbook_of_every_shipped_example_parses():
    for name, target in (("pre-healthy-2012r2.json", "2016"), ("mixed-dedup-hazard.json", "2016")):
        plan = build_plan(json.loads((EXAMPLES_DIR / name).read_text()), target)
        assert powershell_errors(render_runbook(plan, "x")) == [], name


def test_plan_command_writes_the_three_files(tmp_path, capsys):
    out = tmp_path / "plan"
    assert main(["plan", str(EXAMPLES_DIR / "pre-healthy-2012r2.json"), "--target-os", "2016", "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["plan.html", "plan.pdf", "runbook.ps1"]
    assert "node order NODE2 → NODE3 → NODE1" in capsys.readouterr().out
    html = (out / "plan.html").read_text()
    assert "Update-ClusterFunctionalLevel" in html and "irreversible" in html
    text = subprocess.run(["pdftotext", "-layout", str(out / "plan.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "Sign-off" in text and "FSCLUSTER1" in text and "Raise the cluster functional level" in text
    assert (out / "runbook.ps1").read_bytes().startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM: PowerShell 5.1 reads it


def test_plan_command_refusal_is_one_line_per_reason(tmp_path, capsys):
    doc = facts(quorum={"type": "NodeMajority", "raw_type": "NodeMajority", "resource": None, "resource_state": None},
                nodes=PRE["cluster"]["nodes"][:2])
    path = tmp_path / "facts.json"
    path.write_text(json.dumps(doc))
    assert main(["plan", str(path), "--target-os", "2016", "--out", str(tmp_path / "o")]) == exitcodes.DATAERR
    err = capsys.readouterr().err
    assert "quorum does not hold with one node out" in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()


@pytest.mark.slow
def test_scan_with_plan_writes_the_plan_beside_the_reports(tmp_path, monkeypatch, capsys):
    from scanner.lab import PASSWORD_ENV, load_scenario
    from scanner.paths import SCENARIOS_DIR
    from tests.collect.conftest import LAB_PASSWORD, lab_inventory_file, start_lab

    monkeypatch.setenv(PASSWORD_ENV, LAB_PASSWORD)
    with start_lab(load_scenario(SCENARIOS_DIR / "healthy-2012r2.yaml")).running() as lab:
        inventory = lab_inventory_file(lab, tmp_path, read_timeout=10)
        code = main(["scan", "-i", str(inventory), "--target-os", "2016", "--out", str(tmp_path / "ok"), "--plan",
                     "--no-pdfa"])
        assert code == 0
        assert sorted(p.name for p in (tmp_path / "ok" / "plan").iterdir()) == ["plan.html", "plan.pdf", "runbook.ps1"]
        assert powershell_errors((tmp_path / "ok" / "plan" / "runbook.ps1").read_text(encoding="utf-8-sig")) == []
        # a plan that cannot be made is a warning; the exit code stays the scan's verdict
        code = main(["scan", "-i", str(inventory), "--target-os", "2019", "--out", str(tmp_path / "skip"), "--plan"])
    verdict = json.loads((tmp_path / "skip" / "findings.json").read_text())["verdict"]
    assert code == verdict["exit_code"]
    assert "no upgrade plan for" in capsys.readouterr().err and not (tmp_path / "skip" / "plan").exists()


def test_plan_names_who_collected_the_facts_from_the_collection_record():
    """The basis table reads the facts' collection record (scanner_host, os_user), as the diff does;
    facts without one (an example, an offline output) fall back to the declared operator."""
    doc = facts()
    plan = build_plan(doc, "2016")
    doc["scan"]["provenance"] = {"scanner_host": "jump.example", "os_user": "auditor", "command_line": [],
                                 "collector": {}, "inventory_sha256": None, "connections": []}
    basis = dict(plan_context(plan, doc, "2026-12-01T00:00:00Z", "screen")["basis"])
    assert basis["Facts collected by"] == "auditor on jump.example"
    doc["scan"]["provenance"] = None
    doc["scan"]["operator"] = "ops-team"
    assert dict(plan_context(plan, doc, "2026-12-01T00:00:00Z", "screen")["basis"])["Facts collected by"] == "ops-team"


def test_the_basis_counts_the_nodes_of_a_large_cluster_which_node_order_names():
    """A 1,000-node plan listed every name in one basis row (cut at 4,000 characters, taller than half
    a page); past 16 it counts them, and the node order table names each."""
    import dataclasses

    plan = build_plan(facts(), "2016")
    few = dict(plan_context(plan, PRE, "2026-12-01T00:00:00Z", "screen")["basis"])["Nodes to upgrade"]
    assert few == ", ".join(c.name for c in plan.nodes)
    many = dataclasses.replace(plan, nodes=tuple(plan.nodes) * 10)
    basis = dict(plan_context(many, PRE, "2026-12-01T00:00:00Z", "screen")["basis"])
    assert basis["Nodes to upgrade"] == f"{len(many.nodes)} nodes, each named under “Node order”"
