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
