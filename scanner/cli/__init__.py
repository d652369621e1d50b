"""The command line: parses, dispatches, and renders every error once, as one line."""
from __future__ import annotations

import argparse
import importlib
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from types import FrameType
from typing import Any, NoReturn

from scanner import __version__, exitcodes, paths
from scanner.cli.commands import COMMANDS, module_of
from scanner.cli.notices import shown
from scanner.errors import RollreadyError, UsageError
from scanner.inert import inert

log = logging.getLogger(__name__)


class Parser(argparse.ArgumentParser):
    """argparse exits 2 on usage errors, which is our NO-GO code; raise 64 instead."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}")


def build_parser(argv: Sequence[str] | None = None) -> Parser:
    """The command line's parser. With argv, only the command it names is loaded (its module and
    what that imports); the others are listed from scanner/cli/commands.py, so `rollready --help`
    imports no collection, engine or report library. Without argv, every command is loaded."""
    parser = Parser(
        prog="rollready",
        description="Readiness scanner for Windows Server failover cluster rolling upgrades.",
    )
    parser.add_argument("--version", action="version", version=f"rollready {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks for internal errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    wanted = None if argv is None else next((a for a in argv if not a.startswith("-")), "")
    for name, text in COMMANDS.items():
        if wanted is None or name == wanted:
            module = importlib.import_module(module_of(name))  # DESCRIPTION and register(parser): its options
            module.register(sub.add_parser(name, help=text, description=module.DESCRIPTION))
        else:
            sub.add_parser(name, help=text, add_help=False)  # listed only: argv runs another command
    return parser


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the main thread is: every path that keeps partial work on Ctrl-C
    (the scan's facts and reports, atomic writes removing their temp files) keeps it here too."""


# The SIGTERMs received during main(). Not a threading.Event: a handler runs in the main thread between
# two bytecodes, and Event.set() takes a lock; a second SIGTERM landing while the first handler is inside
# set() would wait on that lock for ever. list.append takes no lock.
_TERMINATED: list[int] = []


def _terminate(signum: int, frame: FrameType | None) -> None:
    _TERMINATED.append(signum)
    raise Terminated()


@contextmanager
def _signals() -> Iterator[None]:
    """SIGTERM behaves like SIGINT; SIGXFSZ (a file-size limit) becomes an EFBIG write error, so exit
    73 with one line instead of the process being killed. Restored afterwards (main is also a library
    call in the tests). Only the main thread may set handlers."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    wanted: dict[signal.Signals, Any] = {signal.SIGTERM: _terminate}
    if hasattr(signal, "SIGXFSZ"):
        wanted[signal.SIGXFSZ] = signal.SIG_IGN
    previous = {sig: signal.signal(sig, handler) for sig, handler in wanted.items()}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; every failure becomes one line and an exit code (never a traceback)."""
    _TERMINATED.clear()
    try:
        with _signals(), shown():
            code = _main(argv)
    except KeyboardInterrupt:  # a second one, while the first was being handled
        print("rollready: interrupted", file=sys.stderr)
        code = exitcodes.INTERRUPTED
    # Whatever was kept after a SIGTERM (an interrupted scan's partial facts and reports, an unattended
    # run's folder), the exit says the process was stopped: 143.
    return exitcodes.TERMINATED if _TERMINATED else code


def _main(argv: Sequence[str] | None) -> int:
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        parser = build_parser(sys.argv[1:] if argv is None else argv)
        args = parser.parse_args(argv)
        # Recorded (secrets redacted) in the reports' provenance: scanner/provenance.py.
        args.command_line = ("rollready", *(argv if argv is not None else sys.argv[1:]))
        func: Callable[[argparse.Namespace], int] | None = getattr(args, "func", None)
        if func is None:
            parser.print_help(sys.stderr)
            return exitcodes.USAGE
        if unusable := paths.home_problem():
            raise UsageError(unusable)
        return func(args)
    except RollreadyError as exc:
        for problem in exc.problems:
            print(f"rollready: error: {inert(problem.render())}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("rollready: interrupted", file=sys.stderr)
        return exitcodes.INTERRUPTED
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return exitcodes.INTERNAL
    except OSError as exc:  # a file we were asked to write (or read past validation) is out of reach
        where = f"{exc.filename}: " if exc.filename else ""
        print(inert(f"rollready: error: {where}{exc.strerror or exc}"), file=sys.stderr)
        return exitcodes.CANTCREAT
    except Exception as exc:  # the one catch-all: the CLI edge
        if debug:
            raise
        msg = inert(f"{type(exc).__name__}: {exc}")
        print(f"rollready: internal error: {msg} (run with --debug for a traceback)", file=sys.stderr)
        return exitcodes.INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
