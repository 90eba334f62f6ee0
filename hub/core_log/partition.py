"""One partition: an ordered list of segments with one active segment at the end.

Concurrency: appends and segment-list changes take ``lock``; readers take no
lock at all.  They read ``view`` (an immutable snapshot of the segment list,
swapped in one assignment) and ``pread`` from the segments' files; segments
that retention or compaction remove are unlinked at once but their file
descriptors are closed only after ``file.delete.delay.ms``, so a reader holding
an old snapshot still reads valid bytes.  ``changed`` (a Condition on ``lock``)
wakes long-polling readers when an append lands.

Durability: fsync happens outside ``lock`` (``_flush_lock`` serializes it), so a
slow disk never stalls producers; with ``fsync.on.append`` concurrent producers
share one fsync (group commit).
"""

from __future__ import annotations

import bisect
import logging
import os
import re
import shutil
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from hub.core_log.configs import TopicConfig
from hub.core_log.errors import (
    CorruptRecordError,
    KafkaStorageError,
    LogError,
    OffsetOutOfRangeError,
    UnknownTopicOrPartitionError,
)
from hub.core_log.records import RecordBatch, iter_batches
from hub.core_log.segment import Buffer, LogSegment, segment_name

_SEGMENT_FILE = re.compile(r"^(\d{20})\.log$")
_SWAP_FILE = re.compile(r"^(\d{20})\.log\.(\d{20})\.swap$")
RELATIVE_OFFSET_LIMIT = 2**31 - 1
log = logging.getLogger(__name__)
CLEANER_DIR = ".cleaner"  # compaction builds cleaned segments here before the swap


def now_ms() -> int:
    """Wall-clock milliseconds, the unit of every Kafka timestamp and *.ms config."""
    return int(time.time() * 1000)


@dataclass(frozen=True, slots=True)
class SegmentView:
    """An immutable snapshot of the segment list (bases kept for bisect)."""

    segments: tuple[LogSegment, ...]
    bases: tuple[int, ...]

    @classmethod
    def of(cls, segments: list[LogSegment] | tuple[LogSegment, ...]) -> SegmentView:
        return cls(tuple(segments), tuple(s.base_offset for s in segments))

    @property
    def active(self) -> LogSegment:
        return self.segments[-1]


class Partition:
    """Append, read, flush, retain and recover one ``<topic>-<partition>`` directory."""

    def __init__(self, directory: Path, topic: str, index: int, config: TopicConfig) -> None:
        self.directory = directory
        self.topic = topic
        self.index = index
        self.config = config
        self.lock = threading.Lock()
        self.changed = threading.Condition(self.lock)
        self._flush_lock = threading.Lock()
        self._retired: list[tuple[float, LogSegment]] = []
        self.unflushed_messages = 0
        self.last_flush_ms = now_ms()
        self.closed = False
        self.cleaned_upto = 0  # compaction: offsets below this were compacted in this run
        self.view = SegmentView.of(())
        # (next offset, segment, position) after the last read: sequential consumers skip lookups
        self._cursor: tuple[int, LogSegment | None, int] = (-1, None, 0)

    @classmethod
    def open(cls, directory: Path, topic: str, index: int, config: TopicConfig) -> Partition:
        """Open (creating if needed) and recover the partition directory."""
        partition = cls(directory, topic, index, config)
        if not directory.exists():
            directory.mkdir(parents=True)
            fsync_dir(directory.parent)
        partition._finish_interrupted_swaps()
        bases = sorted(
            int(m.group(1)) for name in os.listdir(directory) if (m := _SEGMENT_FILE.match(name))
        )
        interval = config.index_interval_bytes
        segments = [
            LogSegment.open(directory, base, interval, recover=(i == len(bases) - 1))
            for i, base in enumerate(bases)
        ]
        if not segments:
            segments.append(LogSegment.create(directory, 0, interval))
            fsync_dir(directory)
        partition._set_segments(segments)
        return partition

    def _finish_interrupted_swaps(self) -> None:
        """Complete or undo a compaction swap cut short by a crash (see compaction.py)."""
        shutil.rmtree(self.directory / CLEANER_DIR, ignore_errors=True)
        for name in os.listdir(self.directory):
            if name.endswith(".tmp"):
                (self.directory / name).unlink()
        for name in sorted(os.listdir(self.directory)):
            m = _SWAP_FILE.match(name)
            if not m:
                continue
            first, end = int(m.group(1)), int(m.group(2))
            for other in os.listdir(self.directory):
                seg = _SEGMENT_FILE.match(other.split(".")[0] + ".log")
                if seg and first <= int(seg.group(1)) < end and not other.endswith(".swap"):
                    (self.directory / other).unlink()
            os.replace(self.directory / name, self.directory / f"{segment_name(first)}.log")

    def _set_segments(self, segments: list[LogSegment] | tuple[LogSegment, ...]) -> None:
        for segment in segments:
            segment.index_max_bytes = self.config.segment_index_bytes
            segment.index_interval = self.config.index_interval_bytes
        self.view = SegmentView.of(segments)

    def update_config(self, config: TopicConfig) -> None:
        with self.lock:
            self.config = config
            self._set_segments(self.view.segments)

    # -- offsets ----------------------------------------------------------------------------

    @property
    def log_start_offset(self) -> int:
        return self.view.segments[0].base_offset

    @property
    def high_watermark(self) -> int:
        return self.view.active.next_offset

    @property
    def size_bytes(self) -> int:
        return sum(s.size for s in self.view.segments)

    # -- appending ----------------------------------------------------------------------------

    def append(
        self, batch: Buffer | Sequence[Buffer], record_count: int, *, fsync: bool | None = None
    ) -> int:
        """Store one v2 batch at the end; returns its base offset once durable by policy.

        ``fsync`` overrides the topic's ``fsync.on.append`` for this call (None: topic's).
        """
        config = self.config
        with self.lock:
            self._check_open()
            try:
                active = self._maybe_roll(_size(batch), record_count)
            except OSError as exc:
                msg = f"Could not start a new segment in {self.directory}: {exc}; free disk space."
                raise KafkaStorageError(msg) from exc
            base = active.next_offset
            info = active.append(batch, base)
            self.unflushed_messages += info.last_offset - base + 1
            self.changed.notify_all()
        sync = config.fsync_on_append if fsync is None else fsync
        if sync or self.unflushed_messages >= config.flush_messages:
            self.flush()
        return base

    def _check_open(self) -> None:
        if self.closed:
            msg = (
                f"Partition {self.topic}-{self.index} is closed (topic deleted or log closed); "
                "look the topic up again."
            )
            raise UnknownTopicOrPartitionError(msg)

    def _maybe_roll(self, batch_size: int, record_count: int) -> LogSegment:
        active = self.view.active
        config = self.config
        overflow = active.next_offset + record_count - active.base_offset > RELATIVE_OFFSET_LIMIT
        if overflow or active.should_roll(
            batch_size, config.segment_bytes, config.segment_ms, now_ms()
        ):
            active.seal()
            new = LogSegment.create(self.directory, active.next_offset, config.index_interval_bytes)
            fsync_dir(self.directory)
            self._set_segments((*self.view.segments, new))
            return new
        return active

    def roll(self) -> None:
        """Start a new active segment now (tests, and compaction of the whole log)."""
        with self.lock:
            active = self.view.active
            if active.size:
                self._maybe_roll(1 << 62, 0)

    # -- durability ---------------------------------------------------------------------------

    def flush(self) -> None:
        """Fsync every segment with unflushed bytes (group commit: one fsync serves many)."""
        with self._flush_lock:
            pending = self.unflushed_messages
            for segment in self.view.segments:
                if segment.size != segment.flushed_size or segment is self.view.active:
                    segment.flush()
            with self.lock:
                self.unflushed_messages -= pending
            self.last_flush_ms = now_ms()

    def flush_if_due(self, now: int) -> None:
        """Called by the background flusher: honour ``flush.ms``."""
        if self.closed:
            return
        if self.unflushed_messages and now - self.last_flush_ms >= self.config.flush_ms:
            self.flush()

    # -- reading ------------------------------------------------------------------------------

    def read(self, offset: int, max_bytes: int) -> bytes:
        """Raw bytes of whole batches from the one containing ``offset`` (b"" at the end)."""
        view = self.view
        high_watermark = view.active.next_offset
        start = view.segments[0].base_offset
        if offset < start or offset > high_watermark:
            with self.lock:  # an append may be half-published (bytes visible, offset not yet)
                view = self.view
                high_watermark = view.active.next_offset
                start = view.segments[0].base_offset
        if offset < start or offset > high_watermark:
            msg = (
                f"Offset {offset} is out of range for {self.topic}-{self.index} "
                f"(valid: {start}..{high_watermark}); reset the consumer to earliest or latest."
            )
            raise OffsetOutOfRangeError(msg)
        max_bytes = max(max_bytes, 1)
        i = max(0, bisect.bisect_right(view.bases, offset) - 1)
        cursor = self._cursor
        if cursor[0] == offset and cursor[1] is view.segments[i] and cursor[2] < cursor[1].size:
            return self._read_at(cursor[1], cursor[2], max_bytes)
        for segment in view.segments[i:]:
            position = segment.find_batch(offset)
            if position is not None:
                return self._read_at(segment, position, max_bytes)
        return b""

    def _read_at(self, segment: LogSegment, position: int, max_bytes: int) -> bytes:
        """Read and remember where the next sequential read starts (skips the index lookup)."""
        data, next_offset = segment.read(position, max_bytes)
        self._cursor = (next_offset, segment, position + len(data))
        return data

    def offset_for_timestamp(self, timestamp: int) -> int | None:
        """First offset whose record timestamp is >= ``timestamp`` (None if none)."""
        for segment in self.view.segments:
            if segment.max_timestamp < timestamp:
                continue
            found = segment.offset_for_timestamp(timestamp)
            if found is None:
                continue
            data, _ = segment.read(found[0], 1)
            for record in RecordBatch(data).records():
                if record.timestamp >= timestamp:
                    return record.offset
        return None

    def batches(self, start: int = 0) -> Iterator[RecordBatch]:
        """Every stored batch from ``start`` (used to replay internal topics)."""
        offset = max(start, self.log_start_offset)
        while offset < self.high_watermark:
            data = self.read(offset, 1 << 20)
            if not data:
                return
            for batch in _walk(data):
                yield batch
                offset = batch.last_offset + 1

    # -- segment-list changes (retention, compaction) -----------------------------------------

    def replace_segments(
        self, old: list[LogSegment], new: LogSegment | None, commit: Callable[[], None]
    ) -> bool:
        """Swap consecutive non-active ``old`` segments for ``new`` (or drop them if None).

        Returns False (and changes nothing) if the segment list no longer holds ``old``.

        ``commit`` performs the file renames and runs under ``lock``, so no append or
        other swap sees a half-renamed directory.
        """
        with self.lock:
            segments = list(self.view.segments)
            if self.closed or not old or old[0] not in segments:
                return False
            i = segments.index(old[0])
            if segments[i : i + len(old)] != old or i + len(old) >= len(segments):
                return False
            commit()
            replacement = [new] if new is not None else []
            self._set_segments([*segments[:i], *replacement, *segments[i + len(old) :]])
        self._retire(old)
        return True

    def delete_oldest(self, should_delete: Callable[[LogSegment, int], bool]) -> int:
        """Delete leading non-active segments while ``should_delete(segment, size_after)``."""
        with self.lock:
            segments = list(self.view.segments)
            total = sum(s.size for s in segments)
            doomed: list[LogSegment] = []
            while len(segments) > 1 and should_delete(segments[0], total):
                total -= segments[0].size
                doomed.append(segments.pop(0))
            if doomed:
                self._set_segments(segments)
        for segment in doomed:
            segment.delete_files()
        self._retire(doomed)
        return len(doomed)

    def _retire(self, segments: list[LogSegment]) -> None:
        deadline = time.monotonic() + self.config.file_delete_delay_ms / 1000
        self._retired.extend((deadline, s) for s in segments)

    def close_retired(self, *, force: bool = False) -> None:
        """Close descriptors of removed segments once no reader can still be using them."""
        now = time.monotonic()
        keep = []
        for deadline, segment in self._retired:
            if force or deadline <= now:
                segment.close()
            else:
                keep.append((deadline, segment))
        self._retired = keep

    def close(self) -> None:
        """Flush and close every file; wakes long-polling readers."""
        with self.lock:
            if self.closed:
                return
            self.closed = True
            self.changed.notify_all()
        try:
            self.flush()
        except LogError as exc:
            log.error("could not flush %s-%d on close: %s", self.topic, self.index, exc)
        for segment in self.view.segments:
            segment.close()
        self.close_retired(force=True)


def _size(batch: Buffer | Sequence[Buffer]) -> int:
    if isinstance(batch, bytes | bytearray | memoryview):
        return len(batch)
    return sum(map(len, batch))


def _walk(data: bytes) -> Iterator[RecordBatch]:
    try:
        yield from iter_batches(data)
    except CorruptRecordError:
        return


def fsync_dir(directory: Path) -> None:
    """Make a created or renamed file's directory entry durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
