"""Where the shipped data lives: next to the package in a checkout, inside it once installed;
ROLLREADY_HOME overrides both."""
from __future__ import annotations

import os
from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parent.parent
_INSTALLED = Path(__file__).resolve().parent / "data"  # pip install (non-editable): see pyproject.toml


def _root() -> Path:
    if os.environ.get("ROLLREADY_HOME"):
        return Path(os.environ["ROLLREADY_HOME"])
    return _CHECKOUT if (_CHECKOUT / "rules").is_dir() else _INSTALLED


ROOT = _root()
RULES_DIR = ROOT / "rules"
DATA_DIR = RULES_DIR / "data"
SCHEMAS_DIR = ROOT / "schemas"
TEMPLATES_DIR = ROOT / "report_templates"
SCENARIOS_DIR = ROOT / "scenarios"
EXAMPLES_DIR = ROOT / "examples"
