"""Split what a task hands the log into appends that fit the topic's ``max.message.bytes``.

The log refuses a batch larger than the topic's ``max.message.bytes`` (1 MiB by default),
and one ``poll()`` may return more than that (2000 Debezium envelopes with schemas are
~5 MB). Like Kafka's producer (``batch.size``), the runtime cuts such a batch into several
appends; only a single record larger than the limit fails (with the log's message).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from itertools import accumulate, repeat
from operator import add
from typing import Any

from hub.core_log import Log

RECORD_OVERHEAD = 24
"""Upper bound of the per-record framing in a v2 batch for small records (varints, attrs)."""
BATCH_OVERHEAD = 61
SAFETY = 0.9


def batch_limit(log: Log, topic: str) -> int:
    """Bytes of keys, values and headers one append may carry for ``topic``."""
    configured = int(log.describe_topic(topic).configs.get("max.message.bytes", 1048588))
    return max(1, int(configured * SAFETY) - BATCH_OVERHEAD)


def _headers_size(headers: Any) -> int:
    return sum(len(k) + len(v or b"") + 8 for k, v in headers) if headers else 0


def batch_ranges(
    keys: Sequence[bytes | None],
    values: Sequence[bytes | None],
    limit: int,
    headers: Sequence[Any] | None = None,
) -> list[tuple[int, int]]:
    """(start, stop) index ranges whose estimated encoded size stays within ``limit``.

    Greedy, like a producer filling batches: a range takes records while they fit, and a
    record larger than ``limit`` gets a range of its own. The sizes are summed column by
    column and the cuts found by bisection, so no Python code runs per record.
    """
    count = len(values)
    key_sizes, value_sizes = _lengths(keys), _lengths(values)
    header_sizes = None if headers is None else list(map(_headers_size, headers))
    total = sum(key_sizes) + sum(value_sizes) + RECORD_OVERHEAD * count
    if header_sizes is not None:
        total += sum(header_sizes)
    if total <= limit:
        return [(0, count)]
    sizes = map(add, key_sizes, value_sizes)
    if header_sizes is not None:
        sizes = map(add, sizes, header_sizes)
    ends = list(accumulate(map(add, sizes, repeat(RECORD_OVERHEAD))))  # size of 0..i
    ranges: list[tuple[int, int]] = []
    start = 0
    while start < count:
        base = ends[start - 1] if start else 0
        stop = max(bisect_right(ends, base + limit, start), start + 1)
        ranges.append((start, stop))
        start = stop
    return ranges


def _lengths(column: Sequence[bytes | None]) -> list[int]:
    """The length of each entry, a null counting as empty."""
    try:
        return list(map(len, column))  # type: ignore[arg-type]
    except TypeError:  # a null among them
        return [len(v) if v is not None else 0 for v in column]
