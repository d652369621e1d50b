"""A lab fleet: several shipped scenarios served at once, as `rollready lab serve A B C` does."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import yaml

from scanner import paths
from scanner.cli.lab_cmd import fleet_scenarios
from scanner.lab import Lab, load_scenario

FLEET_PASSWORD = "fleet-lab-pw-2b7d"
# A GO, an INCOMPLETE (one node refuses) and the mixed-mode dedup hazard: three verdicts in one run.
SCENARIOS = ("healthy-2012r2", "node-unreachable", "mixed-dedup-hazard")


@contextmanager
def lab_fleet(inventory: Path, scenarios: tuple[str, ...] = SCENARIOS) -> Iterator[list[Lab]]:
    """Serve the scenarios (cluster names made distinct) and write one inventory for them all."""
    loaded = fleet_scenarios([load_scenario(paths.SCENARIOS_DIR / f"{name}.yaml") for name in scenarios])
    with ExitStack() as stack:
        labs = [stack.enter_context(Lab(s, password=FLEET_PASSWORD).running()) for s in loaded]
        clusters = [c for lab in labs for c in lab.inventory()["clusters"]]
        inventory.write_text(yaml.safe_dump({"clusters": clusters}), encoding="utf-8")
        yield labs
