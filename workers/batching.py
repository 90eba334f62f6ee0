"""Split what a task hands the log into appends that fit the topic's ``max.message.bytes``.

The log refuses a batch larger than the topic's ``max.message.bytes`` (1 MiB by default),
and one ``poll()`` may return more than that (2000 Debezium envelopes with schemas are
~5 MB). Like Kafka's producer (``batch.size``), the runtime cuts such a batch into several
appends; only a single record larger than the limit fails (with the log's message).
"""

from __future__ import annotations

from collections.abc import Sequence
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
    """(start, stop) index ranges whose estimated encoded size stays within ``limit``."""
    count = len(values)
    total = (
        sum(map(len, filter(None, values)))
        + sum(map(len, filter(None, keys)))
        + RECORD_OVERHEAD * count
    )
    if headers is not None:
        total += sum(map(_headers_size, headers))
    if total <= limit:
        return [(0, count)]
    ranges: list[tuple[int, int]] = []
    start = size = 0
    for i in range(count):
        record = len(keys[i] or b"") + len(values[i] or b"") + RECORD_OVERHEAD
        if headers is not None:
            record += _headers_size(headers[i])
        if size + record > limit and i > start:
            ranges.append((start, i))
            start, size = i, 0
        size += record
    ranges.append((start, count))
    return ranges
