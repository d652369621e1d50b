"""Authentication and transport security: Basic over HTTP/HTTPS, NTLM with WinRM message encryption."""
from __future__ import annotations

import json
import os

import pytest
import requests
from pypsrp.exceptions import AuthenticationError
from pypsrp.powershell import PowerShell, RunspacePool

from scanner.lab import Lab
from tests.lab.conftest import COLLECTOR, run_script, small_scenario, wsman_for


def _node_name(ps: PowerShell) -> str:
    assert not ps.had_errors
    return json.loads(ps.output[0])["node"]["name"]


def test_basic_over_https_with_the_generated_ca():
    with Lab(small_scenario(), tls=True).running() as lab:
        ep = lab.endpoints[0]
        assert ep.scheme == "https" and ep.ca_file and os.path.isfile(ep.ca_file)
        ps = run_script(ep, cert_validation=ep.ca_file, encryption="auto")
        inventory = lab.inventory()["clusters"][0]["transport"]
        ca_file = ep.ca_file
    assert _node_name(ps) == "N1"
    assert inventory == {"scheme": "https", "auth": "basic", "cert_validation": ca_file, "encryption": "auto"}
    assert not os.path.exists(ca_file)  # removed with the lab


def test_https_is_verified_by_default():
    with Lab(small_scenario(), tls=True).running() as lab:
        with pytest.raises(requests.exceptions.SSLError):
            run_script(lab.endpoints[0], encryption="auto")


@pytest.mark.parametrize("client_auth", ["ntlm", "negotiate"])
def test_ntlm_with_message_encryption_over_http(client_auth: str):
    with Lab(small_scenario(), auth="ntlm").running() as lab:
        with wsman_for(lab.endpoints[1], auth=client_auth, encryption="auto") as wsman:
            with RunspacePool(wsman) as pool:
                ps = PowerShell(pool)
                ps.add_script(COLLECTOR)
                ps.invoke()
            sealed = wsman.transport.encryption is not None
        inventory = lab.inventory()["clusters"][0]["transport"]
    assert _node_name(ps) == "N2"
    assert sealed  # every message after the handshake went multipart/encrypted
    assert inventory["auth"] == "ntlm" and inventory["encryption"] == "auto"


def test_ntlm_rejects_a_wrong_password():
    with Lab(small_scenario(), auth="ntlm").running() as lab:
        with pytest.raises(AuthenticationError):
            run_script(lab.endpoints[0], auth="ntlm", encryption="auto", password="not-it")


def test_ntlm_over_https_binds_the_channel():
    with Lab(small_scenario(), tls=True, auth="ntlm").running() as lab:
        ep = lab.endpoints[0]
        ps = run_script(ep, auth="ntlm", encryption="auto", cert_validation=ep.ca_file)
        with pytest.raises(AuthenticationError):
            run_script(ep, auth="ntlm", encryption="auto", cert_validation=ep.ca_file, negotiate_send_cbt=False)
    assert _node_name(ps) == "N1"


def test_ntlm_credential_file_is_removed_after_the_lab(monkeypatch):
    monkeypatch.delenv("NTLM_USER_FILE", raising=False)
    with Lab(small_scenario(), auth="ntlm").running():
        path = os.environ["NTLM_USER_FILE"]
        assert os.stat(path).st_mode & 0o077 == 0
    assert "NTLM_USER_FILE" not in os.environ and not os.path.exists(path)


def test_unknown_auth_is_refused():
    with pytest.raises(ValueError, match="unknown lab auth"):
        Lab(small_scenario(), auth="kerberos")
