"""What the Log's methods take and give back: records to append, topic and fetch views.

Kept apart from :mod:`hub.core_log.log` so that module holds the log's behaviour only; the
package re-exports every name here.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from hub.core_log.records import Record, RecordBatch, iter_batches


@dataclass(slots=True)
class ProduceRecord:
    """One record to append; ``partition=None`` lets the partitioner choose.

    Not frozen on purpose: a frozen dataclass's ``__init__`` costs about 1 us per
    record (object.__setattr__ per field), more than encoding the record.
    """

    key: bytes | None = None
    value: bytes | None = None
    headers: Sequence[tuple[str, bytes | None]] = ()
    timestamp: int | None = None
    partition: int | None = None


@dataclass(frozen=True)
class PartitionInfo:
    """Offsets and size of one partition (``end_offset`` = high watermark = next offset)."""

    partition: int
    log_start_offset: int
    end_offset: int
    size_bytes: int
    segments: int


@dataclass(frozen=True)
class TopicDescription:
    """A topic's partitions and effective configs (every key, defaults included)."""

    name: str
    partitions: list[PartitionInfo]
    configs: dict[str, str]
    internal: bool


@dataclass(frozen=True)
class FetchResult:
    """Raw file bytes of whole batches; the first batch may start before the asked offset."""

    data: bytes
    high_watermark: int
    log_start_offset: int

    def batches(self) -> Iterator[RecordBatch]:
        return iter_batches(self.data)

    def records(self, from_offset: int = 0) -> Iterator[Record]:
        """Decoded records at or after ``from_offset``."""
        for batch in iter_batches(self.data):
            if batch.last_offset < from_offset:
                continue
            for record in batch.records():
                if record.offset >= from_offset:
                    yield record
