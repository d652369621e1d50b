"""HTTP authentication of a lab node: Basic, or NTLM through a pyspnego acceptor with WinRM encryption.

NTLM is connection-bound: the handshake runs on one keep-alive connection (401 with a challenge,
then 200), and the security context it yields seals every later message on that connection
(multipart/encrypted, the same framing pypsrp's WinRMEncryption writes). pyspnego's pure-Python
acceptor reads the accepted credential from the file named by NTLM_USER_FILE.
"""
from __future__ import annotations

import base64
import binascii
import hmac
import os
import re
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import spnego
from pypsrp.encryption import WinRMEncryption

BASIC = "basic"
NTLM = "ntlm"
AUTH_METHODS = (BASIC, NTLM)

_TOKEN = re.compile(r"^(Negotiate|NTLM)\s+(\S+)$", re.IGNORECASE)


@dataclass(frozen=True)
class Credentials:
    username: str  # DOMAIN\user
    password: str


@dataclass
class Verdict:
    """The outcome of checking one request: authenticated, or the 401 (with a challenge) to send."""

    ok: bool
    challenge: str | None = None  # WWW-Authenticate value
    final_token: str | None = None  # sent with the last handshake reply


@dataclass
class ConnectionAuth:
    """Per-connection state: the NTLM context once the handshake is complete."""

    context: Any = None
    complete: bool = False
    encryption: WinRMEncryption | None = field(default=None, repr=False)


class Authenticator:
    """Checks requests for one lab node (shared by all its connections)."""

    def __init__(self, method: str, credentials: Credentials, channel_binding: bytes | None = None) -> None:
        if method not in AUTH_METHODS:
            raise ValueError(f"unknown lab auth {method!r}; use one of {', '.join(AUTH_METHODS)}")
        self.method = method
        self._credentials = credentials
        self._channel_binding = channel_binding

    def check(self, header: str | None, conn: ConnectionAuth) -> Verdict:
        if self.method == BASIC:
            return Verdict(ok=self._basic_ok(header), challenge='Basic realm="WSMAN"')
        if conn.complete:
            return Verdict(ok=True)
        return self._ntlm_step(header, conn)

    def _basic_ok(self, header: str | None) -> bool:
        if not header or not header.lower().startswith("basic "):
            return False
        try:
            user, _, password = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        expected = self._credentials
        return user.lower() == expected.username.lower() and hmac.compare_digest(password, expected.password)

    def _ntlm_step(self, header: str | None, conn: ConnectionAuth) -> Verdict:
        match = _TOKEN.match(header.strip()) if header else None
        if match is None:
            conn.context = None
            return Verdict(ok=False, challenge="Negotiate")
        try:
            in_token = base64.b64decode(match.group(2), validate=True)
        except binascii.Error:
            return Verdict(ok=False, challenge="Negotiate")
        if conn.context is None:
            bindings = (
                spnego.channel_bindings.GssChannelBindings(application_data=self._channel_binding)
                if self._channel_binding
                else None
            )
            conn.context = spnego.server(
                protocol="negotiate", options=spnego.NegotiateOptions.wrapping_winrm, channel_bindings=bindings
            )
        try:
            out_token = conn.context.step(in_token)
        except spnego.exceptions.SpnegoError:
            conn.context = None
            return Verdict(ok=False, challenge="Negotiate")
        scheme = match.group(1)
        encoded = f"{scheme} {base64.b64encode(out_token).decode()}" if out_token else None
        if not conn.context.complete:
            return Verdict(ok=False, challenge=encoded or "Negotiate")
        conn.complete = True
        conn.encryption = WinRMEncryption(conn.context, WinRMEncryption.SPNEGO)
        return Verdict(ok=True, final_token=encoded)


def is_encrypted(content_type: str) -> bool:
    return content_type.lower().startswith("multipart/encrypted")


def unwrap(conn: ConnectionAuth, body: bytes, content_type: str) -> bytes:
    """Decrypt a multipart/encrypted request body; plain bodies pass through."""
    if not is_encrypted(content_type):
        return body
    if conn.encryption is None:
        raise ValueError("encrypted request on a connection without a security context")
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    return conn.encryption.unwrap_message(body, match.group(1) if match else "Encrypted Boundary")


def wrap(conn: ConnectionAuth, body: bytes, encrypt: bool) -> tuple[str, bytes]:
    """Encrypt a reply when the request was encrypted (as WinRM does); else plain SOAP."""
    if not encrypt or conn.encryption is None:
        return "application/soap+xml;charset=UTF-8", body
    content_type, payload = conn.encryption.wrap_message(body)
    return f'{content_type};protocol="{WinRMEncryption.SPNEGO}";boundary="Encrypted Boundary"', payload


class NtlmUserFile:
    """The credential file pyspnego's NTLM acceptor reads, set in NTLM_USER_FILE while the lab runs.

    NTLM_USER_FILE is process-wide; labs running at once share one file listing every credential.
    """

    _lock = threading.Lock()
    _users: dict[Credentials, int] = {}
    _path: Path | None = None
    _previous: str | None = None

    @classmethod
    def add(cls, credentials: Credentials) -> None:
        with cls._lock:
            cls._users[credentials] = cls._users.get(credentials, 0) + 1
            if cls._path is None:
                fd, name = tempfile.mkstemp(prefix="rollready-lab-ntlm-", suffix=".txt")
                os.close(fd)
                cls._path = Path(name)
                cls._previous = os.environ.get("NTLM_USER_FILE")
                os.environ["NTLM_USER_FILE"] = name
            cls._write()

    @classmethod
    def remove(cls, credentials: Credentials) -> None:
        with cls._lock:
            count = cls._users.get(credentials, 0) - 1
            if count > 0:
                cls._users[credentials] = count
            else:
                cls._users.pop(credentials, None)
            if cls._users or cls._path is None:
                if cls._path is not None:
                    cls._write()
                return
            cls._path.unlink(missing_ok=True)
            cls._path = None
            if cls._previous is None:
                os.environ.pop("NTLM_USER_FILE", None)
            else:
                os.environ["NTLM_USER_FILE"] = cls._previous

    @classmethod
    def _write(cls) -> None:
        assert cls._path is not None
        lines = []
        for cred in cls._users:
            domain, _, user = cred.username.rpartition("\\")
            lines.append(f"{domain}:{user}:{cred.password}\n")
        fd = os.open(cls._path, os.O_WRONLY | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.writelines(lines)
