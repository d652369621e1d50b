"""Where the shipped data lives: next to the package in a checkout, overridable by env."""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(os.environ.get("ROLLREADY_HOME", Path(__file__).resolve().parent.parent))
RULES_DIR = ROOT / "rules"
DATA_DIR = RULES_DIR / "data"
SCHEMAS_DIR = ROOT / "schemas"
TEMPLATES_DIR = ROOT / "report_templates"
SCENARIOS_DIR = ROOT / "scenarios"
EXAMPLES_DIR = ROOT / "examples"
