"""Sparse indexes of one segment, laid out like Kafka's ``.index`` and ``.timeindex`` files.

``OffsetIndex`` maps a batch's offset (relative to the segment's base offset) to
the file position where that batch starts: 8-byte entries, a 4-byte relative
offset then a 4-byte position, big-endian.  ``TimeIndex`` maps the largest
timestamp seen so far to the offset holding it: 12-byte entries, an 8-byte
timestamp then a 4-byte relative offset.  An entry is added at most every
``index.interval.bytes`` of log, so both stay small enough to keep in memory
(two ``array`` columns searched with ``bisect``).

The files are written lazily (on flush, roll and close) and are never trusted
blindly: :meth:`load` rejects a file whose entries are not ordered or point
past the log, and the segment rebuilds it by scanning the log.
"""

from __future__ import annotations

import bisect
import os
import struct
from array import array
from pathlib import Path

OFFSET_ENTRY = struct.Struct(">iI")  # relative offset, position
TIME_ENTRY = struct.Struct(">qi")  # timestamp ms, relative offset


class IndexCorruptError(Exception):
    """An index file is inconsistent with its log; the caller rebuilds it."""


class _SparseIndex:
    """Two sorted columns kept in memory plus the file they are persisted to."""

    entry: struct.Struct

    def __init__(self, path: Path) -> None:
        self.path = path
        self._written = 0  # entries already in the file; -1: the file must be rewritten

    def __len__(self) -> int:
        raise NotImplementedError

    def _pack(self, i: int) -> bytes:
        raise NotImplementedError

    def _clear(self) -> None:
        raise NotImplementedError

    def flush(self, *, sync: bool = False) -> None:
        """Append the entries added since the last flush to the file."""
        if self._written < 0:
            self.rewrite()
        count = len(self)
        if count == self._written and not sync:
            return
        data = b"".join(self._pack(i) for i in range(self._written, count))
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            os.write(fd, data)
            if sync:
                os.fsync(fd)
        finally:
            os.close(fd)
        self._written = count

    def rewrite(self) -> None:
        """Replace the file with the in-memory entries (after a rebuild or truncation)."""
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_bytes(b"".join(self._pack(i) for i in range(len(self))))
        os.replace(tmp, self.path)
        self._written = len(self)

    def reset(self) -> None:
        """Forget every entry (the caller re-adds them while scanning the log)."""
        self._clear()
        self._written = -1

    def _read_entries(self) -> bytes:
        data = self.path.read_bytes()
        if len(data) % self.entry.size:
            msg = f"{self.path}: size {len(data)} is not a multiple of {self.entry.size}"
            raise IndexCorruptError(msg)
        return data


class OffsetIndex(_SparseIndex):
    """Relative offset -> file position of the batch starting there."""

    entry = OFFSET_ENTRY

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.offsets = array("l")
        self.positions = array("l")

    def __len__(self) -> int:
        return len(self.offsets)

    def _pack(self, i: int) -> bytes:
        return OFFSET_ENTRY.pack(self.offsets[i], self.positions[i])

    def _clear(self) -> None:
        del self.offsets[:]
        del self.positions[:]

    def append(self, relative_offset: int, position: int) -> None:
        """Add an entry; both columns must grow strictly."""
        self.offsets.append(relative_offset)
        self.positions.append(position)

    def lookup(self, relative_offset: int) -> int:
        """File position of the last indexed batch starting at or before ``relative_offset``."""
        i = bisect.bisect_right(self.offsets, relative_offset)
        return self.positions[i - 1] if i else 0

    def floor_position(self, position: int) -> int:
        """Largest indexed batch start at or before ``position`` (0 when none)."""
        i = bisect.bisect_right(self.positions, position)
        return self.positions[i - 1] if i else 0

    def truncate_to_position(self, position: int) -> None:
        """Drop the entries pointing at or past ``position`` (the log was truncated there)."""
        i = bisect.bisect_left(self.positions, position)
        if i < len(self.positions):
            del self.offsets[i:]
            del self.positions[i:]
            self._written = -1

    def load(self, log_size: int) -> None:
        """Read the file; raise IndexCorruptError if it cannot describe a log of ``log_size``."""
        self.reset()
        for rel, pos in OFFSET_ENTRY.iter_unpack(self._read_entries()):
            if self.offsets and (rel <= self.offsets[-1] or pos <= self.positions[-1]):
                msg = f"{self.path}: entries out of order at relative offset {rel}"
                raise IndexCorruptError(msg)
            if rel < 0 or pos >= log_size:
                msg = f"{self.path}: entry ({rel}, {pos}) points past the log ({log_size} bytes)"
                raise IndexCorruptError(msg)
            self.append(rel, pos)
        self._written = len(self)


class TimeIndex(_SparseIndex):
    """Largest timestamp so far -> relative offset of the record carrying it."""

    entry = TIME_ENTRY

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.timestamps = array("q")
        self.offsets = array("l")

    def __len__(self) -> int:
        return len(self.timestamps)

    def _pack(self, i: int) -> bytes:
        return TIME_ENTRY.pack(self.timestamps[i], self.offsets[i])

    def _clear(self) -> None:
        del self.timestamps[:]
        del self.offsets[:]

    @property
    def last_timestamp(self) -> int:
        return self.timestamps[-1] if self.timestamps else -1

    def maybe_append(self, timestamp: int, relative_offset: int) -> None:
        """Add an entry only if it raises the largest timestamp seen (keeps both columns sorted)."""
        if timestamp > self.last_timestamp:
            self.timestamps.append(timestamp)
            self.offsets.append(relative_offset)

    def lookup_before(self, timestamp: int) -> int | None:
        """Relative offset of the last entry whose timestamp is < ``timestamp``.

        Every record up to that offset is older than ``timestamp``, so a search for
        the first record at or after ``timestamp`` can start just past it.
        """
        i = bisect.bisect_left(self.timestamps, timestamp)
        return self.offsets[i - 1] if i else None

    def truncate_to_offset(self, relative_offset: int) -> None:
        """Drop entries at or past ``relative_offset``."""
        i = bisect.bisect_left(self.offsets, relative_offset)
        if i < len(self.offsets):
            del self.timestamps[i:]
            del self.offsets[i:]
            self._written = -1

    def load(self, max_relative_offset: int) -> None:
        """Read the file; raise IndexCorruptError if unordered or past the log's last offset."""
        self.reset()
        for ts, rel in TIME_ENTRY.iter_unpack(self._read_entries()):
            if self.timestamps and (ts <= self.timestamps[-1] or rel < self.offsets[-1]):
                msg = f"{self.path}: entries out of order at timestamp {ts}"
                raise IndexCorruptError(msg)
            if rel < 0 or rel > max_relative_offset:
                msg = f"{self.path}: relative offset {rel} is past the log"
                raise IndexCorruptError(msg)
            self.timestamps.append(ts)
            self.offsets.append(rel)
        self._written = len(self)
