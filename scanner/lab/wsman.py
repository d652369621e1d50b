"""WS-Management SOAP envelopes, server side: parse what pypsrp sends, build what Windows answers.

The shapes follow real WinRM traffic (pypsrp's recorded fixtures): every reply carries RelatesTo =
the request's MessageID, shells are addressed by the ShellId selector, and an empty Receive is the
OperationTimeout fault (code 2150858793) that clients poll past.
"""
from __future__ import annotations

import base64
import re
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

NS = {
    "s": "http://www.w3.org/2003/05/soap-envelope",
    "wsa": "http://schemas.xmlsoap.org/ws/2004/08/addressing",
    "wsman": "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd",
    "rsp": "http://schemas.microsoft.com/wbem/wsman/1/windows/shell",
    "pwsh": "http://schemas.microsoft.com/powershell",
}

TRANSFER = "http://schemas.xmlsoap.org/ws/2004/09/transfer"
SHELL = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"
ACTION_CREATE = f"{TRANSFER}/Create"
ACTION_DELETE = f"{TRANSFER}/Delete"
ACTION_COMMAND = f"{SHELL}/Command"
ACTION_SEND = f"{SHELL}/Send"
ACTION_RECEIVE = f"{SHELL}/Receive"
ACTION_SIGNAL = f"{SHELL}/Signal"
ACTION_FAULT = "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault"

SIGNAL_TERMINATE = f"{SHELL}/signal/Terminate"
SIGNAL_CTRL_C = f"{SHELL}/signal/ctrl_c"
SIGNAL_PS_CTRL_C = "powershell/signal/ctrl_c"
COMMAND_DONE = f"{SHELL}/CommandState/Done"

CODE_OPERATION_TIMEOUT = 2150858793
CODE_INVALID_SELECTORS = 2150858843
CODE_ACTION_NOT_SUPPORTED = 2150858754
CODE_INTERNAL_ERROR = 2150859002

_ENVELOPE_NS = (
    'xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
    'xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" '
    'xmlns:x="http://schemas.xmlsoap.org/ws/2004/09/transfer" '
    'xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" '
    'xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell" '
    'xmlns:p="http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd"'
)
_ANONYMOUS = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"


class MalformedRequest(ValueError):
    """The request is not a WS-Management envelope we can act on."""


@dataclass(frozen=True)
class Request:
    """The parts of one WS-Man request the lab acts on."""

    action: str
    message_id: str
    to: str  # the endpoint address the client used
    resource_uri: str
    shell_id: str | None
    max_envelope_size: int
    body: ET.Element | None
    operation_timeout: float = 60.0  # seconds the client lets the server hold a Receive (wsman:OperationTimeout)


def parse_request(data: bytes) -> Request:
    """Parse a SOAP envelope; MalformedRequest when it is not one."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise MalformedRequest(f"not XML: {exc}") from None
    header = root.find("s:Header", NS)
    if header is None:
        raise MalformedRequest("no SOAP header")
    action = _text(header, "wsa:Action")
    message_id = _text(header, "wsa:MessageID")
    if not action or not message_id:
        raise MalformedRequest("no Action or MessageID header")
    shell_id = None
    for selector in header.findall("wsman:SelectorSet/wsman:Selector", NS):
        if selector.attrib.get("Name") == "ShellId":
            shell_id = (selector.text or "").upper()
    max_size = _text(header, "wsman:MaxEnvelopeSize")
    body = root.find("s:Body", NS)
    return Request(
        action=action,
        message_id=message_id,
        to=_text(header, "wsa:To"),
        resource_uri=_text(header, "wsman:ResourceURI"),
        shell_id=shell_id,
        max_envelope_size=int(max_size) if max_size.isdigit() else 153600,
        body=body[0] if body is not None and len(body) else None,
        operation_timeout=_seconds(_text(header, "wsman:OperationTimeout")),
    )


def _seconds(duration: str) -> float:
    """An xs:duration as WinRM clients send it ("PT20S", "PT20.000S"); 60 s when absent or odd."""
    m = re.fullmatch(r"PT(\d+(?:\.\d+)?)S", duration)
    return float(m.group(1)) if m else 60.0


def receive_command_id(req: Request) -> str | None:
    """The CommandId a Receive asks for (None: a Receive for the runspace pool, or not a Receive)."""
    if req.action != ACTION_RECEIVE or req.body is None:
        return None
    desired = req.body.find("rsp:DesiredStream", NS)
    return desired.attrib.get("CommandId") if desired is not None else None


def _text(parent: ET.Element, path: str) -> str:
    el = parent.find(path, NS)
    return (el.text or "").strip() if el is not None else ""


def envelope(action: str, relates_to: str, body: str) -> bytes:
    """A reply envelope around body (already XML)."""
    return (
        f'<s:Envelope xml:lang="en-US" {_ENVELOPE_NS}><s:Header>'
        f"<a:Action>{escape(action)}</a:Action>"
        f"<a:MessageID>uuid:{str(uuid.uuid4()).upper()}</a:MessageID>"
        f"<a:To>{_ANONYMOUS}</a:To>"
        f"<a:RelatesTo>{escape(relates_to)}</a:RelatesTo>"
        f"</s:Header><s:Body>{body}</s:Body></s:Envelope>"
    ).encode("utf-8")


def create_response(req: Request, shell_id: str, owner: str) -> bytes:
    uri = escape(req.resource_uri)
    sid = escape(shell_id)
    body = (
        f"<x:ResourceCreated><a:Address>{escape(req.to)}</a:Address><a:ReferenceParameters>"
        f"<w:ResourceURI>{uri}</w:ResourceURI><w:SelectorSet>"
        f'<w:Selector Name="ShellId">{sid}</w:Selector></w:SelectorSet>'
        f"</a:ReferenceParameters></x:ResourceCreated>"
        f"<rsp:Shell><rsp:ShellId>{sid}</rsp:ShellId><rsp:ResourceUri>{uri}</rsp:ResourceUri>"
        f"<rsp:Owner>{escape(owner)}</rsp:Owner><rsp:ClientIP>127.0.0.1</rsp:ClientIP>"
        f"<rsp:IdleTimeOut>PT7200.000S</rsp:IdleTimeOut><rsp:InputStreams>stdin pr</rsp:InputStreams>"
        f"<rsp:OutputStreams>stdout</rsp:OutputStreams><rsp:State>Connected</rsp:State>"
        f"<rsp:ShellRunTime>P0DT0H0M0S</rsp:ShellRunTime><rsp:ShellInactivity>P0DT0H0M0S</rsp:ShellInactivity>"
        f"</rsp:Shell>"
    )
    return envelope(f"{TRANSFER}/CreateResponse", req.message_id, body)


def command_response(req: Request, command_id: str) -> bytes:
    body = f"<rsp:CommandResponse><rsp:CommandId>{escape(command_id)}</rsp:CommandId></rsp:CommandResponse>"
    return envelope(f"{SHELL}/CommandResponse", req.message_id, body)


def receive_response(req: Request, command_id: str | None, chunks: list[bytes], done: bool) -> bytes:
    """Stream elements (base64 PSRP fragments) and, when the command is over, its Done state."""
    cid = f" CommandId={quoteattr(command_id)}" if command_id else ""
    parts = [f'<rsp:Stream Name="stdout"{cid}>{base64.b64encode(c).decode()}</rsp:Stream>' for c in chunks]
    if done:
        parts.append(f'<rsp:CommandState{cid} State="{COMMAND_DONE}"><rsp:ExitCode>0</rsp:ExitCode></rsp:CommandState>')
    return envelope(f"{SHELL}/ReceiveResponse", req.message_id, f"<rsp:ReceiveResponse>{''.join(parts)}</rsp:ReceiveResponse>")


def empty_response(req: Request, name: str) -> bytes:
    """SendResponse, SignalResponse, DeleteResponse: nothing to say but 'done'."""
    if name == "Delete":
        return envelope(f"{TRANSFER}/DeleteResponse", req.message_id, "")
    return envelope(f"{SHELL}/{name}Response", req.message_id, f"<rsp:{name}Response/>")


def fault(relates_to: str, code: int, subcode: str, reason: str, machine: str) -> bytes:
    """A WS-Man fault as WinRM sends it (HTTP 500); pypsrp raises WSManFaultError(code)."""
    text = escape(reason)
    body = (
        f"<s:Fault><s:Code><s:Value>s:Receiver</s:Value><s:Subcode><s:Value>{escape(subcode)}</s:Value>"
        f'</s:Subcode></s:Code><s:Reason><s:Text xml:lang="en-US">{text}</s:Text></s:Reason><s:Detail>'
        f'<f:WSManFault xmlns:f="http://schemas.microsoft.com/wbem/wsman/1/wsmanfault" Code="{code}" '
        f"Machine={quoteattr(machine)}><f:Message>{text}</f:Message></f:WSManFault></s:Detail></s:Fault>"
    )
    return envelope(ACTION_FAULT, relates_to, body)


def operation_timeout(req: Request, machine: str) -> bytes:
    return fault(
        req.message_id,
        CODE_OPERATION_TIMEOUT,
        "w:TimedOut",
        "The WS-Management service cannot complete the operation within the time specified in OperationTimeout.",
        machine,
    )
