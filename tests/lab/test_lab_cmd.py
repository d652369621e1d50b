"""`rollready lab serve`: foreground lab, inventory on stdout, Ctrl-C stops it cleanly."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import yaml
from pypsrp.powershell import PowerShell, RunspacePool
from pypsrp.wsman import WSMan

from scanner import paths
from tests.lab.conftest import COLLECTOR
from tests.live import PATIENCE_S, wait_for_line


def test_serve_prints_an_inventory_and_stops_on_ctrl_c(tmp_path):
    inventory_file = tmp_path / "lab.yaml"
    env = {**os.environ, "ROLLREADY_LAB_PASSWORD": "s3cret-lab-pw"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "scanner", "lab", "serve", "node-unreachable", "--tls", "--inventory", str(inventory_file)],
        cwd=paths.ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        [ready] = wait_for_line(proc.stderr, "lab: serving")
        assert ready.startswith("lab: serving 3 node(s) of node-unreachable"), ready
        cluster = yaml.safe_load(inventory_file.read_text(encoding="utf-8"))["clusters"][0]
        node = cluster["nodes"][0]
        with WSMan(node["host"], port=node["port"], auth="basic", username=cluster["credentials"]["username"],
                   password="s3cret-lab-pw", cert_validation=cluster["transport"]["cert_validation"]) as wsman:
            with RunspacePool(wsman) as pool:
                ps = PowerShell(pool)
                ps.add_script(COLLECTOR)
                output = ps.invoke()
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=PATIENCE_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert json.loads(output[0])["node"]["name"] == "NODE1"
    assert proc.returncode == 0
    assert "lab: stopped" in stderr
    assert yaml.safe_load(stdout) == yaml.safe_load(inventory_file.read_text(encoding="utf-8"))
    assert "s3cret-lab-pw" not in stdout + ready + stderr
    assert cluster["credentials"] == {"username": "LAB\\admin", "password_env": "ROLLREADY_LAB_PASSWORD"}
    assert not os.path.exists(cluster["transport"]["cert_validation"])  # the generated CA went with the lab


def test_serve_rejects_an_unknown_scenario(capsys):
    from scanner.cli import main

    assert main(["lab", "serve", "no-such-scenario"]) == 65
    assert "no scenario 'no-such-scenario'" in capsys.readouterr().err


def test_serve_reports_a_bad_scenario_with_file_and_line(tmp_path, capsys):
    from scanner.cli import main

    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\ncluster: {name: C}\nnodes:\n  - name: N1\n    faults: {refuse: maybe}\n", encoding="utf-8")
    assert main(["lab", "serve", str(bad)]) == 65
    err = capsys.readouterr().err
    assert err.startswith(f"rollready: error: {bad}:5: ") and "maybe" in err
