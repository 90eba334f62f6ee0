"""Micro-benchmark of the record batch layer: build and decode rates.

Same shape as the log benchmark: 10-byte keys, 100-byte values, batches of
1000 records, no compression, no headers.  Prints records/s for
``build_batch``, ``RecordBatch.keys_values()`` and ``RecordBatch.records()``
(median of ``--runs`` runs); ``--codec`` measures a compression codec instead.

    .venv/bin/python benchmarks/records_micro.py [--records N] [--codec none|gzip|...]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from hub.core_log.records import CompressionType, RecordBatch, build_batch, iter_batches


def make_records(
    count: int, key_size: int, value_size: int
) -> list[tuple[bytes, bytes, tuple[()], None]]:
    value_seed = bytes(range(256)) * (value_size // 256 + 1)
    return [
        (
            f"{i:0{key_size}d}".encode()[-key_size:],
            value_seed[i % 256 : i % 256 + value_size],
            (),
            None,
        )
        for i in range(count)
    ]


def timed(fn: Callable[[], int], runs: int) -> float:
    """Median records/s of ``fn`` (which returns the number of records it handled)."""
    rates = []
    for _ in range(runs):
        start = time.perf_counter()
        handled = fn()
        rates.append(handled / (time.perf_counter() - start))
    return statistics.median(rates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--key-size", type=int, default=10)
    parser.add_argument("--value-size", type=int, default=100)
    parser.add_argument("--codec", default="none")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    codec = CompressionType.from_name(args.codec)
    records = make_records(args.records, args.key_size, args.value_size)
    chunks = [records[i : i + args.batch] for i in range(0, len(records), args.batch)]
    now = int(time.time() * 1000)

    def build() -> int:
        for chunk in chunks:
            build_batch(chunk, compression=codec, now_ms=now)
        return len(records)

    log = b"".join(build_batch(c, compression=codec, now_ms=now) for c in chunks)

    def decode_kv() -> int:
        return sum(len(b.keys_values()) for b in iter_batches(log))

    def decode_full() -> int:
        return sum(len(b.records()) for b in iter_batches(log))

    def validate() -> int:
        total = 0
        for batch in iter_batches(log):
            batch.validate_crc()
            total += batch.record_count
        return total

    assert decode_kv() == len(records)
    print(
        f"records={args.records} batch={args.batch} key={args.key_size}B "
        f"value={args.value_size}B codec={codec.name.lower()} runs={args.runs}"
    )
    for name, fn in [
        ("build_batch", build),
        ("keys_values", decode_kv),
        ("records()", decode_full),
        ("validate_crc", validate),
    ]:
        rate = timed(fn, args.runs)
        print(f"{name:>13}: {rate:>12,.0f} records/s  ({1e6 / rate:.3f} us/record)")
    _ = RecordBatch(log)  # the first batch parses standalone too


if __name__ == "__main__":
    main()
