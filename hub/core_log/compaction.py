"""Key-based compaction (``cleanup.policy=compact``): keep the latest record per key.

Like Kafka's log cleaner, compaction works on the non-active segments only and
never blocks appends:

1. build a map key -> latest offset over the segments to clean (reading files,
   no lock held);
2. copy each group of consecutive segments (as many as fit in ``segment.bytes``)
   into one cleaned segment under ``<partition>/.cleaner/``, keeping a record
   only if it is its key's latest, and dropping tombstones older than
   ``delete.retention.ms``; batches that lose nothing are copied byte for byte,
   every kept record keeps its offset;
3. swap: the cleaned log is renamed to ``<base>.log.<end>.swap`` (the commit
   point), the old segments' files are unlinked, the swap file becomes
   ``<base>.log``.  A crash before the swap leaves the old segments; a crash
   after it is finished on open (partition.py), since the name carries the
   range ``[base, end)`` it replaces.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from hub.core_log.partition import CLEANER_DIR, RELATIVE_OFFSET_LIMIT, Partition, fsync_dir
from hub.core_log.records import Record, RecordBatch, TimestampType, build_batch
from hub.core_log.segment import LogSegment, segment_name


@dataclass(frozen=True, slots=True)
class CompactionResult:
    """What one compaction pass did (for logs, metrics and tests)."""

    segments_before: int
    segments_after: int
    bytes_before: int
    bytes_after: int
    records_removed: int


def dirty_ratio(partition: Partition, segments: tuple[LogSegment, ...]) -> float:
    """Share of bytes in ``segments`` not compacted yet (by this process)."""
    total = sum(s.size for s in segments)
    dirty = sum(s.size for s in segments if s.base_offset >= partition.cleaned_upto)
    return dirty / total if total else 0.0


def compact_partition(
    partition: Partition, now: int, *, force: bool = False
) -> CompactionResult | None:
    """Compact the non-active segments of ``partition`` if they are dirty enough."""
    config = partition.config
    view = partition.view
    horizon = now - config.min_compaction_lag_ms
    candidates: list[LogSegment] = []
    for segment in view.segments[:-1]:
        if segment.max_timestamp > horizon:
            break
        candidates.append(segment)
    if not candidates or not any(s.size for s in candidates):
        return None
    if not force and dirty_ratio(partition, tuple(candidates)) < config.min_cleanable_dirty_ratio:
        return None
    horizon_tombstones = now - config.delete_retention_ms
    latest, dirty = _scan_keys(candidates, horizon_tombstones)
    end_offsets = [*(s.base_offset for s in view.segments[1:])]
    cleaner = partition.directory / CLEANER_DIR
    shutil.rmtree(cleaner, ignore_errors=True)
    cleaner.mkdir()
    removed, after = 0, 0
    try:
        for group in _groups(candidates, config.segment_bytes):
            position = view.segments.index(group[0])
            if len(group) == 1 and position not in dirty:
                after += group[0].size
                continue  # already clean: nothing to drop, nothing to merge
            end = end_offsets[position + len(group) - 1]
            cleaned, dropped = _clean_group(group, cleaner, latest, horizon_tombstones)
            if cleaned.size == 0 and position > 0:  # nothing left: drop the segments outright
                cleaned.close()
                if not partition.replace_segments(group, None, _unlink(group)):
                    return None
                removed += dropped
                continue
            if not partition.replace_segments(
                group, cleaned, _swap(partition, group, cleaned, end)
            ):
                cleaned.close()
                return None
            removed += dropped
            after += cleaned.size
    finally:
        shutil.rmtree(cleaner, ignore_errors=True)
    partition.cleaned_upto = candidates[-1].next_offset
    before = sum(s.size for s in candidates)
    segments_after = len(partition.view.segments) - 1
    return CompactionResult(len(candidates), segments_after, before, after, removed)


def _scan_keys(
    segments: list[LogSegment], tombstone_horizon: int
) -> tuple[dict[bytes, int], set[int]]:
    """Latest offset per key, and the indexes of segments holding something to drop."""
    latest: dict[bytes, int] = {}
    where: dict[bytes, int] = {}
    dirty: set[int] = set()
    for i, segment in enumerate(segments):
        for batch in segment.batches():
            if batch.is_control:
                continue
            for record in batch.records():
                if record.value is None and record.timestamp < tombstone_horizon:
                    dirty.add(i)
                if record.key is None:
                    continue
                if record.key in where:
                    dirty.add(where[record.key])
                latest[record.key] = record.offset
                where[record.key] = i
    return latest, dirty


def _groups(segments: list[LogSegment], max_bytes: int) -> Iterator[list[LogSegment]]:
    """Consecutive segments whose combined size and offset range fit one segment."""
    group: list[LogSegment] = []
    size = 0
    for segment in segments:
        span = segment.next_offset - (group[0].base_offset if group else segment.base_offset)
        if group and (size + segment.size > max_bytes or span > RELATIVE_OFFSET_LIMIT):
            yield group
            group, size = [], 0
        group.append(segment)
        size += segment.size
    if group:
        yield group


def _keep(record: Record, latest: dict[bytes, int], tombstone_horizon: int) -> bool:
    if record.key is not None and latest.get(record.key, -1) != record.offset:
        return False
    return not (record.value is None and record.timestamp < tombstone_horizon)


def _clean_group(
    group: list[LogSegment], cleaner: Path, latest: dict[bytes, int], tombstone_horizon: int
) -> tuple[LogSegment, int]:
    """Write the kept records of ``group`` into a new segment in ``cleaner``."""
    out = LogSegment.create(cleaner, group[0].base_offset, group[0].index_interval)
    dropped = 0
    for segment in group:
        for batch in segment.batches():
            records = batch.records()
            kept = [r for r in records if batch.is_control or _keep(r, latest, tombstone_horizon)]
            dropped += len(records) - len(kept)
            if len(kept) == len(records):
                out.append(batch.buffer, batch.base_offset)
                continue
            for run in _runs(kept):
                out.append(_rebuild(batch, run), run[0].offset)
    out.seal()
    return out, dropped


def _runs(records: list[Record]) -> Iterator[list[Record]]:
    """Split kept records into runs of consecutive offsets (one rebuilt batch each)."""
    run: list[Record] = []
    for record in records:
        if run and record.offset != run[-1].offset + 1:
            yield run
            run = []
        run.append(record)
    if run:
        yield run


def _rebuild(batch: RecordBatch, run: list[Record]) -> bytes:
    return build_batch(
        [(r.key, r.value, r.headers, r.timestamp) for r in run],
        base_offset=run[0].offset,
        compression=batch.compression,
        timestamp_type=TimestampType.CREATE_TIME,
        producer_id=batch.producer_id,
        producer_epoch=batch.producer_epoch,
        partition_leader_epoch=batch.partition_leader_epoch,
    )


def _swap(partition: Partition, group: list[LogSegment], cleaned: LogSegment, end: int) -> _Swap:
    return _Swap(partition.directory, group, cleaned, end)


def _unlink(group: list[LogSegment]) -> Callable[[], None]:
    def commit() -> None:
        for old in group:
            old.delete_files()

    return commit


class _Swap:
    """The file renames that replace ``group`` by ``cleaned`` (run under the partition lock)."""

    def __init__(self, directory: Path, group: list[LogSegment], cleaned: LogSegment, end: int):
        self.directory = directory
        self.group = group
        self.cleaned = cleaned
        self.end = end

    def __call__(self) -> None:
        base = segment_name(self.cleaned.base_offset)
        swap = self.directory / f"{base}.log.{segment_name(self.end)}.swap"
        os.replace(self.cleaned.path, swap)
        fsync_dir(self.directory)
        for old in self.group:
            old.delete_files()
        for index in (self.cleaned.index, self.cleaned.time_index):
            target = self.directory / index.path.name
            os.replace(index.path, target)
            index.path = target
        final = self.directory / f"{base}.log"
        os.replace(swap, final)
        self.cleaned.path = final
        fsync_dir(self.directory)
