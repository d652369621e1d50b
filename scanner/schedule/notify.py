"""Tell someone about a scheduled run's verdict: a command of theirs, and/or mail through a relay.

By default only when the verdict differs from the previous run of the same cluster, so a
nightly scan that stays NO-GO does not page anyone every night. Delivery failures are
returned as messages (logged by the caller), never raised: the verdict stays the exit code.
"""
from __future__ import annotations

import logging
import os
import smtplib
import ssl
import subprocess
from dataclasses import dataclass, replace
from email.message import EmailMessage
from pathlib import Path
from typing import Literal

from scanner.inert import inert

log = logging.getLogger(__name__)

NotifyWhen = Literal["change", "always", "not-go"]
NOTIFY_WHEN: tuple[NotifyWhen, ...] = ("change", "always", "not-go")
COMMAND_TIMEOUT_S = 120
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024  # most relays refuse mail much above 10-25 MB
SMTP_PASSWORD_ENV = "ROLLREADY_SMTP_PASSWORD"
KEYRING_SERVICE = "rollready-smtp"


@dataclass(frozen=True)
class Notification:
    """What happened in one run, as the receivers see it."""

    cluster: str
    verdict: str  # GO, GO WITH WARNINGS, NO-GO, INCOMPLETE, or ERROR when the run itself failed
    previous_verdict: str | None  # None: the first run recorded for this cluster
    exit_code: int
    report_path: str
    reason: str = ""
    run_id: int | None = None
    scanned_at: str | None = None
    pdf_path: str | None = None  # the run's PDF report, attached to the mail when small enough

    @property
    def changed(self) -> bool:
        return self.verdict != self.previous_verdict


@dataclass(frozen=True)
class SmtpSettings:
    """A relay; the password (if the relay wants one) comes from env or keyring, never arguments."""

    host: str
    sender: str
    recipients: tuple[str, ...]
    port: int = 25
    starttls: bool = False
    username: str | None = None
    timeout: float = 30.0

    def password(self) -> str | None:
        """ROLLREADY_SMTP_PASSWORD, else the keyring entry (service rollready-smtp, the username)."""
        if not self.username:
            return None
        secret = os.environ.get(SMTP_PASSWORD_ENV)
        if secret:
            return secret
        import keyring  # imported late: keyring backends probe the desktop at import

        return keyring.get_password(KEYRING_SERVICE, self.username)


@dataclass(frozen=True)
class Notifier:
    command: tuple[str, ...] = ()  # argv; the verdict and the report path are appended
    smtp: SmtpSettings | None = None
    when: NotifyWhen = "change"

    def wanted(self, note: Notification) -> bool:
        if self.when == "always":
            return True
        if self.when == "not-go":
            return note.verdict != "GO"
        return note.changed

    def send(self, note: Notification) -> list[str]:
        """Deliver to every configured channel; returns one message per delivery that failed.

        The cluster name and the reason come from servers: made inert (one line, hidden characters
        shown) before they become a mail header, a command argument or an environment variable,
        where a CR/LF would forge a header and a NUL would stop the command from starting."""
        note = replace(note, cluster=inert(note.cluster), reason=inert(note.reason))
        if not self.wanted(note):
            log.info("verdict %s unchanged; no notification (notify on %s)", note.verdict, self.when)
            return []
        failures = []
        if self.command:
            failures += run_command(self.command, note)
        if self.smtp is not None:
            failures += send_mail(self.smtp, note)
        return failures


def run_command(command: tuple[str, ...], note: Notification) -> list[str]:
    """Run argv + [verdict, report path] without a shell; details also in ROLLREADY_* variables."""
    env = {
        **os.environ,
        "ROLLREADY_VERDICT": note.verdict,
        "ROLLREADY_PREVIOUS_VERDICT": note.previous_verdict or "",
        "ROLLREADY_CLUSTER": note.cluster,
        "ROLLREADY_REPORT": note.report_path,
        "ROLLREADY_RUN_ID": "" if note.run_id is None else str(note.run_id),
        "ROLLREADY_EXIT_CODE": str(note.exit_code),
    }
    try:
        done = subprocess.run([*command, note.verdict, note.report_path], env=env, stdin=subprocess.DEVNULL,
                              capture_output=True, encoding="utf-8", errors="replace", timeout=COMMAND_TIMEOUT_S,
                              check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return [f"--notify-cmd {command[0]}: {exc}"]
    if done.returncode != 0:
        tail = " ".join(done.stderr.split())[-300:]
        return [f"--notify-cmd {command[0]} exited {done.returncode}: {tail}".rstrip(": ")]
    log.info("notified through %s", command[0])
    return []


def build_message(settings: SmtpSettings, note: Notification) -> EmailMessage:
    msg = EmailMessage()
    was = f" (was {note.previous_verdict})" if note.previous_verdict and note.changed else ""
    msg["Subject"] = f"[rollready] {note.cluster}: {note.verdict}{was}"
    msg["From"] = settings.sender
    msg["To"] = ", ".join(settings.recipients)
    lines = [
        f"Cluster:  {note.cluster}",
        f"Verdict:  {note.verdict}",
        f"Previous: {note.previous_verdict or '(first recorded run)'}",
        f"Reason:   {note.reason}",
        f"Scanned:  {note.scanned_at or '-'}",
        f"Run id:   {'-' if note.run_id is None else note.run_id}",
        "",
        "Report file, on the host that ran the scan (a path on that host, not a link):",
        f"    {note.report_path}",
    ]
    attached, why = _pdf_attachment(note.pdf_path)
    if attached is not None:
        lines.append(f"The PDF report is attached ({Path(note.pdf_path or '').name}, {len(attached):,} bytes).")
    elif why:
        lines.append(why)
    lines += ["", "rollready history drift shows what changed since the previous run."]
    msg.set_content("\n".join(lines) + "\n")
    if attached is not None:
        msg.add_attachment(attached, maintype="application", subtype="pdf", filename=Path(note.pdf_path or "").name)
    return msg


def _pdf_attachment(path: str | None) -> tuple[bytes | None, str]:
    """The PDF's bytes when it exists and fits under MAX_ATTACHMENT_BYTES; else why it is not attached."""
    if not path:
        return None, ""
    try:
        size = Path(path).stat().st_size
        if size > MAX_ATTACHMENT_BYTES:
            return None, (f"The PDF report is not attached: its {size:,} bytes are over the "
                          f"{MAX_ATTACHMENT_BYTES:,}-byte limit; it is at {path}")
        return Path(path).read_bytes(), ""
    except OSError as exc:
        return None, f"The PDF report could not be attached: {exc.strerror or exc}"


def send_mail(settings: SmtpSettings, note: Notification) -> list[str]:
    msg = build_message(settings, note)
    password = settings.password()
    if settings.username and not password:
        return [f"mail via {settings.host}: no password for {settings.username}: set {SMTP_PASSWORD_ENV}"
                f" or a keyring entry ({KEYRING_SERVICE}, {settings.username})"]
    try:
        with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout) as smtp:
            if settings.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.username and password:
                smtp.login(settings.username, password)
            refused = smtp.send_message(msg)
    except (OSError, smtplib.SMTPException, ValueError) as exc:  # ValueError: a host name IDNA cannot encode
        return [f"mail via {settings.host}:{settings.port}: {exc}"]
    if refused:
        return [f"mail via {settings.host}:{settings.port}: refused for {', '.join(sorted(refused))}"]
    log.info("mailed %s via %s:%s", ", ".join(settings.recipients), settings.host, settings.port)
    return []
