"""For tests that drive another process, thread or server: ports named before a server binds them,
and waiting for a real condition (a line, a file, a server's state) instead of sleeping a guessed
time. Under load a guessed time is too short; a condition is met when it is met, and the bound
(PATIENCE_S) only matters when something is really broken (docs/reliability.md, "Tests under load")."""
from __future__ import annotations

import queue
import random
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

PATIENCE_S = 120.0  # each condition is met in about a second on a quiet machine
_POLL_S = 0.05
_LOW_PORT = 10000  # below: ports of well-known services
_CHOOSE = random.SystemRandom()  # not the `random` a test (or pytest-randomly) seeds


def free_ports(count: int = 1, host: str = "127.0.0.1") -> int:
    """The first of `count` consecutive ports that are free on host now, for a server the test names
    the port of (a lab's base_port, PostgreSQL, an SMTP relay).

    Chosen below the kernel's ephemeral range, never by bind(("", 0)): every process on the machine
    takes the local port of each outgoing connection (even numbers, Linux >= 4.6) and of each bind to
    port 0 (odd numbers) from net.ipv4.ip_local_port_range. A port found there and released can be
    taken before the server binds it, and for a run, base + 1 of an odd base is even: any client
    connection on the machine may hold it, or hold it in TIME_WAIT for a minute after closing (a
    client socket without SO_REUSEADDR, which blocks even a bind with SO_REUSEADDR). Below that
    range, only an explicit bind takes a port."""
    low, high = _ephemeral_range()
    first, last = (_LOW_PORT, low - count) if low - count > _LOW_PORT else (high + 1, 65536 - count)
    for _ in range(1000):
        base = _CHOOSE.randrange(first, last)
        held: list[socket.socket] = []
        try:
            for port in range(base, base + count):
                sock = socket.socket()
                held.append(sock)
                sock.bind((host, port))  # without SO_REUSEADDR: stricter than the servers' own bind
            return base
        except OSError:
            continue
        finally:
            for sock in held:
                sock.close()
    raise RuntimeError(f"no {count} consecutive free ports on {host} between {first} and {last}")


def _ephemeral_range() -> tuple[int, int]:
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999  # Linux's default


def wait_until(condition: Callable[[], bool], what: str, *, process: subprocess.Popen | None = None,
               timeout: float = PATIENCE_S) -> None:
    """Return once condition() is true; fail naming `what` if `process` ends first (with its stderr)
    or `timeout` seconds pass."""
    ends = time.monotonic() + timeout
    while not condition():
        if process is not None and process.poll() is not None:
            _, stderr = process.communicate()
            raise AssertionError(f"the process ended (exit {process.returncode}) before {what}: {stderr or ''}")
        if time.monotonic() > ends:
            raise AssertionError(f"not {what} within {timeout:g} s")
        time.sleep(_POLL_S)


def wait_for_line(stream: IO[str], text: str, timeout: float = PATIENCE_S) -> list[str]:
    """The lines a child wrote to `stream` (a text pipe) up to the first containing `text`; fails if the
    stream ends first or `timeout` seconds pass (a bare readline() would wait for ever). Read in a
    thread that stops at that line, so the caller may go on reading the stream (communicate())."""
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        for line in stream:
            lines.put(line)
            if text in line:
                return
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    seen: list[str] = []
    ends = time.monotonic() + timeout
    while True:
        try:
            line = lines.get(timeout=max(0.0, ends - time.monotonic()))
        except queue.Empty:
            raise AssertionError(f"no line with {text!r} within {timeout:g} s; got {seen}") from None
        if line is None:
            raise AssertionError(f"the stream ended before a line with {text!r}; got {seen}")
        seen.append(line)
        if text in line:
            return seen


@contextmanager
def reaped(process: subprocess.Popen) -> Iterator[subprocess.Popen]:
    """The process, killed and waited for at the end if still running: a failed wait or assertion
    leaves no child behind."""
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
