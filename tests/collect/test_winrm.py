"""The pypsrp transport against the lab: output, faults as node errors, retries, TLS."""
from __future__ import annotations

import json
from dataclasses import replace

import pytest

from scanner.collect import collector_script
from scanner.collect.winrm import NodeFailure, collect_node, parse_output
from scanner.lab import Lab
from tests.collect.conftest import lab_cluster, resolver, scenario, start_lab

FAST = {"connect_timeout": 5, "read_timeout": 3.0, "operation_timeout": 1, "retries": 2}  # roomy: CI machines are busy


def _collect_all(sc, **transport):
    with start_lab(sc).running() as lab:
        cluster = lab_cluster(lab, **{**FAST, **transport})
        r = resolver()
        results = [collect_node(n, r.resolve(n.credentials, auth=n.transport.auth, where="lab"), backoff=0.01)
                   for n in cluster.nodes]
        return results, lab.stats


def test_one_pool_one_pipeline_per_node() -> None:
    results, stats = _collect_all(scenario())
    assert [r.reachable for r in results] == [True, True, True]
    assert results[2].output["node"]["name"] == "N3" and results[2].output["cluster"]["name"] == "COLLCLU"
    # create pool, receive pool state, command, receive output, delete: pypsrp's minimum
    assert {s["exchanges"] for s in stats.values()} == {5}


def test_messages_kept_per_process_are_the_bytes_pypsrp_would_build(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every PSRP message of a scan, packed through the per-process cache, equals what a fresh
    pypsrp Serializer makes of the same message object; the three constant ones come from the cache."""
    import xml.etree.ElementTree as ET

    from pypsrp.messages import Message
    from pypsrp.serializer import Serializer

    packed: list[tuple[str, bytes, bytes]] = []
    original = Message.pack

    def pack(self: Message) -> bytes:
        data = original(self)
        fresh = Serializer().serialize(self.data)
        expected = ET.tostring(fresh, encoding="utf-8", method="xml") if fresh is not None else b""
        packed.append((type(self.data).__name__, data[40:], expected))
        return data

    monkeypatch.setattr(Message, "pack", pack)
    results, _ = _collect_all(scenario())
    assert all(r.reachable for r in results)
    kinds = [kind for kind, _, _ in packed]
    assert kinds.count("CreatePipeline") == 3 and kinds.count("SessionCapability") == 3
    for kind, sent, expected in packed:
        assert sent == expected, kind


@pytest.mark.parametrize(
    ("faults", "section", "text", "attempts"),
    [
        ({"refuse": True}, "connection", "refused", 3),
        ({"auth_fail": True}, "auth", "HTTP 401", 1),
        ({"drop_mid_receive": True}, "connection", "", 3),
        ({"slow_ms": 5000}, "timeout", "read timeout", 1),
        ({"malformed": "xml"}, "protocol", "", 1),
        ({"malformed": "clixml"}, "protocol", "", 1),
    ],
)
def test_faults_become_node_errors(faults, section, text, attempts) -> None:
    results, _ = _collect_all(scenario(faults))
    ok, failed = results[:2], results[2]
    assert all(r.reachable for r in ok)
    assert not failed.reachable
    assert failed.output["reachable"] is False and failed.output["name"] == "N3"
    assert set(failed.output) == {"name", "reachable", "errors"}
    error = failed.error
    assert error["section"] == section and text in error["message"]
    assert "\n" not in error["message"]
    assert failed.attempts == attempts  # transient errors retried (retries=2), 401 and timeouts not


def test_section_errors_are_reported_inside_the_output() -> None:
    results, _ = _collect_all(scenario({"section_errors": {"drivers": "Access denied", "wmi": "Invalid namespace"}}))
    node = results[2].output["node"]
    assert results[2].reachable and node["drivers"] is None
    assert node["wmi"]["mscluster"]["ok"] is False  # a failed probe is the fact itself
    assert {(e["section"], e["message"]) for e in node["errors"]} >= {
        ("drivers", "Access denied"), ("wmi.mscluster", "root/MSCluster: Invalid namespace")}


def test_tls_verified_with_the_lab_ca() -> None:
    sc = scenario()
    with start_lab(sc, tls=True).running() as lab:
        cluster = lab_cluster(lab, **FAST)
        node = cluster.nodes[0]
        assert node.transport.scheme == "https" and isinstance(node.transport.cert_validation, str)
        creds = resolver().resolve(node.credentials, auth=node.transport.auth, where="lab")
        assert collect_node(node, creds).reachable
        # the system CAs do not know the lab's CA: verification fails, as it must
        strict = replace(node, transport=replace(node.transport, cert_validation=True, retries=0))
        result = collect_node(strict, creds)
        assert result.error["section"] == "connection" and "certificate verify failed" in result.error["message"]


def test_the_script_is_sent_unchanged(monkeypatch) -> None:
    sent = {}

    class Spy:
        def __init__(self, pool):
            self.streams = type("S", (), {"error": []})()
            self.had_errors = False

        def add_script(self, script):
            sent["script"] = script
            return self

        def add_parameter(self, name, value):
            sent.setdefault("params", {})[name] = value
            return self

        def invoke(self):
            return [json.dumps({"collector_version": "1", "node": {"name": "N1", "reachable": True, "errors": []},
                                "cluster": None})]

    monkeypatch.setattr("scanner.collect.winrm.PowerShell", Spy)
    with start_lab(scenario()).running() as lab:
        node = lab_cluster(lab, **FAST).nodes[0]
        result = collect_node(node, resolver().resolve(node.credentials, auth="basic", where="lab"))
    assert result.reachable
    assert sent["script"] == collector_script()
    assert sent["params"] == {"WmiTimeoutSec": node.transport.wmi_timeout, "CompressOutput": True}


def test_output_checks_name_the_json_pointer() -> None:
    with pytest.raises(NodeFailure, match="not JSON"):
        parse_output(["{nope"], [], False)
    bad = {"collector_version": "1", "node": {"name": "N1", "reachable": True, "errors": [], "os": {"build": "x"}},
           "cluster": None}
    with pytest.raises(NodeFailure, match="/node/os/build"):
        parse_output([json.dumps(bad)], [], False)
    with pytest.raises(NodeFailure, match="collector did not run: boom"):
        parse_output([], ["boom"], True)
    with pytest.raises(NodeFailure, match="expected '1'"):
        parse_output([json.dumps({**bad, "collector_version": "2", "node": {"name": "N", "reachable": True, "errors": []}})], [], False)


def test_the_cluster_view_is_left_to_the_merge_but_must_be_an_object() -> None:
    """Each node's copy of the cluster view is not schema-checked (facts_from_outputs checks the one
    it keeps); a view that is not even an object or null still fails the node."""
    node = {"name": "N1", "reachable": True, "errors": []}
    doc = parse_output([json.dumps({"collector_version": "1", "node": node, "cluster": {"name": 7}})], [], False)
    assert doc["cluster"] == {"name": 7}
    with pytest.raises(NodeFailure, match="/cluster: an array is not an object or null"):
        parse_output([json.dumps({"collector_version": "1", "node": node, "cluster": []})], [], False)


def test_lab_is_the_real_protocol() -> None:
    """Guard: Lab is the scanner.lab class (the tests above exercise pypsrp over loopback)."""
    assert Lab.__module__ == "scanner.lab.lab"


def test_ntlm_with_message_encryption_over_http() -> None:
    with start_lab(scenario(), auth="ntlm").running() as lab:
        cluster = lab_cluster(lab, **FAST)
        node = cluster.nodes[0]
        assert node.transport.auth == "ntlm" and node.transport.encryption == "auto"
        creds = resolver().resolve(node.credentials, auth="ntlm", where="lab")
        result = collect_node(node, creds)
        exchanges = lab.stats["N1"]["exchanges"]
    assert result.reachable and result.output["node"]["name"] == "N1"
    assert exchanges == 8  # 5 PSRP exchanges plus the NTLM handshake (empty POST: 401, challenge, authenticate)


def test_auth_methods_this_installation_cannot_do_are_named(monkeypatch) -> None:
    from scanner.collect import winrm

    assert winrm.auth_support_problem("basic") is None and winrm.auth_support_problem("ntlm") is None
    real = winrm.importlib.util.find_spec
    monkeypatch.setattr(winrm.importlib.util, "find_spec", lambda name: None if name == "gssapi" else real(name))
    problem = winrm.auth_support_problem("kerberos")
    assert problem is not None and "gssapi" in problem and "rollready[kerberos]" in problem


def test_the_cached_script_serialises_byte_for_byte_like_pypsrp() -> None:
    """The per-process CLIXML cache must not change what goes on the wire."""
    import xml.etree.ElementTree as ET

    from pypsrp.complex_objects import Command
    from pypsrp.serializer import Serializer

    from scanner.collect.protocol import clixml_string

    script = collector_script()

    def wire(text_or_element: object) -> bytes:
        command = Command(text_or_element, protocol_version="2.3", is_script=True, use_local_scope=None)
        return ET.tostring(Serializer().serialize(command))

    assert wire(clixml_string(script)) == wire(script)
    assert b"rollready-collector-version: 1" in wire(script)


@pytest.mark.parametrize("faults", [{"never_answer": True}, {"trickle_ms": 200}, {"stall_mid_receive": True}])
def test_node_deadline_cuts_what_pypsrp_would_wait_for(faults) -> None:
    """The three hangs pypsrp cannot bound itself (OperationTimeout polled for ever, a trickle that
    never trips the read timeout, silence after partial output with a long read timeout) end at
    the node deadline, and the shell is deleted where the server still listens."""
    with start_lab(scenario(faults)).running() as lab:
        cluster = lab_cluster(lab, **{**FAST, "read_timeout": 60, "node_timeout": 2})
        r = resolver()
        results = [collect_node(n, r.resolve(n.credentials, auth=n.transport.auth, where="lab"), backoff=0.01)
                   for n in cluster.nodes]
        shells = lab.open_shells()
    ok, failed = results[:2], results[2]
    assert all(x.reachable for x in ok)
    assert failed.error["section"] == "timeout"
    assert "node deadline of 2 s" in failed.error["message"]
    assert failed.duration_ms < 2000 + 5000 + 1000  # deadline + cleanup grace + slack
    assert failed.attempts == 1
    if "never_answer" in faults:  # the server still listens: the stop and the Delete got through
        assert "shell closed" in failed.error["message"]
        assert shells["N3"] == 0


def test_node_deadline_over_tls_and_ntlm() -> None:
    """The watchdog shuts the TLS socket under the reading thread; the stop and the Delete go through
    a fresh NTLM-authenticated TLS connection."""
    with start_lab(scenario({"trickle_ms": 200}), tls=True, auth="ntlm").running() as lab:
        node = lab_cluster(lab, **{**FAST, "read_timeout": 60, "node_timeout": 2}).nodes[2]
        result = collect_node(node, resolver().resolve(node.credentials, auth=node.transport.auth, where="lab"))
        shells = lab.open_shells()
    assert result.error["section"] == "timeout" and "shell closed" in result.error["message"]
    assert shells["N3"] == 0
