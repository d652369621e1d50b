"""Unattended (scheduled) runs: one at a time, logged, each in its own folder, recorded, announced.

`rollready scan --unattended --out DIR` wraps its scan in run_unattended() (options: scanner/cli/unattended_args.py). Layout of DIR:

    DIR/.rollready.lock          held (OS lock) while a run is going; says who holds it
    DIR/logs/rollready.log       rotating log (1 MB x 5)
    DIR/20261125T020000Z/        one folder per run: whatever the scan writes
    DIR/latest -> 20261125T020000Z   symlink where the OS allows one
    DIR/latest.txt               the newest run folder's name, always written

Credentials never pass through here: the scan reads them from env or keyring as the inventory says.
"""
from __future__ import annotations

import hashlib
import logging
import logging.handlers
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

from scanner import exitcodes, notices
from scanner.atomic import write_atomic
from scanner.errors import RollreadyError
from scanner.facts.model import FactsDoc
from scanner.history import HistoryStore
from scanner.history.store import RECOVERY_HINT, StorageError
from scanner.inert import inert
from scanner.schedule import eventlog
from scanner.schedule.notify import Notification, Notifier
from scanner.times import format_utc, utc_now

log = logging.getLogger(__name__)

LOCK_NAME = ".rollready.lock"
LATEST_LINK = "latest"
LATEST_FILE = "latest.txt"
LOG_MAX_BYTES = 1_000_000
LOG_BACKUPS = 5
REPORT_NAMES = ("report.html", "report.pdf", "findings.json")


class LockedError(RollreadyError):
    """Another run holds the lock of this output folder (exit 75, EX_TEMPFAIL)."""

    exit_code = exitcodes.LOCKED


class RunOutcome(NamedTuple):
    """What a scan hands back: result document, facts document, the exact facts bytes written."""

    result: dict[str, Any]
    facts: FactsDoc
    facts_bytes: bytes
    report: Path | None = None  # the main report; default: the first of REPORT_NAMES in the run folder


DoScan = Callable[[Path, "HistoryStore | None"], "RunOutcome | tuple[dict[str, Any], FactsDoc, bytes]"]


# -- lock --------------------------------------------------------------------------------------

@contextmanager
def run_lock(path: Path) -> Iterator[None]:
    """Hold an OS lock on path for the duration; the OS drops it if the process dies (no stale locks)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        if not _try_lock(fd):
            raise LockedError(
                f"another rollready run is still going in {path.parent} ({_holder(fd)}); "
                f"this run is skipped. Lock file: {path}")
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, f"pid {os.getpid()}, started {format_utc(utc_now())}\n".encode())
        try:
            yield
        finally:
            _unlock(fd)
    finally:
        os.close(fd)


def _holder(fd: int) -> str:
    """Who holds the lock, as the holder wrote it (unreadable under Windows' mandatory lock)."""
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        return os.read(fd, 200).decode("utf-8", "replace").strip() or "holder unknown"
    except OSError:
        return "holder unknown"


def _try_lock(fd: int) -> bool:
    """Take the lock without waiting: msvcrt's byte-range lock on Windows, flock elsewhere."""
    if sys.platform == "win32":
        import msvcrt

        os.lseek(fd, 0, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    else:
        import fcntl

        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True


def _unlock(fd: int) -> None:
    if sys.platform == "win32":
        import msvcrt

        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
    else:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_UN)


# -- log ---------------------------------------------------------------------------------------

class OneLineFormatter(logging.Formatter):
    """One record, one line, whatever it carries: a cluster name holding CR/LF or NUL cannot forge
    records, and a traceback stays inside its own record."""

    def format(self, record: logging.LogRecord) -> str:
        return inert(super().format(record))


@contextmanager
def rotating_log(path: Path, max_bytes: int = LOG_MAX_BYTES, backups: int = LOG_BACKUPS) -> Iterator[Path]:
    """Send the `scanner` loggers (INFO and up, UTC times) to a rotating file for the duration."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(path, maxBytes=max_bytes, backupCount=backups,
                                                   encoding="utf-8")
    formatter = OneLineFormatter("%(asctime)sZ %(levelname)s %(name)s: %(message)s", "%Y-%m-%dT%H:%M:%S")
    formatter.converter = time.gmtime
    handler.setFormatter(formatter)
    handler.setLevel(logging.INFO)
    root = logging.getLogger("scanner")
    old_level = root.level
    if root.getEffectiveLevel() > logging.INFO:
        root.setLevel(logging.INFO)
    root.addHandler(handler)
    try:
        yield path
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
        handler.close()


# -- run folders -------------------------------------------------------------------------------

def new_run_dir(out_dir: Path, now: datetime) -> Path:
    """A fresh folder named for the UTC start time (no colons: valid on Windows too)."""
    stem = format_utc(now).replace("-", "").replace(":", "")
    for n in range(1, 1000):
        candidate = out_dir / (stem if n == 1 else f"{stem}-{n}")
        try:
            candidate.mkdir(parents=True)
        except FileExistsError:
            continue
        return candidate
    raise RollreadyError(f"cannot create a run folder under {out_dir}: 999 folders named {stem}")


def refresh_latest(out_dir: Path, run_dir: Path) -> None:
    """Point `latest` at run_dir: latest.txt always, plus a relative symlink where allowed."""
    write_atomic(out_dir / LATEST_FILE, run_dir.name + "\n")
    tmp = out_dir / f".{LATEST_LINK}.{os.getpid()}.tmp"
    try:
        os.symlink(run_dir.name, tmp, target_is_directory=True)
        os.replace(tmp, out_dir / LATEST_LINK)
    except OSError as exc:  # Windows without the symlink privilege, or `latest` is a real folder
        log.info("no %s symlink (%s); %s points at %s", LATEST_LINK, exc, LATEST_FILE, run_dir.name)
        try:
            tmp.unlink()
        except FileNotFoundError:
            pass


def read_latest(out_dir: Path) -> Path | None:
    """The newest complete run folder, from latest.txt."""
    try:
        name = (out_dir / LATEST_FILE).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return out_dir / name if name else None


# -- the run -----------------------------------------------------------------------------------

def run_unattended(out_dir: str | os.PathLike[str], do_scan: DoScan, *,
                   history: HistoryStore | str | os.PathLike[str] | None = None,
                   notifier: Notifier | None = None, log_file: Path | None = None,
                   now: Callable[[], datetime] = utc_now) -> int:
    """Run do_scan(run_dir, store) under the lock and the log; record, point latest, notify.

    Returns the verdict's exit code. Raises LockedError (exit 75) when another run holds the
    lock, and re-raises whatever do_scan raises after logging it (and notifying ERROR).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    log_path = log_file or out / "logs" / "rollready.log"
    with run_lock(out / LOCK_NAME), rotating_log(log_path):
        store, unavailable = (history, None) if isinstance(history, HistoryStore) else HistoryStore.open_for_scan(history)
        try:
            return _run(out, do_scan, store, notifier, now, log_path, unavailable)
        finally:
            if store is not None and store is not history:
                store.close()


def _run(out: Path, do_scan: DoScan, store: HistoryStore | None, notifier: Notifier | None,
         now: Callable[[], datetime], log_path: Path, unavailable: str | None = None) -> int:
    """The run itself. A history that cannot be opened (unavailable) or written never blocks it:
    the scan still writes its facts and reports, exits with its verdict code, and the log, stderr
    and the notification say why it was not recorded."""
    run_dir = new_run_dir(out, now())
    if store is None:
        unavailable = f"{unavailable}; {RECOVERY_HINT}"
        _history_problem(f"history not available, this run will not be recorded: {unavailable}")
    log.info("run started in %s (history %s)", run_dir, store.location if store else "unavailable")
    try:
        outcome = RunOutcome(*do_scan(run_dir, store))
    except RollreadyError as exc:
        log.error("run failed: %s", exc)
        eventlog.report(f"rollready scheduled run in {out} failed: {exc} Run log: {log_path}")
        _notify_failure(notifier, store, exc, run_dir)
        _remove_if_empty(run_dir)
        raise
    except Exception as exc:
        log.exception("run aborted")
        eventlog.report(f"rollready scheduled run in {out} aborted: {type(exc).__name__}: {exc} Run log: {log_path}")
        _remove_if_empty(run_dir)
        raise
    except BaseException:
        log.exception("run aborted")
        _remove_if_empty(run_dir)
        raise
    digest = hashlib.sha256(outcome.facts_bytes).hexdigest()
    if (outcome.facts.get("scan") or {}).get("partial"):
        # Stopped (SIGTERM from the scheduler, Ctrl-C): its partial facts and reports are kept in
        # the run folder, but a partial scan is never history (as for an interactive scan).
        unavailable = "the run was interrupted; its partial facts and reports are in the run folder"
        log.warning("%s", unavailable)
        store = None
    elif store is not None:
        try:
            run_id = store.record(outcome.result, outcome.facts, digest, str(run_dir))
            run = store.get(run_id)
            previous = store.previous(run)
        except StorageError as exc:
            unavailable = f"{' '.join(str(exc).split())}; {RECOVERY_HINT}"
            _history_problem(f"history not written, this run is not recorded: {unavailable}")
            store = None
    refresh_latest(out, run_dir)
    if store is None:
        return _unrecorded(outcome, run_dir, notifier, unavailable or "")
    log.info("run %s recorded: %s %s (was %s), exit %s", run_id, run.cluster, run.verdict,
             previous.verdict if previous else "-", run.exit_code)
    if notifier is not None:
        note = Notification(
            cluster=run.cluster, verdict=run.verdict, previous_verdict=previous.verdict if previous else None,
            exit_code=run.exit_code if run.exit_code is not None else exitcodes.INTERNAL,
            report_path=str(outcome.report or _main_report(run_dir)), reason=run.verdict_reason or "",
            run_id=run_id, scanned_at=format_utc(run.scanned_at), pdf_path=_pdf(run_dir))
        _deliver(notifier, note)
    return run.exit_code if run.exit_code is not None else exitcodes.INTERNAL


def _unrecorded(outcome: RunOutcome, run_dir: Path, notifier: Notifier | None, why: str) -> int:
    """Finish a run the history could not take: its verdict from the result document itself."""
    verdict = outcome.result["verdict"]
    code = int(verdict.get("exit_code", exitcodes.INTERNAL))
    cluster = str((outcome.result.get("cluster") or {}).get("name") or "?")
    log.info("run not recorded: %s %s, exit %s", cluster, verdict["status"], code)
    if notifier is not None:
        note = Notification(
            cluster=cluster, verdict=verdict["status"], previous_verdict=None, exit_code=code,
            report_path=str(outcome.report or _main_report(run_dir)),
            reason=f"{verdict.get('reason') or ''} (not recorded in the history: {why})",
            scanned_at=(outcome.facts.get("scan") or {}).get("collected_at"), pdf_path=_pdf(run_dir))
        _deliver(notifier, note)
    return code


def _history_problem(message: str) -> None:
    notices.warn(log, message, level=logging.ERROR)


def _notify_failure(notifier: Notifier | None, store: HistoryStore | None, exc: RollreadyError,
                    run_dir: Path) -> None:
    """A scheduled run that cannot scan must not fail silently: announce it as verdict ERROR."""
    if notifier is None:
        return
    out = run_dir.parent
    try:
        runs = store.runs(limit=200) if store is not None else []
    except StorageError:
        runs = []
    last = [r for r in runs if r.report_dir and Path(r.report_dir).parent == out][:1]
    note = Notification(cluster=last[0].cluster if last else "?", verdict="ERROR",
                        previous_verdict=last[0].verdict if last else None, exit_code=exc.exit_code,
                        report_path=str(run_dir.parent / "logs" / "rollready.log"), reason=str(exc))
    _deliver(notifier, note)


def _deliver(notifier: Notifier, note: Notification) -> None:
    for failure in notifier.send(note):
        notices.warn(log, f"notification failed: {failure}", level=logging.ERROR)
        eventlog.report(f"rollready could not deliver a notification: {failure}", eventlog.NOTIFY_FAILED)


def _pdf(run_dir: Path) -> str | None:
    """The run's PDF report, when it wrote one (the mail attaches it)."""
    pdf = run_dir / "report.pdf"
    return str(pdf) if pdf.exists() else None


def _main_report(run_dir: Path) -> Path:
    return next((run_dir / n for n in REPORT_NAMES if (run_dir / n).exists()), run_dir)


def _remove_if_empty(run_dir: Path) -> None:
    try:
        run_dir.rmdir()
    except OSError:
        pass  # not empty: keep what the scan managed to write
