"""One PSRP runspace pool behind one WinRS shell, built on psrpcore's server-side classes.

psrpcore speaks PSRP (fragments, messages, CLIXML, state machines) but knows nothing of WS-Man:
this module feeds it the base64-decoded payloads of Create / Command / Send and hands the payloads it
produces to the right Receive. Pool messages go to a Receive without CommandId, pipeline messages to
the Receive naming their CommandId (= the PSRP pipeline id, as pypsrp and Windows use it).
"""
from __future__ import annotations

import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from psrpcore import (
    CreatePipelineEvent,
    PSRPPayload,
    ServerPipeline,
    ServerRunspacePool,
    StreamType,
)
from psrpcore._payload import create_fragment, create_message
from psrpcore.types import (
    ErrorCategory,
    ErrorCategoryInfo,
    ErrorRecord,
    NETException,
    PSInvocationState,
    PSRPMessageType,
)

FRAGMENT_SIZE = 32 * 1024  # upper bound for outgoing PSRP fragments; smaller if the client's MaxEnvelopeSize asks
_CORRUPT_OBJECT_ID = 2**40  # object id for the injected malformed message; never used by psrpcore here


@dataclass(frozen=True)
class ScriptCommand:
    """One command of a pipeline as the client sent it."""

    text: str
    is_script: bool
    parameters: tuple[tuple[str | None, object], ...]


@dataclass(frozen=True)
class Reply:
    """What a pipeline answers: output strings, or a terminating error, or corrupt CLIXML.

    `runtime_s`: how long the pipeline runs before its output appears (a collector waiting on a hung
    provider); until then Receives find it Running and get the OperationTimeout fault.
    """

    outputs: tuple[str, ...] = ()
    error: str | None = None
    error_id: str = "RollreadyLab.ScriptRejected"
    corrupt_output: bool = False
    runtime_s: float = 0.0


Answer = Callable[[Sequence[ScriptCommand]], Reply]


class LabPipeline(ServerPipeline):
    """A ServerPipeline that can also fail, the way a terminating error ends a real one."""

    def fail(self, error: ErrorRecord) -> None:
        # PipelineState Failed carrying the error record: what PowerShell sends for `throw`.
        self._change_state(PSInvocationState.Failed, error=error)


class Shell:
    """A runspace pool and its pipelines; every method takes the shell's lock."""

    def __init__(self, answer: Answer) -> None:
        self._answer = answer
        self._lock = threading.Lock()
        self._ready = threading.Condition(self._lock)
        self._pool = ServerRunspacePool()
        self._outboxes: dict[str | None, deque[bytes]] = {}
        self._pipelines: dict[str, LabPipeline] = {}
        self._running: dict[str, tuple[float, Reply]] = {}  # pipeline -> (monotonic time its output is due, reply)

    def open(self, creation: bytes) -> None:
        """Feed the creationXml fragments (SessionCapability + InitRunspacePool)."""
        with self._lock:
            self._feed(creation, StreamType.default)

    def command(self, command_id: str, fragment: bytes) -> None:
        """Start a pipeline: register it before its CREATE_PIPELINE fragment is processed."""
        with self._lock:
            key = command_id.upper()
            self._pipelines[key] = LabPipeline(self._pool, uuid.UUID(key))
            self._feed(fragment, StreamType.default)

    def send(self, data: bytes, stream: str) -> None:
        """More fragments: the rest of a large pipeline, input, or host responses (stream 'pr').

        PSRP messages name their pipeline themselves, so the Stream's CommandId is not needed.
        """
        with self._lock:
            self._feed(data, StreamType.prompt_response if stream == "pr" else StreamType.default)

    def receive(self, command_id: str | None, budget: int, hold_s: float = 0.0) -> tuple[list[bytes], bool]:
        """Payloads waiting for this target (at least one if any, up to budget bytes) and whether it is done.

        A pipeline still running holds the Receive up to hold_s (as WinRM holds it up to the client's
        OperationTimeout) before answering with nothing.
        """
        with self._lock:
            key = command_id.upper() if command_id else None
            if key in self._running:
                due = self._running[key][0]
                self._ready.wait(max(0.0, min(hold_s, due - time.monotonic())))
            self._finish_due()
            self._drain(min(FRAGMENT_SIZE, budget))
            box = self._outboxes.get(key, deque())
            chunks: list[bytes] = []
            size = 0
            while box and (not chunks or size + len(box[0]) <= budget):
                chunk = box.popleft()
                chunks.append(chunk)
                size += len(chunk)
            pipeline = self._pipelines.get(key) if key else None
            done = bool(pipeline is not None and not box and pipeline.state in _FINISHED)
            return chunks, done

    def has_command(self, command_id: str) -> bool:
        with self._lock:
            return command_id.upper() in self._pipelines

    def signal(self, command_id: str, terminate: bool) -> None:
        """Terminate closes the pipeline; ctrl_c stops it if it is still running."""
        with self._lock:
            key = command_id.upper()
            pipeline = self._pipelines.get(key)
            if pipeline is None:
                return
            self._running.pop(key, None)
            if pipeline.state == PSInvocationState.Running:
                pipeline.stop()
            if terminate:
                pipeline.close()
                del self._pipelines[key]
                self._outboxes.pop(key, None)

    def _feed(self, data: bytes, stream: StreamType) -> None:
        self._pool.receive_data(PSRPPayload(data, stream, None))
        while (event := self._pool.next_event()) is not None:
            if isinstance(event, CreatePipelineEvent):
                self._run(str(event.pipeline_id).upper())

    def _run(self, key: str) -> None:
        pipeline = self._pipelines[key]
        assert pipeline.metadata is not None  # set by psrpcore from the CreatePipeline event
        commands = [
            ScriptCommand(c.command_text, bool(c.is_script), tuple(c.parameters)) for c in pipeline.metadata.commands
        ]
        reply = self._answer(commands)
        pipeline.start()
        if reply.runtime_s > 0:
            self._running[key] = (time.monotonic() + reply.runtime_s, reply)
            return
        self._finish(key, reply)

    def _finish_due(self) -> None:
        now = time.monotonic()
        for key, (due, reply) in list(self._running.items()):
            if due <= now:
                del self._running[key]
                self._finish(key, reply)

    def _finish(self, key: str, reply: Reply) -> None:
        pipeline = self._pipelines[key]
        if reply.error is not None:
            pipeline.fail(_error_record(reply.error, reply.error_id))
            return
        if reply.corrupt_output:
            self._drain(FRAGMENT_SIZE)
            self._outboxes.setdefault(key, deque()).append(_corrupt_output(self._pool.runspace_pool_id, uuid.UUID(key)))
        else:
            for text in reply.outputs:
                pipeline.write_output(text)
        pipeline.complete()

    def _drain(self, fragment_size: int) -> None:
        while (payload := self._pool.data_to_send(fragment_size)) is not None:
            key = str(payload.pipeline_id).upper() if payload.pipeline_id else None
            self._outboxes.setdefault(key, deque()).append(payload.data)


_FINISHED = (PSInvocationState.Completed, PSInvocationState.Failed, PSInvocationState.Stopped)


def _error_record(message: str, error_id: str) -> ErrorRecord:
    exception = NETException(Message=message, HResult=-2146233087)
    exception.PSObject.type_names = [
        "System.Management.Automation.RuntimeException",
        "System.SystemException",
        *exception.PSTypeNames,
    ]
    return ErrorRecord(
        Exception=exception,
        CategoryInfo=ErrorCategoryInfo(Category=ErrorCategory.InvalidOperation, Reason="RuntimeException"),
        FullyQualifiedErrorId=error_id,
    )


def _corrupt_output(runspace_pool_id: uuid.UUID, pipeline_id: uuid.UUID) -> bytes:
    """A PipelineOutput message whose CLIXML is cut short: the 'malformed: clixml' fault."""
    data = b'<Obj RefId="0"><TN RefId="0"><T>System.String</T></TN><ToString>{"collector_version'
    message = create_message(False, PSRPMessageType.PipelineOutput, data, runspace_pool_id, pipeline_id)
    return create_fragment(_CORRUPT_OBJECT_ID, 0, message, True)
