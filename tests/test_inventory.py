"""Inventories: rollready YAML, Ansible INI and YAML, --node; errors located in the file."""
from __future__ import annotations

from pathlib import Path

import pytest

from scanner.errors import InputError, UsageError
from scanner.inventory import (
    CredentialRef,
    Transport,
    inventory_for_hosts,
    inventory_from_dict,
    load_inventory,
    parse_inventory,
)

NATIVE = """\
clusters:
  - name: FSCLUSTER1
    transport:
      scheme: http
      auth: ntlm
      cert_validation: ca/bundle.pem
      connect_timeout: 5
    credentials:
      username: CORP\\svc-rollready
      password_env: ROLLREADY_PASSWORD
    nodes:
      - name: NODE1
        host: 127.0.0.11
        port: 15985
      - name: NODE2
  - name: HVCLUSTER
    nodes:
      - name: HV1
"""


def test_native_inventory(tmp_path: Path) -> None:
    f = tmp_path / "inv.yaml"
    f.write_text(NATIVE)
    inv = load_inventory(f)
    fs = inv.select("fscluster1")
    assert [n.name for n in fs.nodes] == ["NODE1", "NODE2"]
    n1, n2 = fs.nodes
    assert (n1.host, n1.port) == ("127.0.0.11", 15985)
    assert (n2.host, n2.port) == ("NODE2", 5985)  # host defaults to name, port to the scheme's
    assert n1.transport.auth == "ntlm" and n1.transport.connect_timeout == 5
    assert n1.transport.cert_validation == str(tmp_path / "ca" / "bundle.pem")  # relative to the file
    assert n1.credentials == CredentialRef(username="CORP\\svc-rollready", password_env="ROLLREADY_PASSWORD")
    hv = inv.select("HVCLUSTER").nodes[0]
    assert hv.transport == Transport() and hv.port == 5986  # defaults: https, negotiate, verified TLS


def test_select_needs_a_name_when_there_are_several_clusters() -> None:
    inv = parse_inventory(NATIVE, "inv.yaml")
    with pytest.raises(UsageError, match="choose one"):
        inv.select(None)
    with pytest.raises(UsageError, match="no cluster 'NOPE'"):
        inv.select("NOPE")


def test_schema_errors_name_line_and_field() -> None:
    text = NATIVE.replace("auth: ntlm", "auth: digest")
    with pytest.raises(InputError) as err:
        parse_inventory(text, "inv.yaml")
    (problem,) = err.value.problems
    assert problem.line == 5 and "digest" in problem.message and "auth" in problem.message


def test_a_password_in_the_inventory_is_refused() -> None:
    text = NATIVE.replace("password_env: ROLLREADY_PASSWORD", "password: hunter2")
    with pytest.raises(InputError) as err:
        parse_inventory(text, "inv.yaml")
    assert any("password" in p.message for p in err.value.problems)


def test_two_password_sources_are_refused() -> None:
    text = NATIVE.replace("password_env: ROLLREADY_PASSWORD", "password_env: X\n      password_prompt: true")
    with pytest.raises(InputError):
        parse_inventory(text, "inv.yaml")


def test_duplicate_nodes_are_refused() -> None:
    text = NATIVE.replace("- name: NODE2", "- name: node1")
    with pytest.raises(InputError) as err:
        parse_inventory(text, "inv.yaml")
    assert err.value.problems[0].line == 15 and "duplicate node" in err.value.problems[0].message


def test_inventory_from_dict_reports_json_pointers() -> None:
    with pytest.raises(InputError) as err:
        inventory_from_dict({"clusters": [{"name": "C", "nodes": [{"name": "N", "port": 0}]}]}, "lab")
    assert err.value.problems[0].pointer == "/clusters/0/nodes/0/port"


ANSIBLE_INI = """\
# a typical Windows inventory
[fscluster]
fs[01:03].corp.example ansible_user=CORP\\\\svc
fs09.corp.example ansible_host=127.0.0.9 ansible_port=15986

[fscluster:vars]
ansible_connection=psrp
ansible_psrp_auth=kerberos
ansible_psrp_cert_validation=ignore
ansible_psrp_operation_timeout=300
rollready_password_env=FS_PASSWORD

[linux]
web1 ansible_connection=ssh

[hv]
hv1 ansible_connection=winrm ansible_winrm_transport=ntlm,kerberos ansible_winrm_scheme=http ansible_port=5985

[windows:children]
fscluster
hv
"""


def test_ansible_ini(tmp_path: Path) -> None:
    f = tmp_path / "hosts"
    f.write_text(ANSIBLE_INI)
    inv = load_inventory(f)
    fs = inv.select("fscluster")
    assert [n.name for n in fs.nodes] == ["fs01.corp.example", "fs02.corp.example", "fs03.corp.example", "fs09.corp.example"]
    n1, n9 = fs.nodes[0], fs.nodes[3]
    assert n1.transport.auth == "kerberos" and n1.transport.cert_validation is False
    assert n1.transport.operation_timeout == 300 and n1.port == 5986
    assert n1.credentials.username == "CORP\\svc" and n1.credentials.password_env == "FS_PASSWORD"
    assert (n9.host, n9.port) == ("127.0.0.9", 15986)
    hv = inv.select("hv").nodes[0]
    assert (hv.transport.scheme, hv.transport.auth, hv.port) == ("http", "ntlm", 5985)
    assert {c.name for c in inv.clusters} >= {"fscluster", "hv", "windows"}
    assert "linux" not in {c.name for c in inv.clusters}  # ssh hosts are not cluster nodes
    assert len(inv.select("windows").nodes) == 5
    with pytest.raises(UsageError, match="fscluster, hv"):
        inv.select(None)


def test_ansible_ini_password_is_refused_with_its_line() -> None:
    text = ANSIBLE_INI.replace("ansible_host=127.0.0.9", "ansible_host=127.0.0.9 ansible_password=hunter2")
    with pytest.raises(InputError) as err:
        parse_inventory(text, "hosts")
    (problem,) = err.value.problems
    assert problem.line == 4 and "rollready_password_env" in problem.message
    assert "hunter2" not in problem.render()


def test_ansible_ini_bad_value_names_the_host() -> None:
    text = ANSIBLE_INI.replace("ansible_psrp_auth=kerberos", "ansible_psrp_auth=digest")
    with pytest.raises(InputError) as err:
        parse_inventory(text, "hosts")
    assert "host fs01.corp.example" in err.value.problems[0].message and "digest" in err.value.problems[0].message


ANSIBLE_YAML = """\
all:
  vars:
    ansible_connection: psrp
    ansible_user: svc
  children:
    sqlclu:
      vars:
        ansible_psrp_protocol: http
        rollready_keyring: rollready
      hosts:
        sql1:
          ansible_host: 127.0.0.21
        sql2:
          ansible_port: 15985
"""


def test_ansible_yaml() -> None:
    inv = parse_inventory(ANSIBLE_YAML, "inv.yml")
    clu = inv.select(None)  # the one group that holds hosts
    assert clu.name == "sqlclu"
    sql1, sql2 = clu.nodes
    assert (sql1.host, sql1.port, sql1.transport.scheme) == ("127.0.0.21", 5985, "http")
    assert (sql2.host, sql2.port) == ("sql2", 15985)
    assert sql1.credentials == CredentialRef(username="svc", keyring="rollready")


def test_ansible_yaml_unknown_key_is_located() -> None:
    with pytest.raises(InputError) as err:
        parse_inventory(ANSIBLE_YAML.replace("      hosts:", "      hostz:"), "inv.yml")
    assert err.value.problems[0].line == 11  # where the misnamed key's value starts


def test_node_flags() -> None:
    t = Transport(scheme="http", auth="basic")
    inv = inventory_for_hosts(["n1", "127.0.0.1:15985"], transport=t, credentials=CredentialRef(username="u"))
    clu = inv.select(None)
    assert [(n.name, n.host, n.port) for n in clu.nodes] == [("n1", "n1", 5985), ("127.0.0.1:15985", "127.0.0.1", 15985)]
    with pytest.raises(UsageError):
        inventory_for_hosts(["n1:99999"], transport=t, credentials=CredentialRef())
    ipv6 = inventory_for_hosts(["::1", "[::2]:15986"], transport=t, credentials=CredentialRef(username="u"))
    assert [(n.host, n.port) for n in ipv6.select(None).nodes] == [("::1", 5985), ("::2", 15986)]  # '::1' was host '::
    with pytest.raises(UsageError, match="twice"):
        inventory_for_hosts(["n1", "n1"], transport=t, credentials=CredentialRef())


def test_not_an_inventory() -> None:
    with pytest.raises(InputError, match="not an inventory"):
        parse_inventory("- a\n- b\n", "x.yaml")


def test_ansible_host_ranges() -> None:
    text = "[c]\nn[1:3]\nweb-[a:c]-x\nh[01:10:4]\n"
    names = [n.name for n in parse_inventory(text, "hosts").select("c").nodes]
    assert names == ["n1", "n2", "n3", "web-a-x", "web-b-x", "web-c-x", "h01", "h05", "h09"]


def test_ansible_group_vars_yield_to_host_vars() -> None:
    text = "[c]\nn1 ansible_port=15986\nn2\n\n[c:vars]\nansible_port=25986\nansible_psrp_auth=ntlm\n"
    n1, n2 = parse_inventory(text, "hosts").select("c").nodes
    assert (n1.port, n2.port) == (15986, 25986)
    assert n1.transport.auth == n2.transport.auth == "ntlm"



HOSTILE_HOSTS = ["good.example@127.0.0.2", "127.0.0.1:1/evil?", "n1.example/../x", "n1.example#frag", " n1.example",
                 "n1 .example", "-n1.example", "a..example"]


@pytest.mark.parametrize("host", HOSTILE_HOSTS)
def test_a_host_a_url_would_read_as_another_host_or_port_is_refused_everywhere(host: str) -> None:
    """pypsrp writes the host into http://HOST:PORT/wsman as it is: `good.example@127.0.0.2` connected to
    127.0.0.2 with the inventory's credentials, `127.0.0.1:1/evil?` to port 1."""
    native = NATIVE.replace("host: 127.0.0.11", f"host: {host!r}")
    with pytest.raises(InputError) as err:
        parse_inventory(native, "inv.yaml")
    (problem,) = err.value.problems
    assert problem.line == native.splitlines().index(f"        host: {host!r}") + 1
    assert f"host {host!r} is not a DNS name or an IP address" in problem.message
    if host != host.strip():
        return  # an INI value and a --node argument are read without their surrounding spaces
    ini = ANSIBLE_INI.replace("ansible_host=127.0.0.9", f'ansible_host="{host}"')
    with pytest.raises(InputError, match="is not a DNS name or an IP address"):
        parse_inventory(ini, "hosts")
    t = Transport(scheme="http", auth="basic")
    with pytest.raises(UsageError, match="is not a DNS name or an IP address|expected HOST or HOST:PORT"):
        inventory_for_hosts([host], transport=t, credentials=CredentialRef(username="u"))


@pytest.mark.parametrize("host", ["NODE1", "node1.corp.example", "node1.corp.example.", "srv_01", "127.0.0.5", "::1",
                                  "[::1]", "ノード.example"])
def test_names_and_addresses_are_hosts(host: str) -> None:
    inv = parse_inventory(NATIVE.replace("host: 127.0.0.11", f"host: {host!r}"), "inv.yaml")
    assert inv.select("FSCLUSTER1").nodes[0].host == host
