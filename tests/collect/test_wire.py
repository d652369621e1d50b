"""The collector's output string over WinRM (scanner/collect/wire.py): the compressed framing
collector.ps1 -CompressOutput writes is read back exactly, and anything else carrying its prefix
is one protocol error for the node, never a traceback or gigabytes in memory."""
from __future__ import annotations

import base64
import gzip
import json

import pytest

from scanner.collect import winrm, wire
from scanner.collect.sections import default_params
from scanner.collect.wire import PREFIX, OutputEncodingError, pack, unpack
from scanner.collect.winrm import NodeFailure, parse_output
from tests.collect.conftest import lab_cluster, resolver, scenario, start_lab

OUTPUT = {"collector_version": "1", "node": {"name": "N1", "reachable": True, "errors": []}, "cluster": None}


@pytest.mark.parametrize("text", ['{"a":1}', json.dumps({"name": "Ünïcødé ノード \U0001f5a5"}, ensure_ascii=False), ""])
def test_a_packed_text_unpacks_to_itself_and_plain_json_passes_through(text: str) -> None:
    assert unpack(pack(text)) == text
    assert unpack(text) == text


def test_the_framing_is_gzip_of_utf8_in_base64_as_dotnet_writes_it() -> None:
    """GZipStream writes RFC 1952 gzip; any gzip writer's output (not only ours) is read."""
    text = json.dumps(OUTPUT)
    foreign = PREFIX + base64.b64encode(gzip.compress(text.encode("utf-8"), compresslevel=1)).decode()
    assert unpack(foreign) == text
    assert pack(text).startswith(PREFIX) and gzip.decompress(base64.b64decode(pack(text)[len(PREFIX):])) == text.encode()


def _framed(data: bytes) -> str:
    return PREFIX + base64.b64encode(data).decode()


@pytest.mark.parametrize(("text", "message"), [
    (PREFIX + "not base64!", "not base64"),
    (_framed(b"plain bytes, not gzip"), "not gzip"),
    (_framed(gzip.compress(b'{"a": 1}')[:-6]), "cut short"),
    (_framed(gzip.compress(b'{"a": 1}') + b"junk"), "data after its end"),
    (_framed(gzip.compress(b'{"a": "\xff\xfe"}')), "not UTF-8"),
])
def test_a_broken_framing_is_named(text: str, message: str) -> None:
    with pytest.raises(OutputEncodingError, match=message):
        unpack(text)


def test_a_compressed_output_may_not_expand_beyond_the_facts_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    """A few kilobytes of gzip can expand to gigabytes: decompression stops at the bound."""
    monkeypatch.setattr(wire, "MAX_FACTS_BYTES", 1_000_000)
    bomb = _framed(gzip.compress(b" " * 50_000_000))
    assert len(bomb) < 100_000
    with pytest.raises(OutputEncodingError, match="expands beyond"):
        unpack(bomb)
    assert unpack(_framed(gzip.compress(b" " * 1_000_000))) == " " * 1_000_000  # at the bound: read


def test_the_node_gets_one_protocol_line_for_a_broken_framing() -> None:
    assert parse_output([pack(json.dumps(OUTPUT))], [], False) == OUTPUT
    with pytest.raises(NodeFailure) as failure:
        parse_output([_framed(b"garbage")], [], False)
    assert failure.value.section == "protocol"
    assert failure.value.message.startswith("collector output: compressed output is not gzip")
    assert "\n" not in failure.value.message


def test_the_lab_answers_compressed_only_when_the_scanner_asks_as_the_collector_does(
        monkeypatch: pytest.MonkeyPatch) -> None:
    assert default_params().compress_output is False
    assert default_params().with_parameters({"compressoutput": True}).compress_output is True
    received: list[str] = []
    monkeypatch.setattr(winrm, "unpack", lambda text: received.append(text) or unpack(text))
    with start_lab(scenario()).running() as lab:
        node = lab_cluster(lab).nodes[0]
        result = winrm.collect_node(node, resolver().resolve(node.credentials, auth="basic", where="lab"))
    assert result.reachable and result.output["node"]["name"] == "N1"
    assert len(received) == 1 and received[0].startswith(PREFIX)
    assert json.loads(unpack(received[0])) == result.output
