"""The WinRM service of one lab node: WS-Man actions on PSRP shells (Create, Command, Send, Receive, Signal, Delete)."""
from __future__ import annotations

import base64
import binascii
import threading
import uuid
from dataclasses import dataclass

from psrpcore import PSRPCoreError

from scanner.lab import wsman
from scanner.lab.session import Answer, Shell
from scanner.lab.wsman import NS, Request


@dataclass(frozen=True)
class Outcome:
    status: int
    body: bytes


class WinRMService:
    """Routes requests to shells; a lock guards the shell table, each shell has its own."""

    def __init__(self, machine: str, owner: str, answer: Answer, receive_hold_s: float = 1.0) -> None:
        self.machine = machine
        self._receive_hold_s = receive_hold_s  # how long a Receive waits on a running pipeline
        self._owner = owner
        self._answer = answer
        self._lock = threading.Lock()
        self._shells: dict[str, Shell] = {}

    @property
    def open_shells(self) -> int:
        with self._lock:
            return len(self._shells)

    def handle(self, req: Request) -> Outcome:
        handler = {
            wsman.ACTION_CREATE: self._create,
            wsman.ACTION_COMMAND: self._command,
            wsman.ACTION_SEND: self._send,
            wsman.ACTION_RECEIVE: self._receive,
            wsman.ACTION_SIGNAL: self._signal,
            wsman.ACTION_DELETE: self._delete,
        }.get(req.action)
        if handler is None:
            return self._fault(req, wsman.CODE_ACTION_NOT_SUPPORTED, "a:ActionNotSupported", f"unsupported action {req.action}")
        if req.body is None and req.action != wsman.ACTION_DELETE:
            return self._fault(req, wsman.CODE_INTERNAL_ERROR, "w:InvalidMessage", "the request has no body")
        try:
            return handler(req)
        except (binascii.Error, ValueError, PSRPCoreError) as exc:
            return self._fault(req, wsman.CODE_INTERNAL_ERROR, "w:InternalError", f"cannot process the request: {exc}")

    def _create(self, req: Request) -> Outcome:
        assert req.body is not None
        creation = req.body.find("pwsh:creationXml", NS)
        if not req.resource_uri.startswith("http://schemas.microsoft.com/powershell/") or creation is None:
            return self._fault(req, wsman.CODE_ACTION_NOT_SUPPORTED, "w:InvalidResourceURI", "only PowerShell shells are served")
        shell_id = (req.body.attrib.get("ShellId") or str(uuid.uuid4())).upper()
        shell = Shell(self._answer)
        shell.open(base64.b64decode(creation.text or "", validate=True))
        with self._lock:
            self._shells[shell_id] = shell
        return Outcome(200, wsman.create_response(req, shell_id, self._owner))

    def _command(self, req: Request) -> Outcome:
        assert req.body is not None
        shell = self._shell(req)
        if shell is None:
            return self._no_shell(req)
        command_id = (req.body.attrib.get("CommandId") or str(uuid.uuid4())).upper()
        args = req.body.find("rsp:Arguments", NS)
        shell.command(command_id, base64.b64decode(args.text or "" if args is not None else "", validate=True))
        return Outcome(200, wsman.command_response(req, command_id))

    def _send(self, req: Request) -> Outcome:
        assert req.body is not None
        shell = self._shell(req)
        if shell is None:
            return self._no_shell(req)
        for stream in req.body.findall("rsp:Stream", NS):
            data = base64.b64decode(stream.text or "", validate=True)
            shell.send(data, stream.attrib.get("Name", "stdin"))
        return Outcome(200, wsman.empty_response(req, "Send"))

    def _receive(self, req: Request) -> Outcome:
        assert req.body is not None
        shell = self._shell(req)
        if shell is None:
            return self._no_shell(req)
        command_id = wsman.receive_command_id(req)
        if command_id and not shell.has_command(command_id):
            return self._fault(req, wsman.CODE_INVALID_SELECTORS, "w:InvalidSelectors", f"no command {command_id}")
        budget = max(4096, (req.max_envelope_size - 2048) * 3 // 4)
        chunks, done = shell.receive(command_id, budget, self._receive_hold_s if command_id else 0.0)
        if not chunks and not done:
            return Outcome(500, wsman.operation_timeout(req, self.machine))
        return Outcome(200, wsman.receive_response(req, command_id, chunks, done))

    def _signal(self, req: Request) -> Outcome:
        assert req.body is not None
        shell = self._shell(req)
        if shell is None:
            return self._no_shell(req)
        code = req.body.findtext("rsp:Code", "", NS).strip()
        shell.signal(req.body.attrib.get("CommandId", ""), terminate=code == wsman.SIGNAL_TERMINATE)
        return Outcome(200, wsman.empty_response(req, "Signal"))

    def _delete(self, req: Request) -> Outcome:
        with self._lock:
            shell = self._shells.pop(req.shell_id or "", None)
        if shell is None:
            return self._no_shell(req)
        return Outcome(200, wsman.empty_response(req, "Delete"))

    def _shell(self, req: Request) -> Shell | None:
        with self._lock:
            return self._shells.get(req.shell_id or "")

    def _no_shell(self, req: Request) -> Outcome:
        return self._fault(
            req,
            wsman.CODE_INVALID_SELECTORS,
            "w:InvalidSelectors",
            "The WS-Management service cannot process the request because the request contained invalid selectors "
            "for the resource.",
        )

    def _fault(self, req: Request, code: int, subcode: str, reason: str) -> Outcome:
        return Outcome(500, wsman.fault(req.message_id, code, subcode, reason, self.machine))
