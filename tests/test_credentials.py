"""Credential references resolve once, from env, prompt or keyring, and never print themselves."""
from __future__ import annotations

import pytest

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

    r = CredentialResolver(env={}, prompt=prompt, interactive=True)
    ref = CredentialRef(username="CORP\\svc", password_prompt=True)
    for _ in range(3):
        assert r.resolve(ref, auth="negotiate", where="C1").password == Secret("typed")
    assert len(asked) == 1 and "CORP\\svc" in asked[0]


def test_prompt_without_a_terminal_is_refused() -> None:
    r = CredentialResolver(env={}, prompt=lambda _: "x", interactive=False)
    with pytest.raises(InputError, match="interactive terminal"):
        r.resolve(CredentialRef(username="u", password_prompt=True), auth="ntlm", where="C1")


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
