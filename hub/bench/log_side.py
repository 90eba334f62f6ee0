"""cdchub's side of the benchmark: produce into and consume from an in-process Log.

Both directions go through the public API a user of :mod:`hub.core_log` calls
(``Log.append`` with ``ProduceRecord`` objects, ``Log.read`` then
``RecordBatch.keys_values``), and building the ``ProduceRecord`` objects is
timed, just as redis-py's command encoding is timed on the Redis side.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter

from hub.bench.dataset import KeyValue, chunks
from hub.bench.errors import BenchError
from hub.core_log import Log, ProduceRecord

_KEY = itemgetter(0)
_VALUE = itemgetter(1)

TOPIC = "bench"
READ_MAX_BYTES = 1 << 20
DURABILITY_KEYS = ("flush.messages", "flush.ms", "fsync.on.append")
LONG_MAX = (1 << 63) - 1


@dataclass(frozen=True)
class ProduceResult:
    """What a produce phase took, how many bytes the log stored, and the topic's configs."""

    seconds: float
    log_bytes: int
    configs: Mapping[str, str]


def produce(
    log: Log,
    records: Sequence[KeyValue],
    batch_size: int,
    *,
    topic: str = TOPIC,
    columns: bool = False,
) -> ProduceResult:
    """Append ``records`` in calls of ``batch_size`` into a fresh one-partition topic.

    With ``columns`` the records go through ``Log.append_kv`` (key and value
    columns, the bulk path); otherwise through ``Log.append`` with one
    ``ProduceRecord`` per record (the general path).  Either way the caller's
    conversion of the (key, value) pairs is timed.  The timed span ends with
    one ``Log.flush()`` so that, like the raw write it is compared with (which
    ends with one fsync), every byte is on disk when the clock stops.  The
    topic keeps the default flush policy.
    """
    log.create_topic(topic, partitions=1)
    start = time.perf_counter()
    if columns:
        for chunk in chunks(records, batch_size):
            # Two C-level passes; zip(*chunk) would build one iterator per record.
            log.append_kv(topic, list(map(_KEY, chunk)), list(map(_VALUE, chunk)))
    else:
        for chunk in chunks(records, batch_size):
            log.append(topic, [ProduceRecord(key=k, value=v) for k, v in chunk])
    log.flush()
    seconds = time.perf_counter() - start
    description = log.describe_topic(topic)
    log_bytes = sum(p.size_bytes for p in description.partitions)
    return ProduceResult(seconds, log_bytes, dict(description.configs))


def consume(log: Log, expected: Sequence[KeyValue]) -> float:
    """Read the whole partition from offset 0, decoding every record to (key, value).

    Checks the count and the last record against what was produced, so a
    fast but wrong log cannot post a figure.

    Raises:
        BenchError: the log returned a different number of records or other data.
    """
    start = time.perf_counter()
    offset = 0
    total = 0
    last: KeyValue | None = None
    while total < len(expected):
        result = log.read(TOPIC, 0, offset, READ_MAX_BYTES)
        progressed = False
        for batch in result.batches():
            pairs = batch.keys_values()
            if batch.base_offset < offset:
                pairs = pairs[offset - batch.base_offset :]
            if pairs:
                total += len(pairs)
                last = pairs[-1]  # type: ignore[assignment]
            offset = batch.next_offset
            progressed = True
        if not progressed:
            break
    seconds = time.perf_counter() - start
    check_consumed("cdchub", total, last, expected)
    return seconds


def check_consumed(
    system: str, total: int, last: KeyValue | None, expected: Sequence[KeyValue]
) -> None:
    """Refuse to report a figure for a system that did not give back what it was given."""
    if total != len(expected) or (expected and last != expected[-1]):
        msg = (
            f"{system} returned {total} records (last {last!r:.60}), expected {len(expected)}"
            " ending with the last record produced; the figures would be meaningless"
            " (this is a bug: please report it)"
        )
        raise BenchError(msg)


def describe_durability(configs: Mapping[str, str]) -> str:
    """Say what the timed produce guaranteed, read from the topic's effective configs."""
    shown = {k: configs.get(k, "?") for k in DURABILITY_KEYS}
    if shown["flush.messages"] == str(LONG_MAX):
        shown["flush.messages"] = "Long.MAX (never by count)"
    policy = ", ".join(f"{k}={v}" for k, v in shown.items())
    return f"cdchub: default flush policy ({policy}); the timed produce ends with one Log.flush()"
