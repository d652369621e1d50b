"""WS-Man envelopes: what pypsrp makes of the lab's faults, and requests that are not WS-Man."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
import requests
from pypsrp.exceptions import WSManFaultError
from pypsrp.wsman import SelectorSet, WSMan

from scanner.lab import Lab, wsman
from tests.lab.conftest import small_scenario, wsman_for


def test_parse_request_rejects_what_is_not_a_soap_envelope():
    with pytest.raises(wsman.MalformedRequest):
        wsman.parse_request(b"<not-closed")
    with pytest.raises(wsman.MalformedRequest):
        wsman.parse_request(b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"/>')


def test_fault_is_read_by_pypsrp_with_its_code_and_machine():
    req = wsman.parse_request(_envelope())
    err = WSMan._parse_wsman_fault(wsman.operation_timeout(req, "NODE1").decode())
    assert err.code == wsman.CODE_OPERATION_TIMEOUT and err.machine == "NODE1"


def test_unknown_shell_gets_the_invalid_selectors_fault():
    selectors = SelectorSet()
    selectors.add_option("ShellId", "00000000-0000-0000-0000-000000000001")
    receive = ET.Element("{http://schemas.microsoft.com/wbem/wsman/1/windows/shell}Receive")
    with Lab(small_scenario()).running() as lab, wsman_for(lab.endpoints[0]) as client:
        with pytest.raises(WSManFaultError) as info:
            client.receive("http://schemas.microsoft.com/powershell/Microsoft.PowerShell", receive, selector_set=selectors)
    assert info.value.code == wsman.CODE_INVALID_SELECTORS


def test_a_post_that_is_not_wsman_gets_400():
    with Lab(small_scenario()).running() as lab:
        ep = lab.endpoints[0]
        r = requests.post(f"http://{ep.host}:{ep.port}/wsman", data=b"hello", auth=("LAB\\admin", "rollready-lab"),
                          timeout=5)
    assert r.status_code == 400


def _envelope() -> bytes:
    return (
        b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
        b'xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing"><s:Header>'
        b"<wsa:Action>http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Receive</wsa:Action>"
        b"<wsa:MessageID>uuid:1</wsa:MessageID></s:Header><s:Body/></s:Envelope>"
    )
