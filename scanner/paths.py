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


def home_problem() -> str | None:
    """Why ROLLREADY_HOME cannot serve as the data folder; None when it can or is not set. (Unchecked,
    a wrong one surfaced as an unwritable-output error naming schemas/facts.schema.json.)"""
    if not os.environ.get("ROLLREADY_HOME"):
        return None
    missing = [f"{d.name}/" for d in (RULES_DIR, SCHEMAS_DIR, TEMPLATES_DIR) if not d.is_dir()]
    if missing:
        return f"ROLLREADY_HOME={ROOT} is not a rollready data folder (no {', '.join(missing)})"
    return None
