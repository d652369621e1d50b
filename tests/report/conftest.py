"""Report tests: the synthetic document generator lives next to them (and feeds bench/report.py)."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from report_synthetic import HOSTILE, LONG, result_document  # noqa: E402


@pytest.fixture
def small():
    """(result, facts bytes): 4 nodes, 8 rules, node 3 unreachable, every status present."""
    return result_document(4, 8, unreachable=(2,), fail_rate=0.2)


@pytest.fixture
def hostile():
    """Like small, with <script>, a Jinja expression, an RTL override and 10 KB in every string."""
    return result_document(3, 6, unreachable=(1,), fail_rate=0.3, text=HOSTILE + LONG)
