"""The PSRP message layer for many nodes: pypsrp's PowerShell, RunspacePool and Serializer with the
messages every node is sent alike built once per process. The bytes on the wire are pypsrp's."""
from __future__ import annotations

import functools
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any, ClassVar

from pypsrp.complex_objects import Command
from pypsrp.messages import CreatePipeline, InitRunspacePool, SessionCapability
from pypsrp.powershell import PowerShell as PypsrpPowerShell
from pypsrp.powershell import RunspacePool
from pypsrp.serializer import Serializer
from pypsrp.wsman import WSMan


class PowerShell(PypsrpPowerShell):
    """pypsrp's PowerShell, with a script's CLIXML string built once per process, not once per node.

    pypsrp escapes a script for CLIXML with a Python callback per control character: every newline
    of the 33 KB collector, about 1.3 ms of CPU per node, held under the GIL while the other nodes'
    threads wait. Its serializer sends an already serialised element as it is (what add_parameter
    documents for values), so the escaping is done once; the bytes on the wire are the same.
    """

    def add_script(self, script: str, use_local_scope: bool | None = None) -> PowerShell:
        protocol = self.runspace_pool.protocol_version or ""
        # pypsrp annotates cmd as str, but its serializer sends an Element as it is (see the docstring).
        self.commands.append(Command(clixml_string(script),  # type: ignore[arg-type]
                                     protocol_version=protocol, is_script=True, use_local_scope=use_local_scope))
        return self


@functools.lru_cache(maxsize=4)
def clixml_string(text: str) -> ET.Element:
    """`<S>text</S>` as pypsrp serialises it. Shared between threads: pypsrp deep-copies a command
    before it serialises it, so the element is only read."""
    element = Serializer().serialize(text)
    assert element is not None
    return element


class _Serializer(Serializer):
    """pypsrp's Serializer, keeping the bytes of the three messages every node is sent alike, and
    reading strings without escapes as they are.

    SessionCapability and InitRunspacePool (the pool's creationXml) and CreatePipeline (the 33 KB
    collector and its parameter) serialise to the same XML for every node of a process: pypsrp
    builds them from constants, the pool's defaults, the script and its parameters, and the protocol
    version the node negotiated; the runspace pool and pipeline ids travel in the fragment header, not
    in this XML. Message.pack sends bytes from the serializer as they are, so the XML is built (and
    the pipeline deep-copied) once per process per key instead of once per node.

    A CLIXML string escapes the characters XML cannot carry as `_xHHHH_`; pypsrp undoes that by
    encoding the whole string to UTF-16, running a regular expression over the bytes and decoding
    them again: 0.4 ms for the collector's 200 KB of JSON, which has no such escape. A string
    without `_x` has nothing to undo and is returned as it is.
    """

    _bytes: ClassVar[dict[tuple[Any, ...], bytes]] = {}
    _CONSTANT = (SessionCapability, InitRunspacePool, CreatePipeline)

    def __init__(self, key: Callable[[], tuple[Any, ...]]) -> None:
        super().__init__()
        self._key = key  # what, beyond pypsrp's constants, the messages are built from

    def serialize(self, value: Any, metadata: Any = None, parent: ET.Element | None = None,
                  clear: bool = True) -> Any:
        if parent is not None or metadata is not None or not isinstance(value, self._CONSTANT):
            return super().serialize(value, metadata, parent, clear)
        key = (type(value).__name__, *self._key())
        data = self._bytes.get(key)
        if data is None:  # two threads may both build it: same bytes, last one kept
            element = super().serialize(value, metadata, parent, clear)
            assert element is not None
            data = self._bytes[key] = ET.tostring(element, encoding="utf-8", method="xml")
        return data

    def _deserialize_string(self, value: str | None) -> str:
        if value is not None and "_x" not in value:
            return value
        return super()._deserialize_string(value)


class CollectorPool(RunspacePool):
    """A runspace pool for one collector run; its constant messages come from _Serializer.

    Everything the messages depend on besides pypsrp's constants and this pool's defaults is in the
    key: the script, its parameters, and the protocol version the node negotiated (it changes how a
    command is serialised)."""

    def __init__(self, wsman: WSMan, script: str, parameters: tuple[tuple[str, Any], ...]) -> None:
        super().__init__(wsman)
        self._serializer = self._fragmenter.serializer = _Serializer(
            lambda: (script, parameters, self.protocol_version))
