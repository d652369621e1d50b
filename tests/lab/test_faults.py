"""Each fault, seen from pypsrp: what a scanner meets when a node misbehaves."""
from __future__ import annotations

import json
import time
import xml.etree.ElementTree as ET

import pytest
import requests
from pypsrp.exceptions import AuthenticationError

from scanner import paths
from scanner.lab import Lab
from tests.lab.conftest import run_script, small_scenario


def _run_on_n2(faults: dict, **client_options) -> None:
    with Lab(small_scenario(faults)).running() as lab:
        run_script(lab.endpoints[1], **client_options)


def test_refused_connection():
    with pytest.raises(requests.exceptions.ConnectionError):
        _run_on_n2({"refuse": True})


def test_auth_failure_is_a_401():
    with pytest.raises(AuthenticationError):
        _run_on_n2({"auth_fail": True})


def test_wrong_password_is_a_401():
    with pytest.raises(AuthenticationError):
        _run_on_n2({}, password="wrong")


def test_connection_dropped_mid_receive():
    with pytest.raises((requests.exceptions.ChunkedEncodingError, requests.exceptions.ConnectionError)):
        _run_on_n2({"drop_mid_receive": True})


def test_slow_response_hits_the_client_read_timeout():
    # pypsrp retries a timed-out Receive 5 times, sleeping reconnection_backoff * (2**n - 1) between
    # tries (about two minutes with the default backoff of 2 s); every retry is held again.
    with pytest.raises(requests.exceptions.ReadTimeout):
        _run_on_n2({"slow_ms": 30000}, read_timeout=0.3, reconnection_backoff=0)


def test_malformed_xml():
    with pytest.raises(ET.ParseError):
        _run_on_n2({"malformed": "xml"})


def test_malformed_clixml_reaches_the_client_as_text_that_is_not_json():
    # pypsrp logs "Failed to parse data ... as XML" and hands the raw CLIXML over as the output.
    with Lab(small_scenario({"malformed": "clixml"})).running() as lab:
        ps = run_script(lab.endpoints[1])
    assert len(ps.output) == 1
    with pytest.raises(json.JSONDecodeError):
        json.loads(ps.output[0])


def test_faults_stay_on_their_node():
    with Lab(small_scenario({"malformed": "xml"})).running() as lab:
        ps = run_script(lab.endpoints[0])
    assert json.loads(ps.output[0])["node"]["name"] == "N1"


def test_latency_is_added_to_every_exchange():
    with Lab(small_scenario({"latency_ms": 40})).running() as lab:
        started = time.monotonic()
        ps = run_script(lab.endpoints[1])
        elapsed = time.monotonic() - started
        exchanges = lab.stats["N2"]["exchanges"]
    assert json.loads(ps.output[0])["node"]["name"] == "N2"
    assert elapsed >= exchanges * 0.040  # a lower bound: sleeps are never shorter


def test_section_error_and_hang_show_in_the_json():
    faults = {"section_errors": {"wmi": "Invalid namespace"}, "hang_section": "drivers"}
    with Lab(small_scenario(faults), time_scale=0.001).running() as lab:
        ps = run_script(lab.endpoints[1])
    node = json.loads(ps.output[0])["node"]
    assert node["wmi"]["mscluster"]["error"] == "Invalid namespace"
    assert node["drivers"] is None
    assert [e["section"] for e in node["errors"]] == ["wmi.mscluster", "drivers", "volume_resources.disks"]


def test_a_hung_provider_really_holds_the_answer_for_its_budget():
    """The collector waits a hung section's whole budget before abandoning it: so does the lab
    (120 s for drivers, scaled by time_scale), while pypsrp polls past OperationTimeout faults."""
    with Lab(small_scenario({"hang_section": "drivers"}), time_scale=0.01).running() as lab:
        started = time.monotonic()
        ps = run_script(lab.endpoints[1])
        elapsed = time.monotonic() - started
        polls = lab.stats["N2"]["exchanges"]
    node = json.loads(ps.output[0])["node"]
    assert node["drivers"] is None
    assert node["errors"] == [{"section": "drivers", "message": "timed out after 120 s", "duration_ms": 120000}]
    assert elapsed >= 1.2  # 120 s x 0.01
    assert polls > 6  # the pipeline's Receive was answered "still running" at least once


def test_the_real_collector_script_is_answered():
    script = (paths.ROOT / "scanner" / "collect" / "collector.ps1").read_text(encoding="utf-8")
    with Lab(small_scenario()).running() as lab:
        ps = run_script(lab.endpoints[0], script)
    assert not ps.had_errors
    assert json.loads(ps.output[0])["collector_version"] == "1"
