"""One log segment: ``<base>.log`` plus its ``.index`` and ``.timeindex``, as Kafka lays them out.

A segment holds back-to-back record batches (v2) exactly as they were appended:
the log never re-encodes a batch, it only stamps the base offset.  ``size`` is
the number of bytes that were written *and acknowledged*; readers never look
past it, and a failed write is cut back to it, so a half-written batch is never
served.  Reads are ``os.pread`` of whole batches, each CRC-checked so a damaged
batch is reported (file and position) instead of being handed to a consumer.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import mmap
import os
import struct
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeAlias

import crc32c

from hub.core_log.errors import CorruptRecordError, KafkaStorageError
from hub.core_log.index import IndexCorruptError, OffsetIndex, TimeIndex
from hub.core_log.records import RecordBatch, iter_batches

# The v2 batch header fields the storage layer needs (Kafka's DefaultRecordBatch layout):
# base offset, batch length, leader epoch, magic, crc, attributes, last offset delta,
# base timestamp, max timestamp.  The CRC covers everything from the attributes on.
HEADER = struct.Struct(">qiibIhiqq")
LOG_OVERHEAD = 12  # base offset + batch length precede the counted bytes
MIN_BATCH_SIZE = 61
CRC_START = 21
BASE_OFFSET = struct.Struct(">q")
SCAN_CHUNK = 1 << 16
IOV_MAX = os.sysconf("SC_IOV_MAX") if "SC_IOV_MAX" in os.sysconf_names else 1024
Buffer: TypeAlias = bytes | bytearray | memoryview

log = logging.getLogger(__name__)


def segment_name(base_offset: int) -> str:
    """Kafka's file stem: the base offset, zero-padded to 20 digits."""
    return f"{base_offset:020d}"


@dataclass(slots=True, frozen=True)
class BatchInfo:
    """What the storage layer knows about one stored batch, from its header alone."""

    position: int
    base_offset: int
    size: int
    last_offset: int
    max_timestamp: int
    magic: int
    crc: int


def parse_header(buf: bytes | memoryview | mmap.mmap, pos: int, where: str) -> BatchInfo:
    """Decode the header at ``buf[pos:]``; raise CorruptRecordError if impossible."""
    base, length, _epoch, magic, crc, _attrs, delta, _ts, max_ts = HEADER.unpack_from(buf, pos)
    if magic != 2 or length < MIN_BATCH_SIZE - LOG_OVERHEAD or delta < 0:
        msg = (
            f"Corrupt record batch in {where} at position {pos} (magic {magic}, length {length}); "
            "the data from this point on cannot be read."
        )
        raise CorruptRecordError(msg)
    size = length + LOG_OVERHEAD
    return BatchInfo(pos, base, size, base + delta, max_ts, magic, crc)


def crc_ok(buf: bytes | memoryview | mmap.mmap, info: BatchInfo, start: int = 0) -> bool:
    """True if the batch's CRC-32C matches its bytes (``start`` = where ``buf`` begins in file)."""
    begin = info.position - start
    view = memoryview(buf)[begin + CRC_START : begin + info.size]
    try:
        return bool(crc32c.crc32c(view, 0, 0) == info.crc)  # keep the GIL: see records._KEEP_GIL
    finally:
        view.release()


class LogSegment:
    """An append-only file of batches with sparse offset and time indexes."""

    def __init__(self, directory: Path, base_offset: int, index_interval: int) -> None:
        self.index_max_bytes = 10485760  # segment.index.bytes; the partition keeps it current
        stem = directory / segment_name(base_offset)
        self.base_offset = base_offset
        self.path = stem.with_suffix(".log")
        self.index = OffsetIndex(stem.with_suffix(".index"))
        self.time_index = TimeIndex(stem.with_suffix(".timeindex"))
        self.index_interval = index_interval
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        self.size = 0
        self.next_offset = base_offset
        self.max_timestamp = -1
        self.offset_of_max_timestamp = base_offset
        self.created_ms = int(time.time() * 1000)
        self.bytes_since_index = 0
        self.flushed_size = 0

    # -- opening -------------------------------------------------------------------------

    @classmethod
    def create(cls, directory: Path, base_offset: int, index_interval: int) -> LogSegment:
        """A new, empty segment (its log file is truncated if a stale one exists)."""
        segment = cls(directory, base_offset, index_interval)
        os.ftruncate(segment.fd, 0)
        for index in (segment.index, segment.time_index):
            index.reset()
            index.rewrite()
        return segment

    @classmethod
    def open(
        cls, directory: Path, base_offset: int, index_interval: int, *, recover: bool
    ) -> LogSegment:
        """Open an existing segment.

        With ``recover`` (the last segment, which may have been cut mid-write) every
        batch is CRC-checked and the file is truncated after the last good batch;
        the indexes are rebuilt from that scan.  Otherwise the indexes are loaded and
        checked, and rebuilt only if missing or inconsistent.
        """
        segment = cls(directory, base_offset, index_interval)
        file_size = os.fstat(segment.fd).st_size
        if recover:
            segment._recover(file_size)
        else:
            segment._load(file_size)
        segment.flushed_size = segment.size
        return segment

    def _load(self, file_size: int) -> None:
        try:
            self.index.load(file_size)
            start = self.index.positions[-1] if len(self.index) else 0
            tail = list(self._scan(start, file_size, check_crc=False))
            if len(self.index) and (not tail or tail[0].base_offset != self._last_indexed()):
                msg = f"{self.index.path}: last entry does not point at a batch start"
                raise IndexCorruptError(msg)
            self.time_index.load(tail[-1].last_offset - self.base_offset if tail else 0)
        except (IndexCorruptError, CorruptRecordError, FileNotFoundError):
            self._rebuild(file_size, check_crc=False, sealed=True)
            return
        self.size = file_size
        self._adopt_tail(tail)
        if self.time_index.last_timestamp > self.max_timestamp:
            self.max_timestamp = self.time_index.last_timestamp
            self.offset_of_max_timestamp = self.base_offset + self.time_index.offsets[-1]

    def _last_indexed(self) -> int:
        return self.base_offset + self.index.offsets[-1]

    def _adopt_tail(self, batches: list[BatchInfo]) -> None:
        for info in batches:
            self.next_offset = info.last_offset + 1
            if info.max_timestamp > self.max_timestamp:
                self.max_timestamp = info.max_timestamp
                self.offset_of_max_timestamp = info.last_offset
        if batches:
            self.bytes_since_index = batches[-1].position + batches[-1].size - batches[0].position

    def _recover(self, file_size: int) -> None:
        good = self._rebuild(file_size, check_crc=True)
        if good < file_size:
            os.ftruncate(self.fd, good)
            os.fsync(self.fd)

    def _rebuild(self, file_size: int, *, check_crc: bool, sealed: bool = False) -> int:
        """Re-create both indexes by walking the file; returns the end of the last good batch."""
        self.index.reset()
        self.time_index.reset()
        self.size = 0
        self.bytes_since_index = 0
        self.max_timestamp = -1
        for info in self._scan(0, file_size, check_crc=check_crc, stop_on_error=True):
            self._index_batch(info)
            self.size = info.position + info.size
        if sealed and self.max_timestamp >= 0:  # the final entry seal() adds on roll
            rel = self.offset_of_max_timestamp - self.base_offset
            self.time_index.maybe_append(self.max_timestamp, rel)
        self._persist_indexes()
        return self.size

    def _persist_indexes(self) -> None:
        """Rewrite both index files; on a full disk keep them in memory and retry at flush."""
        try:
            self.index.rewrite()
            self.time_index.rewrite()
        except OSError as exc:
            log.warning("could not rewrite the indexes of %s (%s); will retry", self.path, exc)

    def _scan(
        self, start: int, end: int, *, check_crc: bool, stop_on_error: bool = False
    ) -> Iterator[BatchInfo]:
        """Walk batch headers in [start, end) via mmap; stops at an incomplete tail."""
        if end - start < MIN_BATCH_SIZE:
            return
        with mmap.mmap(self.fd, end, access=mmap.ACCESS_READ) as view:
            pos = start
            expected = self.base_offset
            while pos + MIN_BATCH_SIZE <= end:
                try:
                    info = parse_header(view, pos, str(self.path))
                except CorruptRecordError:
                    if stop_on_error:
                        return
                    raise
                bad = info.base_offset < expected or pos + info.size > end
                if bad or (check_crc and not crc_ok(view, info)):
                    if stop_on_error:
                        return
                    raise self.corrupt(pos)
                yield info
                expected = info.last_offset + 1
                pos += info.size

    def corrupt(self, position: int) -> CorruptRecordError:
        """The error reported when the batch at ``position`` fails validation."""
        msg = (
            f"Corrupt record batch in {self.path} at position {position} (CRC or header mismatch). "
            "Restore the segment from a replica/backup or delete the records before it."
        )
        return CorruptRecordError(msg)

    # -- appending -----------------------------------------------------------------------

    def _index_batch(self, info: BatchInfo) -> None:
        """Account a batch at ``info.position`` in the sparse indexes (arithmetic only)."""
        if self.bytes_since_index >= self.index_interval and info.position > 0:
            self.index.append(info.base_offset - self.base_offset, info.position)
            if self.max_timestamp >= 0:
                self.time_index.maybe_append(
                    self.max_timestamp, self.offset_of_max_timestamp - self.base_offset
                )
            self.bytes_since_index = 0
        self.bytes_since_index += info.size
        self.next_offset = info.last_offset + 1
        if info.max_timestamp > self.max_timestamp:
            self.max_timestamp = info.max_timestamp
            self.offset_of_max_timestamp = info.last_offset

    def append(self, batch: Buffer | Sequence[Buffer], base_offset: int) -> BatchInfo:
        """Write one batch at the end with ``base_offset`` stamped; the caller holds the lock.

        ``batch`` is the batch's bytes, or a list of buffers that concatenate to it
        (the first holding at least the 61-byte header): they are gathered by
        ``pwritev`` together with the stamped base offset, so the producer's bytes
        are never copied.  On any OSError the file is cut back to the last
        acknowledged byte and KafkaStorageError is raised; nothing changes.
        """
        parts = [batch] if isinstance(batch, bytes | bytearray | memoryview) else list(batch)
        position = self.size
        head = memoryview(parts[0])
        found = parse_header(head, 0, "the appended batch")
        size = sum(map(len, parts))
        if size != found.size:
            msg = f"The appended batch has {size} bytes but its header claims {found.size}."
            raise CorruptRecordError(msg)
        info = dataclasses.replace(
            found,
            position=position,
            base_offset=base_offset,
            last_offset=base_offset + (found.last_offset - found.base_offset),
        )
        try:
            self._write_fully([BASE_OFFSET.pack(base_offset), head[8:], *parts[1:]], position)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.ftruncate(self.fd, position)
            msg = (
                f"Could not write to {self.path}: {exc.strerror or exc}. The append was not "
                "stored; free disk space (or fix the I/O error) and retry."
            )
            raise KafkaStorageError(msg) from exc
        finally:
            head.release()
        # size before next_offset: a reader that sees the new high watermark also sees the
        # bytes, so a long-poll that found nothing new can safely wait (no lost wake-up)
        self.size = position + info.size
        self._index_batch(info)
        return info

    def _write_fully(self, buffers: list[Buffer], position: int) -> None:
        """``pwritev`` all of ``buffers`` at ``position``, resuming after short writes.

        A batch of big records arrives as hundreds of buffers; the common case
        (everything written) costs one C-level length sum per ``IOV_MAX`` chunk,
        and only a short write pays for walking the buffers in Python.
        """
        first = 0
        while first < len(buffers):
            chunk = buffers[first : first + IOV_MAX]
            written = os.pwritev(self.fd, chunk, position)
            position += written
            if written == sum(map(len, chunk)):
                first += len(chunk)
                continue
            while written >= len(buffers[first]):
                written -= len(buffers[first])
                first += 1
            if written:
                buffers[first] = memoryview(buffers[first])[written:]

    def should_roll(
        self, batch_size: int, segment_bytes: int, segment_ms: int, now_ms: int
    ) -> bool:
        """Kafka's roll rules: size, age, a full index."""
        if self.size == 0:
            return False
        return (
            self.size + batch_size > segment_bytes
            or now_ms - self.created_ms > segment_ms
            or len(self.index) * 8 + 8 > self.index_max_bytes
        )

    # -- reading -------------------------------------------------------------------------

    def headers_from(self, start: int, end: int | None = None) -> Iterator[BatchInfo]:
        """Batch headers from ``start`` to ``end`` (default: the acknowledged size) via pread."""
        limit = self.size if end is None else end
        pos = start
        want = 4096  # grows: the batch sought is usually the first one
        while pos + MIN_BATCH_SIZE <= limit:
            chunk = os.pread(self.fd, min(want, limit - pos), pos)
            want = min(want * 4, SCAN_CHUNK)
            at = 0
            while at + MIN_BATCH_SIZE <= len(chunk):
                info = parse_header(chunk, at, str(self.path))
                yield dataclasses.replace(info, position=pos + at)
                at += info.size
            pos += at

    def find_batch(self, offset: int) -> int | None:
        """Position of the first batch whose last offset >= ``offset`` (None if past the end)."""
        start = self.index.lookup(offset - self.base_offset)
        for info in self.headers_from(start):
            if info.last_offset >= offset:
                return info.position
        return None

    def read(self, position: int, max_bytes: int) -> tuple[bytes, int]:
        """Whole, CRC-checked batches from ``position``; returns (data, next offset).

        At most ``max_bytes`` unless the first batch alone is larger (then exactly that
        batch, like Kafka, so a consumer can always make progress).

        Raises CorruptRecordError if the first batch is damaged; a damaged batch after
        good ones ends the result early so the good ones are still served.
        """
        limit = self.size
        data = os.pread(self.fd, min(max_bytes, limit - position), position)
        first = parse_header(data, 0, str(self.path)) if len(data) >= MIN_BATCH_SIZE else None
        if first is None or first.size > len(data):
            header = os.pread(self.fd, MIN_BATCH_SIZE, position)
            first = parse_header(header, 0, str(self.path))
            data = os.pread(self.fd, first.size, position)
        at, next_offset = 0, first.base_offset
        while at + MIN_BATCH_SIZE <= len(data):
            try:
                info = parse_header(data, at, str(self.path))
            except CorruptRecordError:
                if at == 0:
                    raise
                break
            if at + info.size > len(data):
                break
            if not crc_ok(data, info):
                if at == 0:
                    raise self.corrupt(position)
                break
            at += info.size
            next_offset = info.last_offset + 1
        if at == 0:  # the first batch claims more bytes than the segment holds
            raise self.corrupt(position)
        return (data if at == len(data) else data[:at]), next_offset

    def batches(self, chunk: int = 1 << 20) -> Iterator[RecordBatch]:
        """Every batch of the segment, CRC-checked, read ``chunk`` bytes at a time."""
        position = 0
        while position < self.size:
            data, _ = self.read(position, chunk)
            yield from iter_batches(data)
            position += len(data)

    def offset_for_timestamp(self, timestamp: int) -> tuple[int, int] | None:
        """(position, last offset) of the first batch whose max timestamp >= ``timestamp``."""
        rel = self.time_index.lookup_before(timestamp)
        start = self.index.lookup(rel) if rel is not None else 0
        for info in self.headers_from(start):
            if info.max_timestamp >= timestamp:
                return info.position, info.last_offset
        return None

    # -- durability and lifecycle ----------------------------------------------------------

    def flush(self) -> None:
        """Write the log to disk (fsync) up to its size, then persist pending index entries."""
        size = self.size
        try:
            if size != self.flushed_size:
                os.fsync(self.fd)
                self.flushed_size = size
            self.index.flush()
            self.time_index.flush()
        except OSError as exc:
            msg = f"Could not flush {self.path}: {exc.strerror or exc}; check the disk."
            raise KafkaStorageError(msg) from exc

    def seal(self) -> None:
        """Finish a segment that stops being active: final time entry, fsync everything."""
        if self.max_timestamp >= 0:
            self.time_index.maybe_append(
                self.max_timestamp, self.offset_of_max_timestamp - self.base_offset
            )
        self.flush()
        self.index.flush(sync=True)
        self.time_index.flush(sync=True)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self.fd)

    def delete_files(self) -> None:
        """Unlink the files; the fd stays open for readers still holding this segment."""
        for path in (self.path, self.index.path, self.time_index.path):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
