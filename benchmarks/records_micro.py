"""Micro-benchmark of the record batch layer: build and decode rates.

Same shape as the log benchmark: 10-byte keys, 100-byte values, batches of
1000 records, no compression, no headers.  Prints records/s for
``build_batch``, ``RecordBatch.keys_values()`` and ``RecordBatch.records()``
(median and best of ``--runs`` runs); ``--codec`` measures a compression codec instead.

    .venv/bin/python benchmarks/records_micro.py [--records N] [--codec none|gzip|...] [--vary]
        [--null-keys]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from hub.core_log.records import CompressionType, RecordBatch, build_batch, iter_batches


def make_records(
    count: int, key_size: int, value_size: int, vary: bool = False, null_keys: bool = False
) -> list[tuple[bytes | None, bytes, tuple[()], None]]:
    """Records like the log benchmark's; ``vary`` spreads value sizes over 50%..150%.

    ``null_keys`` gives every record a null key, like unkeyed sources (files, HTTP ingest).
    """
    seed = bytes(range(256)) * (value_size // 128 + 2)
    sizes = [
        value_size // 2 + (i * 7919) % (value_size + 1) if vary else value_size
        for i in range(count)
    ]
    return [
        (
            None if null_keys else f"{i:0{key_size}d}".encode()[-key_size:],
            seed[i % 256 : i % 256 + sizes[i]],
            (),
            None,
        )
        for i in range(count)
    ]


def timed(fn: Callable[[], int], runs: int) -> tuple[float, float]:
    """Median and best records/s of ``fn`` (which returns the number of records it handled).

    Both are shown because on a shared machine the median carries other
    processes' load while the best run is closest to this code's own cost.
    """
    rates = []
    for _ in range(runs):
        start = time.perf_counter()
        handled = fn()
        rates.append(handled / (time.perf_counter() - start))
    return statistics.median(rates), max(rates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--key-size", type=int, default=10)
    parser.add_argument("--value-size", type=int, default=100)
    parser.add_argument("--codec", default="none")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--vary", action="store_true", help="value sizes vary 50%%..150%%")
    parser.add_argument("--null-keys", action="store_true", help="every key null")
    args = parser.parse_args()
    codec = CompressionType.from_name(args.codec)
    records = make_records(args.records, args.key_size, args.value_size, args.vary, args.null_keys)
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
        f"records={args.records} batch={args.batch} "
        f"key={'null' if args.null_keys else f'{args.key_size}B'} "
        f"value={args.value_size}B{'~' if args.vary else ''} "
        f"codec={codec.name.lower()} runs={args.runs}"
    )
    for name, fn in [
        ("build_batch", build),
        ("keys_values", decode_kv),
        ("records()", decode_full),
        ("validate_crc", validate),
    ]:
        median, best = timed(fn, args.runs)
        print(
            f"{name:>13}: {median:>12,.0f} records/s median ({1e6 / median:.3f} us/record), "
            f"best {best:,.0f}"
        )
    RecordBatch(log).validate_crc()  # the first batch parses standalone too


if __name__ == "__main__":
    main()
