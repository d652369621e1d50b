"""Credentials from references: an environment variable, a prompt, or the OS keyring.

Secrets never come from files, and once read they travel as `Secret`, whose repr and str are
masked, so a log line, a traceback or a dataclass repr cannot show them. Only scanner/cli/ reads the
terminal: it hands the resolver a prompt when there is one to answer (scanner/cli/common.py
terminal_prompt); without one, a reference that needs a prompt is one clear error.
"""
from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from scanner.errors import InputError, Problem
from scanner.inventory import CredentialRef

NEEDS_PASSWORD = ("basic", "ntlm", "credssp")  # negotiate/kerberos may use a ticket cache


class Secret:
    """A string that does not print itself."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __reduce__(self) -> Any:
        raise TypeError("a Secret cannot be pickled")


@dataclass(frozen=True)
class Credentials:
    username: str | None = None
    password: Secret | None = None
    certificate_pem: str | None = None
    certificate_key_pem: str | None = None


def _keyring_get(service: str, username: str) -> str | None:
    import keyring  # imported on use: backends probe the desktop session when loaded
    import keyring.errors

    try:
        return keyring.get_password(service, username)
    except keyring.errors.KeyringError as exc:
        raise InputError([Problem(f"keyring {service!r}: {' '.join(str(exc).split())}")]) from None


class CredentialResolver:
    """Turns references into credentials, each reference once (one prompt per distinct reference,
    even when many nodes share it). Safe to call from several threads."""

    def __init__(
        self,
        *,
        env: Mapping[str, str] | None = None,
        prompt: Callable[[str], str] | None = None,
        keyring_get: Callable[[str, str], str | None] = _keyring_get,
    ) -> None:
        """prompt: asks for a password (the CLI's, on a terminal); None: nobody to ask (a scheduled
        run, no terminal, a library caller), so `password_prompt` is an error."""
        self._env = os.environ if env is None else env
        self._prompt = prompt
        self._keyring_get = keyring_get
        self._cache: dict[CredentialRef, Credentials] = {}
        self._lock = threading.Lock()

    def resolve(self, ref: CredentialRef, *, auth: str, where: str) -> Credentials:
        """The credentials for ref; `where` names the cluster or inventory in error messages."""
        with self._lock:
            if ref not in self._cache:
                self._cache[ref] = self._read(ref, auth, where)
            return self._cache[ref]

    def _read(self, ref: CredentialRef, auth: str, where: str) -> Credentials:
        password = None
        if ref.password_env:
            value = self._env.get(ref.password_env)
            if value is None:
                raise InputError([Problem(f"credentials: environment variable {ref.password_env} is not set", file=where)])
            password = Secret(value)
        elif ref.password_prompt:
            if self._prompt is None:
                raise InputError([Problem("credentials: password_prompt needs an interactive terminal; use password_env or keyring", file=where)])
            try:
                password = Secret(self._prompt(f"Password for {ref.username or 'the current user'} ({where}): "))
            except EOFError:  # Ctrl-D at the prompt
                raise InputError([Problem("credentials: no password given (end of input at the prompt)", file=where)]) from None
        elif ref.keyring:
            if not ref.username:
                raise InputError([Problem(f"credentials: keyring {ref.keyring!r} needs a username", file=where)])
            value = self._keyring_get(ref.keyring, ref.username)
            if value is None:
                raise InputError([Problem(f"credentials: no password for {ref.username} in keyring {ref.keyring!r}", file=where)])
            password = Secret(value)
        if auth in NEEDS_PASSWORD and (not ref.username or password is None):
            raise InputError([Problem(f"credentials: auth {auth} needs a username and a password reference (password_env, password_prompt or keyring)", file=where)])
        if auth == "certificate" and not (ref.certificate_pem and ref.certificate_key_pem):
            raise InputError([Problem("credentials: auth certificate needs certificate_pem and certificate_key_pem", file=where)])
        return Credentials(ref.username, password, ref.certificate_pem, ref.certificate_key_pem)
