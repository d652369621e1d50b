"""bench/collect.py's clients still collect: rollready and the two references its figures are
compared with (BENCHMARKS.md), each through the same scan against the replay peer."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).parents[1] / "bench" / "collect.py"


@pytest.mark.slow
@pytest.mark.parametrize("client", ["rollready", "pypsrp", "floor"])
def test_each_client_collects_every_node_in_five_exchanges(client):
    done = subprocess.run([sys.executable, str(BENCH), "--client", client, "--sizes", "3", "--repeat", "1",
                           "--latency-ms", "0", "--processes", "1"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    row = next(line for line in done.stdout.splitlines() if line.lstrip().startswith("3 "))
    counts = [int(n) for n in re.search(r"\[([\d, ]+)\]", row).group(1).split(",")]
    # the floor client re-sends what rollready sent to the first node, which the peer counts too
    assert counts == ([5, 10] if client == "floor" else [5])
    assert f"client {client}," in done.stdout


@pytest.mark.slow
def test_ntlm_runs_against_the_lab_and_is_refused_against_the_replay():
    base = [sys.executable, str(BENCH), "--auth", "ntlm", "--sizes", "2", "--repeat", "1", "--latency-ms", "0",
            "--processes", "1"]
    refused = subprocess.run(base, capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and "--auth ntlm needs --peer lab" in refused.stderr
    done = subprocess.run([*base, "--peer", "lab"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    row = next(line for line in done.stdout.splitlines() if line.lstrip().startswith("2 "))
    assert "[8]" in row  # the 401 challenge and the two NTLM legs before pypsrp's five
