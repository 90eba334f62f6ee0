"""The hardware limit: sequential write and read of the same number of bytes to one plain file.

No log can write faster than ``write(2)`` in large chunks plus one ``fsync``,
so this is the ceiling the log's produce path is compared with.
"""

from __future__ import annotations

import os
import random
import time
from pathlib import Path

CHUNK = 1 << 20


def prepare_write(directory: Path, nbytes: int) -> None:
    """Put every timed write phase in the same state (untimed): recycled pages, nothing dirty.

    On a VM whose memory the host backs lazily (this benchmark's machine is
    one), the first write into never-touched page-cache pages runs at the
    host's page-fault speed (about 200-500 MB/s) and the next write into
    recycled pages at memory speed (over 2 GB/s): whichever phase ran second
    looked 3-5x faster.  Writing and deleting ``nbytes`` first leaves that
    many recycled pages for the phase that follows, and ``sync()`` makes sure
    it does not pay for an earlier phase's write-back.
    """
    scratch = directory / "page-cache-warmup.bin"
    chunk = bytes(CHUNK)
    fd = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        written = 0
        while written < nbytes:
            written += os.write(fd, chunk)
        os.fsync(fd)
    finally:
        os.close(fd)
        scratch.unlink()
    os.sync()


def raw_write(path: Path, total_bytes: int) -> float:
    """Write ``total_bytes`` in 1 MiB chunks, fsync once, close; return the elapsed seconds."""
    chunk = random.Random(total_bytes).randbytes(CHUNK)
    view = memoryview(chunk)
    start = time.perf_counter()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        remaining = total_bytes
        while remaining > 0:
            remaining -= os.write(fd, view[: min(CHUNK, remaining)])
        os.fsync(fd)
    finally:
        os.close(fd)
    return time.perf_counter() - start


def raw_read(path: Path) -> tuple[float, int]:
    """Read the file back in 1 MiB chunks; return (elapsed seconds, bytes read).

    The file is normally still in the page cache, exactly like the log's
    segments when the consume phase reads them, so both are memory-bound.
    """
    start = time.perf_counter()
    total = 0
    with path.open("rb", buffering=0) as f:
        buf = bytearray(CHUNK)
        while n := f.readinto(buf):
            total += n
    return time.perf_counter() - start, total
