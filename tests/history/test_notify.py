"""scanner/schedule/notify.py: the notify command and mail through a relay (a local aiosmtpd)."""
from __future__ import annotations

import sys
from dataclasses import replace
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller

from scanner.schedule.notify import Notification, Notifier, SmtpSettings, run_command, send_mail
from tests.live import free_ports

NOTE = Notification(cluster="FSCLUSTER1", verdict="NO-GO", previous_verdict="GO", exit_code=2,
                    report_path="/srv/rollready/20261125T020000Z/report.html",
                    reason="DDP-003 failed on N1:E:", run_id=7, scanned_at="2026-11-25T02:00:00Z")


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 Message accepted for delivery"


@pytest.fixture
def relay():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_ports())
    controller.start()
    try:
        yield inbox, controller.port
    finally:
        controller.stop()


def test_mail_reaches_the_relay(relay):
    inbox, port = relay
    settings = SmtpSettings(host="127.0.0.1", port=port, sender="rollready@corp.example",
                            recipients=("ops@corp.example", "audit@corp.example"))
    assert send_mail(settings, NOTE) == []
    [(sender, rcpts, raw)] = inbox.messages
    assert sender == "rollready@corp.example"
    assert rcpts == ["ops@corp.example", "audit@corp.example"]
    msg = message_from_bytes(raw)
    assert msg["Subject"] == "[rollready] FSCLUSTER1: NO-GO (was GO)"
    body = msg.get_payload()
    assert "DDP-003 failed on N1:E:" in body and NOTE.report_path in body


def _mail_with_pdf(relay, tmp_path):
    """Mail NOTE with a 1 KB report.pdf through the relay; (the message received, the PDF's path)."""

    inbox, port = relay
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(b"%PDF-1.7\n" + b"x" * 1000)
    settings = SmtpSettings(host="127.0.0.1", port=port, sender="a@corp.example", recipients=("b@corp.example",))
    assert send_mail(settings, replace(NOTE, pdf_path=str(pdf))) == []
    return message_from_bytes(inbox.messages[-1][2]), pdf


def test_mail_attaches_the_pdf_and_gives_the_report_as_a_path(relay, tmp_path):
    msg, pdf = _mail_with_pdf(relay, tmp_path)
    [text, attachment] = msg.get_payload()
    assert attachment.get_filename() == "report.pdf" and attachment.get_content_type() == "application/pdf"
    assert attachment.get_payload(decode=True) == pdf.read_bytes()
    body = text.get_payload(decode=True).decode()
    assert "a path on that host, not a link" in body and f"    {NOTE.report_path}" in body
    assert "file://" not in body and "http" not in body


def test_a_pdf_over_the_cap_is_not_attached_and_the_mail_says_so(relay, tmp_path, monkeypatch):
    from scanner.schedule import notify

    monkeypatch.setattr(notify, "MAX_ATTACHMENT_BYTES", 500)
    msg, pdf = _mail_with_pdf(relay, tmp_path)
    assert not msg.is_multipart()
    body = msg.get_payload(decode=True).decode()
    assert "not attached" in body and str(pdf) in body


def test_notifier_mails_only_on_change_by_default(relay):
    inbox, port = relay
    notifier = Notifier(smtp=SmtpSettings(host="127.0.0.1", port=port, sender="a@x", recipients=("b@x",)))
    assert notifier.send(NOTE) == []
    same = Notification(**{**vars(NOTE), "previous_verdict": "NO-GO"})
    assert notifier.send(same) == []
    assert len(inbox.messages) == 1
    assert Notifier(when="always").wanted(same) and Notifier(when="not-go").wanted(same)


def test_an_unreachable_relay_is_reported_not_raised():
    settings = SmtpSettings(host="127.0.0.1", port=free_ports(), sender="a@x", recipients=("b@x",), timeout=5)
    [failure] = send_mail(settings, NOTE)
    assert failure.startswith(f"mail via 127.0.0.1:{settings.port}:")


def test_a_relay_name_that_cannot_be_looked_up_is_reported_not_raised():
    """A label longer than DNS allows raised UnicodeError (IDNA) out of send_mail, after the scan."""
    settings = SmtpSettings(host="a" * 70 + ".example", port=25, sender="a@x", recipients=("b@x",), timeout=5)
    [failure] = send_mail(settings, NOTE)
    assert failure.startswith("mail via aaaa") and "label empty or too long" in failure


def test_a_relay_login_without_a_password_is_reported(monkeypatch):
    monkeypatch.delenv("ROLLREADY_SMTP_PASSWORD", raising=False)
    monkeypatch.setattr("keyring.get_password", lambda service, user: None)
    settings = SmtpSettings(host="127.0.0.1", port=1, sender="a@x", recipients=("b@x",), username="svc")
    [failure] = send_mail(settings, NOTE)
    assert "no password for svc" in failure


def test_the_command_gets_verdict_and_report_as_separate_arguments(tmp_path):
    out = tmp_path / "args.txt"
    script = ("import os, sys; open(sys.argv[1], 'w').write(repr(sys.argv[2:]) + os.environ['ROLLREADY_CLUSTER'])")
    note = Notification(**{**vars(NOTE), "report_path": "/tmp/a b; rm -rf ~/report.html"})
    assert run_command((sys.executable, "-c", script, str(out)), note) == []
    assert out.read_text() == "['NO-GO', '/tmp/a b; rm -rf ~/report.html']FSCLUSTER1"


def test_a_failing_command_is_reported():
    [failure] = run_command((sys.executable, "-c", "import sys; sys.exit('boom')"), NOTE)
    assert "exited 1: boom" in failure
    [failure] = run_command(("/nonexistent/notify",), NOTE)
    assert failure.startswith("--notify-cmd /nonexistent/notify:")


def test_a_command_that_prints_bytes_that_are_not_utf8_is_reported(tmp_path):
    """Its stderr was decoded strictly: UnicodeDecodeError escaped from the notification."""
    script = "import sys; sys.stderr.buffer.write(b'bad \\xff\\xfe bytes'); sys.exit(3)"
    [failure] = run_command((sys.executable, "-c", script), NOTE)
    assert failure.startswith(f"--notify-cmd {sys.executable} exited 3: bad") and "\ufffd" in failure

