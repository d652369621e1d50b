"""The Ansible integration (integrations/ansible/) run by ansible-core against a lab fleet on
loopback: one scan per cluster fanned out by Ansible into one PostgreSQL history, the dashboard
from it; and the facts-only path (collect per site, evaluate centrally)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from scanner import paths
from scanner.history import HistoryStore
from scanner.lab import PASSWORD_ENV
from tests.fleet.conftest import FLEET_PASSWORD, lab_fleet

PLAYBOOKS = paths.ROOT / "integrations" / "ansible"
NAMES = ["FSCLUSTER1", "FSCLUSTER1-2", "FSCLUSTER1-3"]


def _ansible(tmp_path: Path, playbook: str, hosts: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ANSIBLE_HOME": str(tmp_path / "ansible"), "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible-tmp"),
           "ANSIBLE_NOCOLOR": "1", "ANSIBLE_RETRY_FILES_ENABLED": "0", "ANSIBLE_STDOUT_CALLBACK": "default"}
    command = [str(Path(sys.executable).with_name("ansible-playbook")), "-i", str(hosts), "-f", "3",
               str(PLAYBOOKS / playbook)]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)


def _hosts(tmp_path: Path, inventory: Path, **cluster_vars: object) -> Path:
    """The Ansible inventory: one host per cluster, everything run on this machine."""
    local = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
    hosts = {"all": {"hosts": {"localhost": local}, "children": {"rollready_clusters": {
        "hosts": {name: {} for name in NAMES},
        "vars": {**local, "rollready_bin": str(Path(sys.executable).with_name("rollready")),
                 "rollready_inventory": str(inventory), "rollready_phase": "pre", "rollready_target_os": "2016",
                 "rollready_parallel": 3, "rollready_environment": {PASSWORD_ENV: FLEET_PASSWORD}, **cluster_vars}}}}}
    path = tmp_path / "hosts.yml"
    path.write_text(yaml.safe_dump(hosts), encoding="utf-8")
    return path


@pytest.mark.slow
def test_the_playbook_scans_every_cluster_into_one_postgresql_history(tmp_path, postgres_url):
    inventory, out = tmp_path / "fleet.yaml", tmp_path / "scans"
    hosts = _hosts(tmp_path, inventory, rollready_out=str(out), rollready_history=postgres_url,
                   rollready_extra_args=["--no-pdfa"], rollready_dashboard=str(tmp_path / "fleet.html"))
    with lab_fleet(inventory):
        done = _ansible(tmp_path, "fleet.yml", hosts)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    with HistoryStore.open(postgres_url) as store:
        runs = store.runs()
    assert sorted(r.cluster for r in runs) == NAMES
    assert {r.cluster: r.report_dir for r in runs} == {n: str(out / n) for n in NAMES}
    for name in NAMES:
        assert (out / name / "findings.json").exists() and (out / name / "report.pdf").exists()
    assert "FSCLUSTER1: GO" in done.stdout and "FSCLUSTER1-2: INCOMPLETE" in done.stdout
    dashboard = (tmp_path / "fleet.html").read_text()
    assert all(f">{name}</a>" in dashboard for name in NAMES)


@pytest.mark.slow
def test_the_facts_only_path_collects_per_site_and_evaluates_centrally(tmp_path):
    inventory, central = tmp_path / "fleet.yaml", tmp_path / "central"
    hosts = _hosts(tmp_path, inventory, rollready_site_dir=str(tmp_path / "site"), rollready_central_dir=str(central))
    with lab_fleet(inventory):
        done = _ansible(tmp_path, "collect-evaluate.yml", hosts)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    verdicts = {n: json.loads((central / f"{n}.findings.json").read_text())["verdict"]["status"] for n in NAMES}
    assert verdicts["FSCLUSTER1"] == "GO" and verdicts["FSCLUSTER1-2"] == "INCOMPLETE"
    assert all((central / f"{n}.html").exists() for n in NAMES)
