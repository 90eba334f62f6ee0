"""``hub bench log``: the embedded log against Redis Streams and the raw disk, in one run.

Each run, on the same records: cdchub produces them into a fresh Log and
consumes them back decoded; a private redis-server takes them with XADD and
gives them back with XREAD; a plain file is written (1 MiB chunks, one fsync)
and read with the same number of bytes the log stored.  A second data set with
10 KiB values compares the log's produce MB/s with the raw write, and a child
process produces many more records to measure peak RSS.  Every figure is the
median of ``runs`` runs; ratios are taken inside each run (neighbours on a
shared machine slow a whole run, not one side of it) and then the median.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

import psutil

from hub.bench import log_side, raw_io, redis_peer
from hub.bench.dataset import KeyValue, make_records, payload_bytes
from hub.bench.errors import BenchError
from hub.bench.machine import describe_machine
from hub.bench.report import BenchReport, Target
from hub.bench.rss_child import measure_peak_rss
from hub.core_log import Log

__all__ = ["BenchError", "BenchReport", "run"]

MB = 1_000_000
RAW_DURABILITY = (
    "raw limit: sequential write(2) of 1 MiB chunks + one fsync; read back in 1 MiB chunks;"
    " MB = 10^6 bytes; before every timed write phase (untimed): write+delete as many bytes,"
    " then sync(), so no phase pays for another's write-back or for first-touch VM pages"
)
LARGE_BATCH_BYTES = 1 << 20  # keeps a 10 KiB-value batch under max.message.bytes' default

PRODUCE = "cdchub produce, Log.append"
PRODUCE_KV = "cdchub produce, Log.append_kv"
TOPIC_KV = "bench-kv"
CONSUME = "cdchub consume"
REDIS_PRODUCE = "Redis XADD"
REDIS_CONSUME = "Redis XREAD"
PRODUCE_VS_REDIS = "produce: cdchub Log.append / Redis"
PRODUCE_KV_VS_REDIS = "produce: cdchub Log.append_kv / Redis"
CONSUME_VS_REDIS = "consume: cdchub / Redis"
PRODUCE_VS_REDIS_CPU = "produce: cdchub Log.append / Redis, CPU time"
CONSUME_VS_REDIS_CPU = "consume: cdchub / Redis, CPU time"
CPU_NOTE = (
    "this and the next row: ratio of CPU seconds spent (Redis: client + server), less"
    " sensitive than wall clock to other load on the machine, which delays Redis's"
    " client/server round trips most"
)
LARGE_PRODUCE = "cdchub produce, Log.append, 10 KiB values"
LARGE_RAW = "raw write, same bytes"
LARGE_RATIO = "10 KiB produce / raw write"
RSS = "peak RSS, child producing"


def _targets() -> list[Target]:
    return [
        Target(PRODUCE, 1_000_000),
        Target(PRODUCE_KV, 1_000_000),
        Target(CONSUME, 1_000_000),
        Target(PRODUCE_VS_REDIS, 20, label=">= 20x"),
        Target(PRODUCE_KV_VS_REDIS, 20, label=">= 20x"),
        Target(CONSUME_VS_REDIS, 20, label=">= 20x"),
        Target(LARGE_RATIO, 0.5, label=">= 0.5x"),
        Target(RSS, 300, at_least=False, label="< 300 MB"),
    ]


def run(
    *,
    records: int = 1_000_000,
    value_size: int = 100,
    key_size: int = 10,
    batch_size: int = 1000,
    runs: int = 3,
    with_redis: bool = True,
    rss_records: int = 10_000_000,
    large_records: int = 20_000,
    large_value_size: int = 10_240,
    work_dir: str | os.PathLike[str] | None = None,
    redis_server: str = "/usr/bin/redis-server",
    out: TextIO | None = None,
    progress: TextIO | None = None,
) -> BenchReport:
    """Run the benchmark ``runs`` times, print the table to ``out`` and return the report.

    ``rss_records=0`` or ``large_records=0`` skip those parts; ``with_redis=False``
    skips the peer (and the ratios to it).  Temporary files go under
    ``work_dir`` (default: the system's temp dir) and are removed afterwards.

    Raises:
        BenchError: bad parameters, redis-server missing, or a system returned
            other data than it was given.
    """
    _check_parameters(records=records, batch_size=batch_size, runs=runs, key_size=key_size)
    out = sys.stdout if out is None else out
    say = _Progress(sys.stderr if progress is None else progress)
    base = Path(tempfile.mkdtemp(prefix="cdchub-bench-", dir=work_dir))
    try:
        params: dict[str, Any] = {
            "records": records,
            "key_size": key_size,
            "value_size": value_size,
            "batch_size": batch_size,
            "runs": runs,
            "with_redis": with_redis,
            "rss_records": rss_records,
            "large_records": large_records,
            "large_value_size": large_value_size,
        }
        report = BenchReport(_title(params), describe_machine(base), params, [], targets=_targets())
        say(f"generating {records:,} records ({key_size}-byte keys, {value_size}-byte values)")
        data = make_records(records, key_size, value_size)
        large = make_records(large_records, key_size, large_value_size, distinct_values=1024)
        for i in range(runs):
            run_dir = base / f"run-{i + 1}"
            say.prefix = f"[run {i + 1}/{runs}] "
            _one_run(report, run_dir, data, large, params, redis_server, say)
            shutil.rmtree(run_dir, ignore_errors=True)
        if with_redis:
            report.durability.append(redis_peer.DURABILITY)
        report.durability.append(RAW_DURABILITY)
        out.write(report.format_table())
        out.flush()
        return report
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _check_parameters(**values: int) -> None:
    for name, value in values.items():
        if value < 1:
            msg = f"{name} must be at least 1 (got {value})"
            raise BenchError(msg)


def _title(p: dict[str, Any]) -> str:
    return (
        f"cdchub log benchmark: {p['records']:,} records, {p['key_size']}-byte keys, "
        f"{p['value_size']}-byte values, batches of {p['batch_size']}, median of {p['runs']} runs"
    )


class _Progress:
    """Timestamped progress lines on stderr, so a long run shows it is alive."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.prefix = ""
        self.start = time.monotonic()

    def __call__(self, message: str) -> None:
        elapsed = time.monotonic() - self.start
        self.stream.write(f"{elapsed:7.1f}s {self.prefix}{message}\n")
        self.stream.flush()


def _one_run(
    report: BenchReport,
    run_dir: Path,
    data: Sequence[KeyValue],
    large: Sequence[KeyValue],
    params: dict[str, Any],
    redis_server: str,
    say: _Progress,
) -> None:
    say("cdchub produce + consume")
    produced, cpu = _log_round_trip(report, run_dir / "log", data, params["batch_size"])
    if not any(line.startswith("cdchub:") for line in report.durability):
        report.durability.append(log_side.describe_durability(produced.configs))
    say("raw write + read of the same bytes")
    raw_file = run_dir / "raw.bin"
    raw_io.prepare_write(run_dir, produced.log_bytes)
    write_s = raw_io.raw_write(raw_file, produced.log_bytes)
    read_s, read_bytes = raw_io.raw_read(raw_file)
    raw_file.unlink()
    report.add("raw write", "MB/s", produced.log_bytes / MB / write_s)
    report.add("raw read", "MB/s", read_bytes / MB / read_s)
    report.add("Log.append produce / raw write", "x", write_s / produced.seconds)
    if params["with_redis"]:
        say("Redis XADD + XREAD")
        redis_cpu = _redis_round_trip(
            report, run_dir / "redis", data, params["batch_size"], redis_server
        )
        for ratio, ours, theirs in (
            (PRODUCE_VS_REDIS, PRODUCE, REDIS_PRODUCE),
            (PRODUCE_KV_VS_REDIS, PRODUCE_KV, REDIS_PRODUCE),
            (CONSUME_VS_REDIS, CONSUME, REDIS_CONSUME),
        ):
            latest = report.figures[ours].samples[-1] / report.figures[theirs].samples[-1]
            report.add(ratio, "x", latest)
        report.add(PRODUCE_VS_REDIS_CPU, "x", redis_cpu[0] / cpu[0], note=CPU_NOTE)
        report.add(CONSUME_VS_REDIS_CPU, "x", redis_cpu[1] / cpu[1])
    if large:
        say(f"{len(large):,} records of {params['large_value_size']:,} bytes vs raw write")
        _large_values(
            report, run_dir / "large", large, params["key_size"], params["large_value_size"]
        )
    if params["rss_records"]:
        _peak_rss(report, run_dir / "rss", params, say)


def _log_round_trip(
    report: BenchReport, log_dir: Path, data: Sequence[KeyValue], batch_size: int
) -> tuple[log_side.ProduceResult, tuple[float, float]]:
    """Produce then consume ``data``; returns the produce result and (produce, consume) CPU s."""
    log = Log(log_dir)
    try:
        raw_io.prepare_write(log_dir, _size_estimate(data))
        cpu_start = time.process_time()  # all threads of this process: flusher included
        produced = log_side.produce(log, data, batch_size)
        cpu_produced = time.process_time()
        consume_s = log_side.consume(log, data)
        cpu_consumed = time.process_time()
        raw_io.prepare_write(log_dir, produced.log_bytes)
        columns = log_side.produce(log, data, batch_size, topic=TOPIC_KV, columns=True)
    finally:
        log.close()
    n = len(data)
    report.add(PRODUCE, "rec/s", n / produced.seconds)
    report.add(PRODUCE_KV, "rec/s", n / columns.seconds)
    report.add(
        "cdchub produce, Log.append, bytes on disk",
        "MB/s",
        produced.log_bytes / MB / produced.seconds,
    )
    report.add(CONSUME, "rec/s", n / consume_s)
    return produced, (cpu_produced - cpu_start, cpu_consumed - cpu_produced)


def _size_estimate(data: Sequence[KeyValue]) -> int:
    """About what storing ``data`` writes (record overhead included), for the warm-up."""
    return payload_bytes(data) + 16 * len(data) + (1 << 20)


def _redis_round_trip(
    report: BenchReport, directory: Path, data: Sequence[KeyValue], batch_size: int, executable: str
) -> tuple[float, float]:
    """XADD then XREAD ``data``; returns (produce, consume) CPU s of client plus server."""
    with redis_peer.RedisServer(executable, directory) as server:
        client = server.client()
        assert server.process is not None
        server_process = psutil.Process(server.process.pid)

        def cpu() -> float:
            times = server_process.cpu_times()
            return time.process_time() + times.user + times.system

        try:
            raw_io.prepare_write(directory, _size_estimate(data))
            cpu_start = cpu()
            produce_s = redis_peer.produce(client, data, batch_size)
            cpu_produced = cpu()
            consume_s, total, last = redis_peer.consume(client, len(data))
            cpu_consumed = cpu()
            peer = redis_peer.describe_client(client)
        finally:
            client.close()
    log_side.check_consumed("Redis", total, last, data)
    if not any(line.startswith("Redis peer:") for line in report.durability):
        report.durability.append(peer)
    report.add(REDIS_PRODUCE, "rec/s", len(data) / produce_s)
    report.add(REDIS_CONSUME, "rec/s", len(data) / consume_s)
    return cpu_produced - cpu_start, cpu_consumed - cpu_produced


def _large_values(
    report: BenchReport, directory: Path, large: Sequence[KeyValue], key_size: int, value_size: int
) -> None:
    per_batch = max(1, LARGE_BATCH_BYTES // (key_size + value_size + 32))
    log = Log(directory / "log")
    try:
        raw_io.prepare_write(directory, _size_estimate(large))
        produced = log_side.produce(log, large, per_batch)
    finally:
        log.close()
    raw_io.prepare_write(directory, produced.log_bytes)
    write_s = raw_io.raw_write(directory / "raw.bin", produced.log_bytes)
    report.add(LARGE_PRODUCE, "MB/s", produced.log_bytes / MB / produced.seconds)
    report.add(LARGE_RAW, "MB/s", produced.log_bytes / MB / write_s)
    report.add(LARGE_RATIO, "x", write_s / produced.seconds)
    shutil.rmtree(directory, ignore_errors=True)


def _peak_rss(report: BenchReport, directory: Path, params: dict[str, Any], say: _Progress) -> None:
    count = params["rss_records"]
    say(f"child process producing {count:,} records (peak RSS)")

    def tick(elapsed: float) -> None:
        if int(elapsed) % 10 == 0 and elapsed - int(elapsed) < 0.5:
            say(f"  ... child still producing, {elapsed:.0f}s")

    result = measure_peak_rss(
        directory, count, params["key_size"], params["value_size"], params["batch_size"], tick
    )
    report.add(
        RSS, "MB", result.peak_rss_bytes / MB, note=f"whole child process, {count:,} records"
    )
    report.add("cdchub produce, Log.append, RSS child", "rec/s", result.records / result.seconds)
    shutil.rmtree(directory, ignore_errors=True)
