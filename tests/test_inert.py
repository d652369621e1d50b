"""Server strings stay inert on the terminal, in the log, in notifications and in HTML (issue #11 §2)."""
from __future__ import annotations

import html
import logging
import re
import sys
from pathlib import Path
from types import SimpleNamespace

from scanner.cli.progress import Progress
from scanner.cli.scan_cmd import print_summary
from scanner.inert import inert
from scanner.report.html import _clip
from scanner.schedule import notify
from scanner.schedule.notify import Notification, Notifier, SmtpSettings, build_message
from scanner.schedule.unattended import rotating_log

FORGED = "FS1\r\n2026-01-01T00:00:00Z INFO scanner: GO all checks passed\x00\x1b[2J\x1b]0;owned\x07\u202egnp.exe"


def test_inert_is_one_line_with_every_control_visible() -> None:
    text = inert(FORGED)
    assert "\n" not in text and "\r" not in text and "\x00" not in text and "\x1b" not in text
    assert "\u202e" not in text and "\x07" not in text
    assert "U+001B" in text and "U+0000" in text and "U+202E" in text


def test_scan_summary_prints_server_strings_inert(capsys) -> None:
    facts = {"nodes": [{"name": "N1\x1b[2J", "reachable": False,
                        "errors": [{"section": "protocol", "message": "bad\r\n\x1b[32mGO all checks passed"}]}]}
    outcome = SimpleNamespace(result={"verdict": {"status": "NO-GO", "reason": "driver \x1b[2J\x1b[32mGO"}},
                              scan=SimpleNamespace(facts=facts, partial=False),
                              paths={k: Path(f"/tmp/{k}") for k in ("html", "pdf", "findings", "facts")})
    print_summary(outcome, "CLU\x1b]0;title\x07")  # type: ignore[arg-type]
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out
    assert out.startswith("CLU⟦U+001B⟧]0;title⟦U+0007⟧: NO-GO — driver ⟦U+001B⟧[2J")
    assert len(out.splitlines()) == 1 + 1 + 4  # verdict, one node, four paths: no forged line


def test_progress_display_renders_markup_and_escapes_as_text() -> None:
    from rich.console import Console

    display = Progress([("FS1", ["[bold red]N1", "N2\x1b[2J"])], enabled=True)  # (cluster, its nodes)
    console = Console(record=True, width=120, force_terminal=False)
    display._rich.live.console = console
    with display:
        display.started((0, 0))  # nodes are keyed (cluster index, node index)
        display.finished((0, 0), SimpleNamespace(name="[bold red]N1",
                                         error={"section": "protocol", "message": "[green]GO[/] \x1b[2J"}))
    text = console.export_text()
    assert "[bold red]N1" in text and "[green]GO[/]" in text and "\x1b" not in text and "U+001B" in text


def test_log_records_stay_one_line(tmp_path) -> None:
    path = tmp_path / "rollready.log"
    with rotating_log(path):
        logging.getLogger("scanner.test").info("cluster %s done", FORGED)
        try:
            raise ValueError("boom\nsecond line")
        except ValueError:
            logging.getLogger("scanner.test").exception("failed")
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2  # the forged record is not a record of its own
    assert all(re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ (INFO|ERROR) scanner\.test: ", line) for line in lines)
    assert "⟦U+0000⟧" in lines[0] and "\x1b" not in lines[0]
    assert "Traceback" in lines[1] and "second line" in lines[1]


def test_notifications_carry_server_strings_inert(tmp_path, monkeypatch) -> None:
    note = Notification(cluster=FORGED, verdict="NO-GO", previous_verdict="GO", exit_code=2,
                        report_path=str(tmp_path / "report.html"), reason="bad\r\nBcc: x@example.test")
    seen = tmp_path / "seen"
    script = tmp_path / "notify.py"
    script.write_text("import os, sys, pathlib\n"
                      f"pathlib.Path({str(seen)!r}).write_text(os.environ['ROLLREADY_CLUSTER'] + '|' + '|'.join(sys.argv[1:]))\n")
    assert Notifier(command=(sys.executable, str(script)), when="always").send(note) == []
    delivered = seen.read_text()
    assert "\x00" not in delivered and "\n" not in delivered and "U+0000" in delivered
    mailed = []
    monkeypatch.setattr(notify, "send_mail", lambda settings, n: mailed.append(build_message(settings, n)) or [])
    smtp = SmtpSettings(host="mail.example.test", sender="a@example.test", recipients=("b@example.test",))
    assert Notifier(smtp=smtp, when="always").send(note) == []
    assert "\n" not in mailed[0]["Subject"] and "U+0000" in mailed[0]["Subject"]
    assert "Bcc" not in mailed[0].keys() and "Reason:   bad Bcc: x@example.test" in mailed[0].get_content()


def test_html_escapes_once_even_where_long_runs_get_break_opportunities() -> None:
    value = "it's-" * 40  # one 200-character run with an apostrophe every 5 characters
    rendered = str(_clip(value, 1000))
    assert "&#3\u200b9;" not in rendered and "&#\u200b39;" not in rendered
    assert html.unescape(rendered).replace("\u200b", "") == value
