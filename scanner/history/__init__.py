"""Scan history: every scan recorded in SQLite, drift between runs, the mixed-mode clock."""
from scanner.history.drift import Drift, FindingChange, NodeChange, compute_drift
from scanner.history.mixed_mode import MixedModeClock, facts_mixed_mode, mixed_mode_clock
from scanner.history.store import FindingRecord, HistoryStore, NodeRecord, RunRecord

__all__ = [
    "Drift", "FindingChange", "FindingRecord", "HistoryStore", "MixedModeClock", "NodeChange",
    "NodeRecord", "RunRecord", "compute_drift", "facts_mixed_mode", "mixed_mode_clock",
]
