from __future__ import annotations

from datetime import datetime, timezone

from scanner.history import HistoryStore, facts_mixed_mode, mixed_mode_clock


def test_mixed_mode_from_builds_and_cluster_view(make_scan):
    assert facts_mixed_mode(make_scan(builds={"N1": 9600, "N2": 14393})[1]) is True
    assert facts_mixed_mode(make_scan(builds={"N1": 9600, "N2": 9600})[1]) is False
    facts = make_scan(builds={"N1": 14393, "N2": None})[1]
    assert facts_mixed_mode(facts) is None  # N2 was not reached: unknown, not "no"; the cluster view can say more:
    facts["cluster"]["nodes"] = [{"name": "N1", "state": "Up", "build_number": 14393},
                                 {"name": "N2", "state": "Up", "build_number": 9600}]
    assert facts_mixed_mode(facts) is True


def test_the_registry_mixed_mode_trace_does_not_make_a_cluster_mixed(make_scan):
    facts = make_scan(builds={"N1": 14393, "N2": 14393})[1]
    facts["nodes"][0]["cluster_registry"] = {"mixed_mode": 1}  # left behind after a finished roll
    assert facts_mixed_mode(facts) is False


def test_mixed_mode_is_unknown_when_nothing_was_collected(make_scan):
    assert facts_mixed_mode(make_scan(builds={"N1": None, "N2": None})[1]) is None
    assert mixed_mode_clock(make_scan(builds={"N1": None})[1], None).mixed is None


def test_clock_starts_with_the_first_mixed_scan_in_history(tmp_path, make_scan):
    mixed = {"N1": 14393, "N2": 9600}
    with HistoryStore.open(tmp_path / "h.db") as store:
        for day, builds in ((1, {"N1": 9600, "N2": 9600}), (3, mixed), (10, mixed)):
            result, facts, _, sha = make_scan(builds=builds, collected_at=f"2026-11-{day:02d}T00:00:00Z")
            store.record(result, facts, sha)
        assert store.first_mixed_mode_seen("FSCLUSTER1") == datetime(2026, 11, 3, tzinfo=timezone.utc)
        clock = mixed_mode_clock(make_scan(builds=mixed, collected_at="2026-11-25T12:00:00Z")[1], store)
    assert clock.since_iso == "2026-11-03T00:00:00Z"
    assert clock.age_days == 22.5
    assert clock.source == "history"


def test_clock_resets_when_the_cluster_leaves_mixed_mode_and_survives_prune(tmp_path, make_scan):
    with HistoryStore.open(tmp_path / "h.db") as store:
        for day, builds in ((1, {"N1": 14393, "N2": 9600}), (5, {"N1": 14393, "N2": 14393})):
            result, facts, _, sha = make_scan(builds=builds, collected_at=f"2026-11-{day:02d}T00:00:00Z")
            store.record(result, facts, sha)
        assert store.first_mixed_mode_seen("FSCLUSTER1") is None
        for day in (7, 8):
            result, facts, _, sha = make_scan(builds={"N1": 17763, "N2": 14393},
                                              collected_at=f"2026-11-{day:02d}T00:00:00Z")
            store.record(result, facts, sha)
        store.prune(keep=1)
        assert store.first_mixed_mode_seen("FSCLUSTER1") == datetime(2026, 11, 7, tzinfo=timezone.utc)


def test_clock_uses_the_upgraded_nodes_install_date_when_history_starts_late(make_scan):
    facts = make_scan(builds={"N1": 14393, "N2": 14393, "N3": 9600}, collected_at="2026-11-25T00:00:00Z",
                      install_dates={"N1": "2026-11-01T08:00:00Z", "N2": "2026-11-10T08:00:00Z",
                                     "N3": "2015-01-01T00:00:00Z"})[1]
    clock = mixed_mode_clock(facts, None)
    assert (clock.since_iso, clock.source) == ("2026-11-01T08:00:00Z", "install_date")
    assert 23 < clock.age_days < 24


def test_clock_without_history_starts_with_this_scan(make_scan):
    clock = mixed_mode_clock(make_scan(builds={"N1": 14393, "N2": 9600}, collected_at="2026-11-25T00:00:00Z")[1], None)
    assert (clock.since_iso, clock.age_days, clock.source) == ("2026-11-25T00:00:00Z", 0.0, "this_scan")


def test_no_clock_outside_mixed_mode(make_scan):
    assert mixed_mode_clock(make_scan()[1], None).since_iso is None
