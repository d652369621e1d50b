"""SIGTERM behaves like Ctrl-C (partial work kept, temp files removed, exit 143); a file-size limit or a
full disk is exit 73 with one line; Ctrl-D at a password prompt is one line (issue #11 §5)."""
from __future__ import annotations

import errno
import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from scanner import exitcodes
from scanner.cli import main
from scanner.lab import PASSWORD_ENV
from tests.collect.conftest import LAB_PASSWORD, scenario, start_lab
from tests.live import PATIENCE_S, reaped, wait_for_line, wait_until

EXAMPLE = Path(__file__).parents[2] / "examples" / "pre-healthy-2012r2.json"


def _rollready(*args: str, **kwargs) -> subprocess.Popen:
    env = {**os.environ, PASSWORD_ENV: LAB_PASSWORD}
    return subprocess.Popen([sys.executable, "-m", "scanner", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kwargs)


@pytest.mark.slow
def test_sigterm_during_a_scan_keeps_the_partial_facts_and_reports(tmp_path) -> None:
    with start_lab(scenario({"never_answer": True})).running() as lab:
        inventory = tmp_path / "inv.yaml"
        inv = lab.inventory()
        inv["clusters"][0]["transport"].update({"operation_timeout": 1, "read_timeout": 30})
        inventory.write_text(yaml.safe_dump(inv))
        out = tmp_path / "out"

        def mid_scan() -> bool:  # N1 and N2 collected (shell created and deleted); N3's shell open, hanging
            exchanges, shells = {n: s["exchanges"] for n, s in lab.stats.items()}, lab.open_shells()
            return all(exchanges[n] and not shells[n] for n in ("N1", "N2")) and shells["N3"] == 1

        with reaped(_rollready("scan", "-i", str(inventory), "--phase", "pre", "--target-os", "2016",
                               "--out", str(out), "--no-pdfa")) as proc:
            wait_until(mid_scan, "N1 and N2 were collected and N3 was being collected", process=proc)
            proc.send_signal(signal.SIGTERM)
            stdout, stderr = proc.communicate(timeout=PATIENCE_S)
    assert proc.returncode == exitcodes.TERMINATED, stderr
    assert "Traceback" not in stderr
    assert "scan interrupted: keeping the" in stderr
    assert "the scan was interrupted: these facts are partial" in stdout
    assert "N3: not collected (interrupted" in stdout
    assert (out / "facts.json").exists() and (out / "findings.json").exists()
    assert '"partial": true' in (out / "facts.json").read_text()
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.slow
def test_sigterm_outside_a_scan_is_one_line_and_143(tmp_path) -> None:
    with reaped(_rollready("lab", "serve", "healthy-2012r2")) as proc:  # lab serve has its own clean stop: 0
        assert proc.stderr is not None
        wait_for_line(proc.stderr, "serving")  # its handler is in place from here
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=PATIENCE_S)
    assert proc.returncode == 0 and "Traceback" not in stderr
    code = subprocess.run([sys.executable, "-c", (
        "import os, signal, sys, threading\n"
        "from scanner.cli import main\n"
        "import scanner.cli.evaluate_cmd as ev\n"
        "def hang(args):\n"
        "    os.kill(os.getpid(), signal.SIGTERM)\n"
        "    threading.Event().wait(30)\n"
        "ev.run = hang\n"
        f"sys.exit(main(['evaluate', {str(EXAMPLE)!r}, '--phase', 'pre', '--target-os', '2016']))\n")],
        capture_output=True, text=True, timeout=PATIENCE_S)
    assert code.returncode == exitcodes.TERMINATED, code.stderr
    assert code.stderr.strip() == "rollready: interrupted"


def test_a_file_size_limit_is_exit_73_with_one_line(tmp_path) -> None:
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))

    done = subprocess.run([sys.executable, "-m", "scanner", "evaluate", str(EXAMPLE), "--phase", "pre",
                           "--target-os", "2016", "--html", str(tmp_path / "r.html")],
                          capture_output=True, text=True, timeout=120, preexec_fn=limit)
    assert done.returncode == exitcodes.CANTCREAT, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "File too large" in lines[0]
    assert not (tmp_path / "r.html").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_a_full_disk_is_exit_73_with_one_line(tmp_path, monkeypatch, capsys) -> None:
    import scanner.atomic

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(scanner.atomic.os, "fsync", full)
    code = main(["evaluate", str(EXAMPLE), "--phase", "pre", "--target-os", "2016", "--html", str(tmp_path / "r.html")])
    assert code == exitcodes.CANTCREAT
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "No space left on device" in err[0]
    assert not list(tmp_path.iterdir())  # neither the report nor its temp file


def test_ctrl_d_at_the_password_prompt_is_one_line() -> None:
    from scanner.credentials import CredentialResolver
    from scanner.errors import InputError
    from scanner.inventory import CredentialRef

    def eof(prompt: str = "") -> str:
        raise EOFError

    resolver = CredentialResolver(prompt=eof)
    with pytest.raises(InputError) as err:
        resolver.resolve(CredentialRef(username="u", password_prompt=True), auth="ntlm", where="--node")
    assert [p.render() for p in err.value.problems] == ["--node: credentials: no password given (end of input at the prompt)"]


@pytest.mark.parametrize("option", ["--out", "--html"])
def test_an_output_path_that_is_a_folder_is_one_line_and_nothing_is_written_beside_it(option, tmp_path, capsys) -> None:
    """The temp file was made in the folder's parent, the rename refused, and the message named the temp file."""
    folder = tmp_path / "reports"
    folder.mkdir()
    assert main(["evaluate", str(EXAMPLE), "--format", "json", option, str(folder)]) == exitcodes.CANTCREAT
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"{folder}: " in err[0] and "is a folder; give a file name" in err[0]
    assert [p.name for p in tmp_path.iterdir()] == ["reports"] and not list(folder.iterdir())


def test_an_output_path_through_a_file_names_that_file(tmp_path, capsys) -> None:
    (tmp_path / "notes").write_text("a file")
    target = tmp_path / "notes" / "findings.json"
    assert main(["evaluate", str(EXAMPLE), "--format", "json", "--out", str(target)]) == exitcodes.CANTCREAT
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"rollready: error: {tmp_path / 'notes'} is a file, not a folder"]
