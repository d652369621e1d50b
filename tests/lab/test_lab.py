"""The lab end to end with pypsrp's own RunspacePool / PowerShell / Client."""
from __future__ import annotations

import json
import socket
import threading

import jsonschema
from pypsrp.client import Client
from pypsrp.powershell import PowerShell, RunspacePool

from scanner.facts import document as facts
from scanner.lab import Lab, parse_scenario
from tests.lab.conftest import COLLECTOR, PASSWORD, SMALL, run_script, small_scenario, wsman_for
from tests.live import free_ports


def _validate_output(doc: dict) -> None:
    schema = facts.schema()
    jsonschema.Draft202012Validator({"$ref": "#/$defs/collector_output", "$defs": schema["$defs"]}).validate(doc)


def test_collector_gets_one_json_string_over_basic_http():
    with Lab(small_scenario()).running() as lab:
        ep = lab.endpoints[1]
        ps = run_script(ep)
    assert not ps.had_errors
    assert len(ps.output) == 1 and isinstance(ps.output[0], str)
    doc = json.loads(ps.output[0])
    _validate_output(doc)
    assert doc["collector_version"] == "1"
    assert doc["node"]["name"] == "N2" and doc["node"]["os"]["ubr"] == 20000
    assert doc["cluster"]["name"] == "LABCLU" and doc["cluster"]["collected_from"] == "N2"


def test_collector_with_parameters_is_answered():
    with Lab(small_scenario()).running() as lab:
        with wsman_for(lab.endpoints[0]) as wsman, RunspacePool(wsman) as pool:
            ps = PowerShell(pool)
            ps.add_script(COLLECTOR).add_parameter("TimeoutSeconds", 30)
            out = ps.invoke()
    assert json.loads(out[0])["node"]["name"] == "N1"


def test_two_pipelines_in_one_pool():
    with Lab(small_scenario()).running() as lab:
        with wsman_for(lab.endpoints[0]) as wsman, RunspacePool(wsman) as pool:
            outputs = []
            for _ in range(2):
                ps = PowerShell(pool)
                ps.add_script(COLLECTOR)
                outputs.append(ps.invoke())
                ps.close()
    assert [json.loads(o[0])["node"]["name"] for o in outputs] == ["N1", "N1"]


def test_other_script_gets_an_error_record():
    with Lab(small_scenario()).running() as lab:
        ps = run_script(lab.endpoints[0], "Get-Process")
    assert ps.had_errors and ps.output == []
    assert "only the rollready collector" in str(ps.streams.error[0])


def test_other_collector_version_gets_an_error_record():
    with Lab(small_scenario()).running() as lab:
        ps = run_script(lab.endpoints[0], COLLECTOR.replace("version: 1", "version: 2"))
    assert ps.had_errors
    assert "collector version 2 is not supported" in str(ps.streams.error[0])


def test_client_execute_ps_runs_the_collector_through_invoke_expression():
    with Lab(small_scenario()).running() as lab:
        ep = lab.endpoints[0]
        client = Client(ep.host, port=ep.port, ssl=False, auth="basic", username="LAB\\admin", password=PASSWORD,
                        encryption="never")
        output, streams, had_errors = client.execute_ps(COLLECTOR)
        _, bad_streams, bad_had_errors = client.execute_ps("Get-Date")
    assert not had_errors and json.loads(output)["node"]["name"] == "N1"
    assert bad_had_errors and bad_streams.error


def test_stats_count_exchanges_and_bytes_per_node():
    with Lab(small_scenario()).running() as lab:
        run_script(lab.endpoints[0])
        stats = lab.stats
    # Create, Receive (pool opened), Command, Receive (output + state), Signal, Delete
    assert stats["N1"]["exchanges"] == 6
    assert stats["N1"]["bytes_in"] > 1000 and stats["N1"]["bytes_out"] > 1000
    assert stats["N2"] == {"exchanges": 0, "bytes_in": 0, "bytes_out": 0}


def test_inventory_points_at_the_endpoints_without_the_password():
    with Lab(small_scenario()).running() as lab:
        inv = lab.inventory()
        ports = [e.port for e in lab.endpoints]
    cluster = inv["clusters"][0]
    assert cluster["name"] == "LABCLU"
    assert cluster["transport"] == {"scheme": "http", "auth": "basic", "cert_validation": True, "encryption": "never"}
    assert cluster["credentials"] == {"username": "LAB\\admin", "password_env": "ROLLREADY_LAB_PASSWORD"}
    assert [n["port"] for n in cluster["nodes"]] == ports
    assert PASSWORD not in json.dumps(inv)


def test_stop_leaves_no_threads_and_frees_ports():
    before = set(threading.enumerate())
    # Ports outside the ephemeral range (tests/live.py): a port the lab freed there may be taken at
    # once by any outgoing connection on the machine, and binding it again would prove nothing.
    lab = Lab(small_scenario(), base_port=free_ports(2))
    with lab.running():
        run_script(lab.endpoints[0])
        ports = [e.port for e in lab.endpoints]
    assert set(threading.enumerate()) <= before
    for port in ports:  # the ports are free again
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(("127.0.0.1", port))


def test_base_port_numbers_the_nodes_in_order():
    base = free_ports(2)
    with Lab(small_scenario(), base_port=base).running() as lab:
        ports = [e.port for e in lab.endpoints]
    assert ports == [base, base + 1]


def test_large_output_spans_several_receives():
    hotfixes = ",".join(f"{{id: KB{i:07d}, description: Security Update}}" for i in range(400))
    scenario = parse_scenario(SMALL.replace("hotfixes: [{id: KB5001382}]", f"hotfixes: [{hotfixes}]"), "big.yaml")
    with Lab(scenario).running() as lab:
        ps = run_script(lab.endpoints[0], max_envelope_size=8192)
        exchanges = lab.stats["N1"]["exchanges"]
    assert len(json.loads(ps.output[0])["node"]["hotfixes"]) == 400
    assert exchanges > 6
