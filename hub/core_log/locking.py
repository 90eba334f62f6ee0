"""The data-directory lock: one process owns a log directory at a time.

Two processes appending to the same segment files would interleave batches and
corrupt each other's offsets, so :class:`~hub.core_log.log.Log` takes an
exclusive ``fcntl.flock`` on ``<data>/.lock`` and writes its pid there, which
lets the refusal name the process holding the directory.  The kernel releases
the lock when the process dies, so a crash never leaves a stale lock behind.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path

from hub.core_log.errors import LogDirLockedError

LOCK_FILE_NAME = ".lock"


class DirLock:
    """An exclusive, process-wide lock on a data directory."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / LOCK_FILE_NAME
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock or raise LogDirLockedError naming the holder."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
            os.close(fd)
            who = f"process {holder}" if holder.isdigit() else "another process"
            msg = (
                f"The data directory {self.path.parent} is in use by {who}. "
                "Stop that hub first, or start this one with a different --data-dir."
            )
            raise LogDirLockedError(msg) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        """Drop the lock (idempotent)."""
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
        os.close(fd)
