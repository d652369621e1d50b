"""Credential references resolve once, from env, prompt or keyring, and never print themselves."""
from __future__ import annotations

import getpass
import io
import sys

import pytest

from scanner import exitcodes
from scanner.cli import main
from scanner.cli.common import terminal_prompt
from scanner.credentials import CredentialResolver, Secret
from scanner.errors import InputError
from scanner.inventory import CredentialRef


def test_env_reference() -> None:
    r = CredentialResolver(env={"PW": "s3cret"})
    creds = r.resolve(CredentialRef(username="u", password_env="PW"), auth="ntlm", where="inv.yaml")
    assert creds.password is not None and creds.password.reveal() == "s3cret"
    assert "s3cret" not in repr(creds) and "s3cret" not in str(creds.password)


def test_missing_env_variable_is_an_input_error() -> None:
    with pytest.raises(InputError, match="PW is not set"):
        CredentialResolver(env={}).resolve(CredentialRef(username="u", password_env="PW"), auth="ntlm", where="inv")


def test_prompt_once_per_reference() -> None:
    asked: list[str] = []

    def prompt(text: str) -> str:
        asked.append(text)
        return "typed"

    r = CredentialResolver(env={}, prompt=prompt)
    ref = CredentialRef(username="CORP\\svc", password_prompt=True)
    for _ in range(3):
        assert r.resolve(ref, auth="negotiate", where="C1").password == Secret("typed")
    assert len(asked) == 1 and "CORP\\svc" in asked[0]


def test_prompt_without_a_prompt_is_refused() -> None:
    """The library reads no terminal: without the prompt the CLI hands it, a prompt reference is an error."""
    with pytest.raises(InputError) as err:
        CredentialResolver(env={}).resolve(CredentialRef(username="u", password_prompt=True), auth="ntlm", where="C1")
    assert [p.render() for p in err.value.problems] == [
        "C1: credentials: password_prompt needs an interactive terminal; use password_env or keyring"]


class _Stdin(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__("")
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


def test_the_cli_hands_the_terminal_prompt_only_when_there_is_a_terminal(monkeypatch) -> None:
    monkeypatch.setattr(sys, "stdin", _Stdin(tty=True))
    assert terminal_prompt() is getpass.getpass
    monkeypatch.setattr(sys, "stdin", _Stdin(tty=False))
    assert terminal_prompt() is None


def test_password_prompt_without_a_terminal_is_one_line_and_exit_65(monkeypatch, capsys, tmp_path) -> None:
    monkeypatch.setattr(sys, "stdin", _Stdin(tty=False))
    code = main(["scan", "--node", "node1.test", "--auth", "ntlm", "--username", "u", "--password-prompt",
                 "--phase", "pre", "--target-os", "2016", "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == exitcodes.DATAERR
    assert err.count("\n") == 1 and "password_prompt needs an interactive terminal; use password_env or keyring" in err
    assert not (tmp_path / "out").exists()


def test_keyring_reference() -> None:
    store = {("rollready", "svc"): "from-keyring"}
    r = CredentialResolver(env={}, keyring_get=lambda s, u: store.get((s, u)))
    creds = r.resolve(CredentialRef(username="svc", keyring="rollready"), auth="basic", where="C1")
    assert creds.password == Secret("from-keyring")
    with pytest.raises(InputError, match="no password for other"):
        r.resolve(CredentialRef(username="other", keyring="rollready"), auth="basic", where="C1")


def test_password_auth_needs_a_password() -> None:
    r = CredentialResolver(env={})
    with pytest.raises(InputError, match="auth basic needs"):
        r.resolve(CredentialRef(username="u"), auth="basic", where="C1")
    # Kerberos / negotiate may use the ticket cache
    assert r.resolve(CredentialRef(), auth="kerberos", where="C1").password is None


def test_certificate_auth_needs_both_files() -> None:
    with pytest.raises(InputError, match="certificate_pem"):
        CredentialResolver(env={}).resolve(CredentialRef(certificate_pem="c.pem"), auth="certificate", where="C1")


def test_secret_cannot_be_pickled() -> None:
    import pickle

    with pytest.raises(TypeError):
        pickle.dumps(Secret("x"))


def test_keyring_without_a_backend_is_bad_input(monkeypatch) -> None:
    import keyring
    import keyring.errors

    def no_backend(service: str, user: str) -> str:
        raise keyring.errors.NoKeyringError("No recommended backend was available.")

    monkeypatch.setattr(keyring, "get_password", no_backend)
    with pytest.raises(InputError, match="keyring 'svc': No recommended backend"):
        CredentialResolver(env={}).resolve(CredentialRef(username="u", keyring="svc"), auth="ntlm", where="C")
