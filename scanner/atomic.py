"""Atomic file writes: a report is either whole or absent."""
from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO


def write_atomic(path: str | Path, data: bytes | str, *, mode: int = 0o644) -> Path:
    """Write data to path through a temp file in the same folder and a rename."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    return write_atomic_with(path, lambda fh: fh.write(payload), mode=mode)


def write_atomic_with(path: str | Path, writer: Callable[[BinaryIO], object], *, mode: int = 0o644) -> Path:
    """Let writer fill a binary temp file; rename it into place only if writer succeeds."""
    target = Path(path)
    if target.is_dir():  # else the temp file would be made beside the folder, and the rename refused
        raise IsADirectoryError(errno.EISDIR, "is a folder; give a file name", str(target))
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except FileExistsError as exc:  # a file where a folder of the path should be
        raise NotADirectoryError(errno.ENOTDIR, f"{exc.filename} is a file, not a folder") from None
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            writer(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return target
