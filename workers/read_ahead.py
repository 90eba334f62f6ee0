"""A sink task's read-ahead: records of one partition read from the log, as columns.

One log read returns up to 1 MiB of whole batches (thousands of records), decoded as
columns; the task hands them to the sink ``max.poll.records`` at a time from here.
"""

from __future__ import annotations

import bisect
from typing import Any

from connectors.api import TopicPartition


class Chunk:
    """Records of one partition as parallel columns (what ``RecordBatch.columns`` gives).

    ``start`` is where the records not delivered yet begin: taking the next few moves it
    instead of copying the rest of every column (a 1 MiB read holds thousands of records
    and is delivered ``max.poll.records`` at a time).
    """

    __slots__ = ("headers", "keys", "offsets", "stamps", "start", "values")
    COLUMNS = ("headers", "keys", "offsets", "stamps", "values")

    def __init__(self) -> None:
        self.offsets: list[int] = []
        self.stamps: list[int] = []
        self.keys: list[bytes | None] = []
        self.values: list[bytes | None] = []
        self.headers: list[Any] = []
        self.start = 0

    def extend(self, columns: tuple[list[Any], ...], from_offset: int) -> None:
        """Append a batch's columns, skipping records before ``from_offset``."""
        offsets, stamps, keys, values, headers = columns
        if offsets[0] < from_offset:
            start = bisect.bisect_left(offsets, from_offset)
            offsets, stamps, keys = offsets[start:], stamps[start:], keys[start:]
            values, headers = values[start:], headers[start:]
        self.offsets += offsets
        self.stamps += stamps
        self.keys += keys
        self.values += values
        self.headers += headers

    def next_offset(self) -> int | None:
        """The offset of the first record not taken yet (None when all were)."""
        return self.offsets[self.start] if self.start < len(self.offsets) else None

    def take(self, count: int) -> Chunk:
        """The next ``count`` records (or all that are left) as a chunk of their own."""
        start, size = self.start, len(self.offsets)
        stop = min(start + count, size)
        whole = start == 0 and stop == size  # nothing to cut off: share the columns
        head = Chunk()
        for name in self.COLUMNS:
            column = getattr(self, name)
            setattr(head, name, column if whole else column[start:stop])
        self.start = stop
        return head


Fetched = tuple[TopicPartition, Chunk]
"""A partition and the records just taken from its read-ahead."""
