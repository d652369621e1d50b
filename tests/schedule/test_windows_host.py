"""The Windows branches, run here: msvcrt simulated, the platform monkeypatched, paths as PureWindowsPath.

What only a real Windows host can confirm is listed in docs/scheduling.md ("Verified on Windows?").
"""
from __future__ import annotations

import ast
import sys
import types
from pathlib import Path, PureWindowsPath

import pytest

import scanner
from scanner import hostpaths
from scanner.schedule import unattended
from scanner.schedule.target import target_path

PACKAGE = Path(scanner.__file__).parent


class FakeMsvcrt(types.ModuleType):
    """msvcrt.locking as Windows behaves: a byte range locked through one handle refuses every other one."""

    LK_NBLCK, LK_UNLCK = 2, 0

    def __init__(self) -> None:
        super().__init__("msvcrt")
        self.holders: dict[tuple[int, int], int] = {}

    def locking(self, fd: int, mode: int, nbytes: int) -> None:
        import os

        key = (os.fstat(fd).st_ino, os.lseek(fd, 0, os.SEEK_CUR))
        if mode == self.LK_NBLCK:
            if key in self.holders and self.holders[key] != fd:
                raise OSError(13, "Permission denied")  # what msvcrt raises for a range locked elsewhere
            self.holders[key] = fd
        elif mode == self.LK_UNLCK:
            self.holders.pop(key, None)


@pytest.fixture
def windows(monkeypatch):
    fake = FakeMsvcrt()
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setitem(sys.modules, "msvcrt", fake)
    monkeypatch.delitem(sys.modules, "fcntl", raising=False)
    monkeypatch.setitem(sys.modules, "fcntl", None)  # an import of fcntl would fail, as on Windows
    return fake


def test_the_run_lock_uses_msvcrt_on_windows(windows, tmp_path):
    lock = tmp_path / ".rollready.lock"
    with unattended.run_lock(lock):
        assert windows.holders, "the lock was not taken through msvcrt"
        with pytest.raises(unattended.LockedError, match="another rollready run is still going"):
            with unattended.run_lock(lock):
                pass
    assert not windows.holders, "the lock was not released"
    with unattended.run_lock(lock):  # free again
        pass


def test_without_the_symlink_privilege_latest_txt_still_points_at_the_run(tmp_path, monkeypatch):
    def no_privilege(*args, **kwargs):
        raise OSError(1314, "A required privilege is not held by the client")  # ERROR_PRIVILEGE_NOT_HELD

    monkeypatch.setattr(unattended.os, "symlink", no_privilege)
    run = tmp_path / "20261201T020000Z"
    run.mkdir()
    unattended.refresh_latest(tmp_path, run)
    assert unattended.read_latest(tmp_path) == run
    assert not (tmp_path / "latest").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


@pytest.mark.parametrize("given, expected", [
    (r"C:\rollready\..\inv.yaml", r"C:\inv.yaml"),
    ("C:/rollready/inv.yaml", r"C:\rollready\inv.yaml"),
    (r"\\fs1.example\share\inv.yaml", r"\\fs1.example\share\inv.yaml"),
])
def test_windows_paths_are_kept_in_windows_form_from_any_host(given, expected):
    for host in ("linux", "windows"):
        got = target_path(given, "windows", what="-i", host=host)
        assert got == expected and PureWindowsPath(got).is_absolute()


def test_a_relative_path_on_a_windows_host_is_made_absolute_there(monkeypatch):
    import ntpath

    monkeypatch.setattr("scanner.schedule.target.ntpath.abspath", lambda p: ntpath.join("D:\\work", p))
    assert target_path("inv.yaml", "windows", what="-i", host="windows") == r"D:\work\inv.yaml"


def test_machine_data_dir(monkeypatch):
    monkeypatch.setenv("ProgramData", r"E:\ProgramData")
    assert hostpaths.machine_data_dir("windows", host="windows") == r"E:\ProgramData\rollready"
    assert hostpaths.machine_data_dir("windows", host="linux") == r"C:\ProgramData\rollready"
    assert hostpaths.machine_data_dir("linux") == "/var/lib/rollready"


def test_the_user_history_follows_platformdirs(monkeypatch, tmp_path):
    from scanner.history.db import default_location

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_location() == tmp_path / "rollready" / "history.db"


# Names that do not exist on Windows. Each use must sit under a platform guard
# (if sys.platform / os.name / hasattr(...)) or a try that catches the ImportError/AttributeError.
POSIX_ONLY_MODULES = {"fcntl", "pwd", "grp", "termios", "tty", "resource", "pty"}
POSIX_ONLY_ATTRS = {("os", n) for n in ("getuid", "geteuid", "getgid", "getegid", "fork", "setsid", "killpg",
                                        "getpgid", "setpgrp", "chown", "lchown", "getpwnam", "sync")} | {
    ("signal", n) for n in ("SIGHUP", "SIGKILL", "SIGALRM", "SIGUSR1", "SIGUSR2", "SIGQUIT", "SIGPIPE",
                            "SIGCHLD", "alarm", "setitimer", "pause", "siginterrupt")}


def _guards(node: ast.AST) -> bool:
    text = ast.unparse(node)
    return any(word in text for word in ("sys.platform", "os.name", "hasattr(", "platform.system"))


def _unguarded_uses(tree: ast.AST) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []

    def visit(node: ast.AST, guarded: bool) -> None:
        here = guarded
        if isinstance(node, ast.If) and _guards(node.test):
            here = True
        if isinstance(node, ast.Try) and any(
                h.type is not None and any(n in ast.unparse(h.type) for n in ("ImportError", "AttributeError"))
                for h in node.handlers):
            here = True
        if not here:
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                found.extend((node.lineno, n) for n in names if n.split(".")[0] in POSIX_ONLY_MODULES)
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and (
                    node.value.id, node.attr) in POSIX_ONLY_ATTRS:
                found.append((node.lineno, f"{node.value.id}.{node.attr}"))
        for child in ast.iter_child_nodes(node):
            visit(child, here)

    visit(tree, False)
    return found


def test_no_posix_only_call_is_left_unguarded():
    problems = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for line, name in _unguarded_uses(ast.parse(path.read_text(encoding="utf-8"))):
            problems.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {name}")
    assert problems == []


def test_the_guard_check_is_not_a_rubber_stamp():
    bad = ast.parse("import fcntl\nimport os, signal\nos.getuid()\nsignal.signal(signal.SIGHUP, None)\n")
    assert [n for _, n in _unguarded_uses(bad)] == ["fcntl", "os.getuid", "signal.SIGHUP"]
    good = ast.parse("import sys\nif sys.platform != 'win32':\n    import fcntl\nif hasattr(signal, 'SIGHUP'):\n"
                     "    signal.signal(signal.SIGHUP, None)\n")
    assert _unguarded_uses(good) == []


class Recorder:
    def __init__(self, returncode: int = 0) -> None:
        self.calls: list[list[str]] = []
        self.returncode = returncode

    def __call__(self, argv, **kwargs):
        import subprocess

        assert kwargs.get("timeout") and kwargs.get("check") is False
        self.calls.append(list(argv))
        return subprocess.CompletedProcess(argv, self.returncode, b"", b"")


def test_event_log_entry_on_windows_only(monkeypatch):
    from scanner.schedule import eventlog

    rec = Recorder()
    assert eventlog.report("failed", run=rec) is False and rec.calls == []  # not Windows: the run log only
    monkeypatch.setattr(sys, "platform", "win32")
    hostile = "cluster FS1\r\nFAKE: GO\x1b[2J \x00" + "x" * 2000
    assert eventlog.report(hostile, run=rec) is True
    argv = rec.calls[0]
    assert argv[:10] == ["eventcreate", "/T", "ERROR", "/ID", "100", "/L", "APPLICATION", "/SO", "rollready", "/D"]
    description = argv[10]
    assert description.startswith("cluster FS1 FAKE: GO [2J ") and len(description) <= eventlog.MAX_DESCRIPTION
    assert all(c.isprintable() for c in description)
    assert eventlog.report("x", run=Recorder(returncode=1)) is False  # source not creatable: refused, not raised


def test_a_failed_scheduled_run_reaches_the_event_log_with_the_log_path(monkeypatch, tmp_path):
    from scanner.errors import InputError
    from scanner.schedule import eventlog

    rec = Recorder()
    monkeypatch.setattr(eventlog.subprocess, "run", rec)
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setitem(sys.modules, "msvcrt", FakeMsvcrt())

    def failing_scan(run_dir, store):
        raise InputError("cluster C: credentials: password_prompt needs an interactive terminal")

    with pytest.raises(InputError):
        unattended.run_unattended(tmp_path / "runs", failing_scan, history=tmp_path / "h.db")
    (description,) = [c[10] for c in rec.calls]
    assert "password_prompt needs an interactive terminal" in description
    assert str(tmp_path / "runs" / "logs" / "rollready.log") in description
