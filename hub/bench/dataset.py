"""The records every system in the benchmark gets: same keys, same values, same order.

Values come from a seeded random generator, so they do not compress and every
run (and every machine) writes exactly the same bytes.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence

KeyValue = tuple[bytes, bytes]
SEED = 20_261_121


def make_key(index: int, key_size: int) -> bytes:
    """A distinct, fixed-size key: the record's index, zero-padded (low digits kept if too long)."""
    return (b"%0*d" % (key_size, index))[-key_size:]


def make_records(
    count: int, key_size: int, value_size: int, *, distinct_values: int = 0
) -> list[KeyValue]:
    """Build ``count`` (key, value) pairs with distinct keys.

    Args:
        count: how many records.
        key_size: bytes per key.
        value_size: bytes per value.
        distinct_values: 0 gives every record its own value; N > 0 cycles through
            N distinct values, which keeps memory small for large values
            (nothing in the log deduplicates or compresses, so the bytes written
            are the same).
    """
    pool = distinct_values if 0 < distinct_values < count else count
    blob = random.Random(SEED).randbytes(pool * value_size)
    values = [blob[i * value_size : (i + 1) * value_size] for i in range(pool)]
    return [(make_key(i, key_size), values[i % pool]) for i in range(count)]


def chunks(records: Sequence[KeyValue], size: int) -> Iterator[Sequence[KeyValue]]:
    """Consecutive slices of ``size`` records (the last one may be shorter)."""
    for start in range(0, len(records), size):
        yield records[start : start + size]


def payload_bytes(records: Sequence[KeyValue]) -> int:
    """Key plus value bytes: what a user would call the data's size."""
    return sum(len(k) + len(v) for k, v in records)
