"""The embedded log vs Redis Streams vs the raw disk (same as ``hub bench log``).

Usage: ``python benchmarks/log_bench.py [--records N] [--runs N] [--no-redis] ...``
Prints the table on stdout and progress on stderr; see benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from hub.bench.log_bench import BenchError, run
from hub.bench.report import markdown_table


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000, help="records per run")
    parser.add_argument("--value-size", type=int, default=100, help="bytes per value")
    parser.add_argument("--key-size", type=int, default=10, help="bytes per key")
    parser.add_argument(
        "--batch-size", type=int, default=1000, help="records per append / pipeline"
    )
    parser.add_argument("--runs", type=int, default=3, help="runs; every figure is their median")
    parser.add_argument("--no-redis", action="store_true", help="skip the Redis Streams peer")
    parser.add_argument(
        "--rss-records",
        type=int,
        default=10_000_000,
        help="records the RSS child produces (0 skips)",
    )
    parser.add_argument(
        "--large-records",
        type=int,
        default=20_000,
        help="records of the 10 KiB-value run (0 skips)",
    )
    parser.add_argument(
        "--large-value-size", type=int, default=10_240, help="bytes per large value"
    )
    parser.add_argument("--dir", type=Path, default=None, help="parent of the temporary data dirs")
    parser.add_argument(
        "--redis-server", default="/usr/bin/redis-server", help="redis-server binary"
    )
    parser.add_argument(
        "--json", type=Path, default=None, help="also write the report as JSON here"
    )
    parser.add_argument(
        "--markdown", type=Path, default=None, help="also write the table as markdown here"
    )
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    try:
        report = run(
            records=args.records,
            value_size=args.value_size,
            key_size=args.key_size,
            batch_size=args.batch_size,
            runs=args.runs,
            with_redis=not args.no_redis,
            rss_records=args.rss_records,
            large_records=args.large_records,
            large_value_size=args.large_value_size,
            work_dir=args.dir,
            redis_server=args.redis_server,
        )
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.json:
        args.json.write_text(json.dumps(report.to_dict(), indent=2) + "\n")
    if args.markdown:
        args.markdown.write_text(markdown_table(report))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
