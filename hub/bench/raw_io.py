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
