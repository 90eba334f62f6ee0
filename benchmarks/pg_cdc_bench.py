"""PostgreSQL CDC source: streaming throughput, commit-to-log latency, snapshot rate.

Usage: ``python benchmarks/pg_cdc_bench.py [--stream-rows N] [--latency-seconds S]
[--snapshot-rows N] [--converter json|none] [--transport streaming|slot_functions]
[--compression none|snappy|lz4|zstd|gzip] [--warm-memory-mb MB] [--skip stream|latency|snapshot]
[--json PATH]``

Targets (issue #5): streaming >= 100,000 events/s and >= 0.3x the raw peek; latency p99 <=
50 ms at 2,000 tx/s; snapshot >= 200,000 rows/s and >= 0.25x COPY, peak RSS < 300 MB.

One private PostgreSQL (initdb in a temp dir) serves every phase; events go through the
connector (``PostgresCdcTask``), the converters and ``hub.core_log.Log`` in a temp dir, as the
runtime takes them: a columnar ``SourceRecordBatch`` (the snapshot's) converted column-wise,
appended with ``append_kv_spans`` and acknowledged with one ``commit_batch`` (snapshot chunks and
runs of streamed inserts/updates are such batches); a list of records
appended with ``append_columns`` and ``commit_record`` per record. The log is fsynced
(``Log.flush``) before offsets are committed and the slot confirmed, as the runtime does.
Peers measured in the same run: ``pg_logical_slot_peek_binary_changes`` over the same
changes (the source's own limit), ``pg_recvlogical`` and ``COPY (SELECT ...) TO STDOUT``
through psycopg; and, as the floor of any log here, writing as many new bytes as the log
holds to a fresh file.
The snapshot also reports rows per CPU second of the pipeline process, steadier than the
wall-clock rate when other work shares the machine; the stream its CPU per event.

Before each timed phase the benchmark writes and deletes ``--warm-memory-mb`` (default 1024) of
scratch data: on a virtual machine the first touch of each page of guest memory costs the host
a fault (~400 MB/s of new page cache against ~5 GB/s for pages used before), a cost a machine
that has been up for a while no longer pays. ``--warm-memory-mb 0`` measures a just-booted one.
"""

from __future__ import annotations

import argparse
import glob
import json
import multiprocessing
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from connectors.api import Converter, SourceRecord, SourceRecordBatch
from connectors.plugins import converter_from_config
from connectors.sources.postgres_cdc.task import PostgresCdcTask
from hub.config import tune_process
from hub.core_log import Log
from tests.fixtures.postgres import PostgresServer, postgres_bin_dir, running_postgres
from tests.support.sdk_harness import HarnessSourceTaskContext, MemoryOffsetStore
from workers.batching import batch_limit, batch_ranges
from workers.source_task import consume, metadata

#: configs of the topics the pipeline creates (``--compression`` sets compression.type, as a
#: connector's ``topic.creation.default.compression.type`` does)
TOPIC_CONFIGS: dict[str, str] = {}
#: megabytes of memory to touch before each timed phase (``--warm-memory-mb``)
WARM_MB = [1024]


def progress(msg: str) -> None:
    print(f"[pg-cdc-bench] {msg}", file=sys.stderr, flush=True)


class Pipeline:
    """poll -> converters -> the log -> commit_record / commit_batch, as the runtime does.

    Flush (and ``SourceTask.commit``) once a second.
    """

    def __init__(self, task: PostgresCdcTask, log: Log, converter: str) -> None:
        self.task, self.log = task, log
        self.key_conv = self.value_conv = None
        if converter == "json":
            self.key_conv = _json(True)
            self.value_conv = _json(False)
        self.topics: set[str] = set()
        self.limits: dict[str, int] = {}
        self.written = 0
        self.store = MemoryOffsetStore()
        self.on_append: Any = None

    def _encode(self, r: SourceRecord) -> tuple[bytes | None, bytes | None]:
        if self.value_conv is None:
            return repr(r.key).encode(), b"x" if r.value is not None else None
        assert self.key_conv is not None
        return (
            self.key_conv.from_connect_data(r.topic, r.key_schema, r.key),
            self.value_conv.from_connect_data(r.topic, r.value_schema, r.value),
        )

    def step(self) -> int:
        batch = self.task.poll() or []
        if type(batch) is SourceRecordBatch:
            return self._columns(batch)
        by_topic: dict[str, list[SourceRecord]] = {}
        for r in batch:
            by_topic.setdefault(r.topic, []).append(r)
        for topic, records in by_topic.items():
            self._topic(topic)
            for i in range(0, len(records), 500):  # as the runtime appends: columns, and
                part = records[i : i + 500]  # RecordMetadata per record for commit_record
                keys, values = zip(*map(self._encode, part), strict=True)
                stamps = [r.timestamp for r in part]
                positions = self.log.append_columns(topic, keys, values, timestamps=stamps)
                if self.on_append is not None:
                    self.on_append(part)
                consume(map(self.task.commit_record, part, metadata(topic, positions, stamps)))
        self.written += len(batch)
        return len(batch)

    def _columns(self, batch: SourceRecordBatch) -> int:
        """A columnar batch, as the runtime's ``_send_columns`` takes it."""
        topic, count = batch.topic, len(batch)
        self._topic(topic)
        keys: list[bytes | None]
        values: list[bytes | None]
        if self.key_conv is None or self.value_conv is None:  # the connector alone
            keys, values = [b"k"] * count, [b"x"] * count
        else:
            values = self.value_conv.from_connect_batch(topic, batch.value_schema, batch.values)
            keys = (
                [None] * count
                if batch.keys is None
                else self.key_conv.from_connect_batch(topic, batch.key_schema, batch.keys)
            )
        stamps = batch.timestamps
        for start, stop in batch_ranges(keys, values, self.limits[topic]):
            self.log.append_kv_spans(
                topic, keys[start:stop], values[start:stop],
                timestamps=None if stamps is None else stamps[start:stop],
            )  # fmt: skip
        if self.on_append is not None:
            self.on_append(batch)
        self.task.commit_batch(batch)
        self.written += count
        return count

    def _topic(self, topic: str) -> None:
        if topic not in self.topics:
            if not self.log.has_topic(topic):
                self.log.create_topic(topic, 1, TOPIC_CONFIGS)
            self.topics.add(topic)
            self.limits[topic] = batch_limit(self.log, topic)

    def commit(self) -> None:
        self.log.flush()
        self.task.commit()

    def run_until(self, count: int, timeout: float) -> float:
        start = time.perf_counter()
        deadline = time.monotonic() + timeout
        last_commit = time.monotonic()
        target = self.written + count
        while self.written < target:
            self.step()
            if time.monotonic() - last_commit > 1.0:
                self.commit()
                last_commit = time.monotonic()
            if time.monotonic() > deadline:
                msg = f"only {self.written} of {target} events after {timeout}s"
                raise RuntimeError(msg)
        self.commit()
        return time.perf_counter() - start


def _json(is_key: bool) -> Converter:
    prefix = "key.converter" if is_key else "value.converter"
    cfg = {
        prefix: "org.apache.kafka.connect.json.JsonConverter",
        f"{prefix}.schemas.enable": "false",
    }
    return converter_from_config(cfg, prefix, is_key=is_key)


def start_task(server: PostgresServer, db: str, **extra: str) -> PostgresCdcTask:
    config = {
        "database.hostname": "127.0.0.1", "database.port": str(server.port),
        "database.user": "postgres", "database.dbname": db, "topic.prefix": "bench",
        "poll.interval.ms": "20", "max.batch.size": "4096", **extra,
    }  # fmt: skip
    task = PostgresCdcTask()
    task.initialize(HarnessSourceTaskContext(config, MemoryOffsetStore()))
    task.start(config)
    return task


def sql(dsn: str, *statements: str) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = []
    with psycopg.connect(dsn, autocommit=True) as conn:
        for stmt in statements:
            cur = conn.execute(stmt)
            if cur.description:
                rows = cur.fetchall()
    return rows


def streaming(
    server: PostgresServer, rows: int, converter: str, work: Path, transport: str
) -> dict[str, Any]:
    dsn = server.dsn
    sql(dsn, "CREATE TABLE s (id int PRIMARY KEY, v int NOT NULL, note text)",
        "CREATE PUBLICATION bench_s FOR TABLE s",
        "SELECT pg_create_logical_replication_slot('raw_peek', 'pgoutput')",
        "SELECT pg_create_logical_replication_slot('raw_recv', 'pgoutput')")  # fmt: skip
    task = start_task(server, "postgres", **{
        "snapshot.mode": "no_data", "slot.name": "bench_s", "publication.name": "bench_s",
        "publication.autocreate.mode": "disabled", "replication.transport": transport})  # fmt: skip
    progress(f"workload: 1 transaction of {rows} inserts, then {rows} single-row updates")
    sql(dsn, f"INSERT INTO s SELECT g, 0, 'note ' || g FROM generate_series(1, {rows}) g")
    sql(dsn, f"DO $$ BEGIN FOR i IN 1..{rows} LOOP UPDATE s SET v = v + 1 WHERE id = i; "
             "COMMIT; END LOOP; END $$")  # fmt: skip
    events = 2 * rows
    start = time.perf_counter()
    sql(dsn, "SELECT count(*) FROM pg_logical_slot_peek_binary_changes('raw_peek', NULL, NULL, "
             "'proto_version', '1', 'publication_names', 'bench_s')")  # fmt: skip
    raw_s = time.perf_counter() - start
    progress(f"raw peek: {events / raw_s:,.0f} events/s")
    recv_s = _recvlogical(server)
    progress(f"pg_recvlogical (C client, to /dev/null): {events / recv_s:,.0f} events/s")
    warm_memory(work, WARM_MB[0])
    log = Log(work / "stream-log")
    try:
        pipe = Pipeline(task, log, converter)
        cpu_start = time.process_time()
        ours_s = pipe.run_until(events, timeout=600)
        cpu_s = time.process_time() - cpu_start
    finally:
        task.stop()
        log.close()
    progress(f"connector -> log: {events / ours_s:,.0f} events/s ({raw_s / ours_s:.3f}x peek; "
             f"{cpu_s / events * 1e6:.2f} µs of CPU per event, "
             f"busy {cpu_s / ours_s:.0%} of the time)")  # fmt: skip
    mb = _dir_bytes(work / "stream-log") / 1e6
    write_s = _write_seconds(int(mb * 1e6), work, WARM_MB[0])
    progress(f"the log holds {mb:,.0f} MB; writing as many new bytes alone takes {write_s:.2f} s "
             f"({write_s / ours_s:.0%} of the streaming time)")  # fmt: skip
    sql(dsn, "SELECT pg_drop_replication_slot('raw_peek')")
    return {"events": events, "raw_peek_events_per_s": events / raw_s,
            "ours_events_per_s": events / ours_s, "ratio_to_raw": raw_s / ours_s,
            "pg_recvlogical_events_per_s": events / recv_s, "log_mb": mb,
            "write_seconds": write_s, "streaming_seconds": ours_s}  # fmt: skip


def _recvlogical(server: PostgresServer) -> float:
    """Seconds pg_recvlogical takes to stream the same changes (the protocol's C-client pace)."""
    end = sql(server.dsn, "SELECT pg_current_wal_lsn()::text")[0][0]
    tool = _pgbench().replace("pgbench", "pg_recvlogical")
    start = time.perf_counter()
    subprocess.run([tool, "-h", "127.0.0.1", "-p", str(server.port), "-U", "postgres",
                    "-d", "postgres", "--slot", "raw_recv", "--start", "--no-loop",
                    "-o", "proto_version=1", "-o", "publication_names=bench_s", "-E", end,
                    "-f", "/dev/null"], check=True)  # fmt: skip
    seconds = time.perf_counter() - start
    sql(server.dsn, "SELECT pg_drop_replication_slot('raw_recv')")
    return seconds


def latency(
    server: PostgresServer, rate: int, seconds: int, converter: str, work: Path, transport: str
) -> dict[str, Any]:
    dsn = server.dsn
    sql(dsn, "CREATE TABLE lat (id bigserial PRIMARY KEY, v int)")
    task = start_task(server, "postgres", **{
        "snapshot.mode": "no_data", "slot.name": "bench_lat", "table.include.list": "public.lat",
        "replication.transport": transport})  # fmt: skip
    script = work / "lat.sql"
    script.write_text("INSERT INTO lat (v) VALUES (1);\n")
    bench = [_pgbench(), "-n", "-h", "127.0.0.1", "-p", str(server.port),
             "-U", "postgres", "-c", "4", "-j", "1", "-R", str(rate), "-T", str(seconds),
             "-f", str(script), "postgres"]  # fmt: skip
    lat_ms: list[float] = []

    def record(part: Sequence[SourceRecord]) -> None:
        now_us = time.time_ns() // 1000
        if type(part) is SourceRecordBatch:  # commit times are in the offsets' ts_usec
            if part.topic == "bench.public.lat":
                lat_ms.extend((now_us - o["ts_usec"]) / 1000 for o in part.source_offsets)
            return
        for r in part:
            if r.value is not None and r.topic == "bench.public.lat":
                lat_ms.append((now_us - r.value.get("source").get("ts_us")) / 1000)

    log = Log(work / "lat-log")
    pipe = Pipeline(task, log, converter)
    pipe.on_append = record
    proc = subprocess.Popen(bench, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        last = time.monotonic()
        while proc.poll() is None:
            pipe.step()
            if time.monotonic() - last > 1.0:
                pipe.commit()
                last = time.monotonic()
        total = sql(dsn, "SELECT count(*) FROM lat")[0][0]
        if len(lat_ms) < total:
            pipe.run_until(total - len(lat_ms), timeout=60)
    finally:
        proc.wait()
        task.stop()
        log.close()
    lat_ms.sort()

    def pick(q: float) -> float:
        return lat_ms[min(len(lat_ms) - 1, int(q * len(lat_ms)))]

    out = {"transactions": len(lat_ms), "tx_per_s": len(lat_ms) / seconds,
           "p50_ms": pick(0.50), "p99_ms": pick(0.99), "max_ms": lat_ms[-1]}  # fmt: skip
    progress(f"latency: {out}")
    return out


def _pgbench() -> str:
    found = shutil.which("pgbench") or str(postgres_bin_dir() / "pgbench")
    if not Path(found).exists():
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pgbench"))[-1]
    return found


def _snapshot_child(
    port: int,
    rows: int,
    converter: str,
    work: str,
    queue: Any,
    topic_configs: dict[str, str],
    warm_mb: int,
) -> None:
    TOPIC_CONFIGS.update(topic_configs)
    tune_process()  # what `hub up` does at startup
    server = PostgresServer(root=Path(work), port=port)
    task = start_task(server, "postgres", **{
        "slot.name": "bench_snap", "table.include.list": "public.snap",
        "publication.name": "bench_snap", "max.batch.size": "10240"})  # fmt: skip
    warm_memory(Path(work), warm_mb)
    log = Log(Path(work) / "snap-log")
    cpu_start = time.process_time()
    try:
        seconds = Pipeline(task, log, converter).run_until(rows, timeout=900)
        cpu = time.process_time() - cpu_start
    finally:
        task.stop()
        log.close()
    log_bytes = _dir_bytes(Path(work) / "snap-log")
    queue.put(
        {
            "seconds": seconds,
            "cpu_seconds": cpu,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "log_bytes": log_bytes,
            "write_seconds": _write_seconds(log_bytes, Path(work), warm_mb),
        }
    )


def _dir_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def warm_memory(work: Path, megabytes: int) -> None:
    """Write ``megabytes`` of new data to a scratch file and delete it.

    A virtual machine pays the host for the first touch of each page of guest memory; a
    long-running server has touched its memory long ago and its page cache reuses pages.
    Freed pages are handed out again first, so this makes the log's page-cache writes those of
    a machine that has been up for a while rather than one that just booted.
    """
    if megabytes <= 0:
        return
    path = work / "warm-memory"
    _write_new_file(path, megabytes << 20, b"\0" * (1 << 20))
    path.unlink()


def _write_new_file(path: Path, size: int, block: bytes, *, fsync: bool = False) -> None:
    """Write ``size`` bytes (``block`` over and over) to a new file at ``path``."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        for _ in range(size // len(block)):
            os.write(fd, block)
        os.write(fd, block[: size % len(block)])
        if fsync:
            os.fsync(fd)
    finally:
        os.close(fd)


def _write_seconds(size: int, work: Path, warm_mb: int) -> float:
    """Seconds to write ``size`` new bytes to a fresh file and fsync it: the log's floor.

    On a virtual machine the first write of a page of memory can cost far more than the
    copy (seen here: ~400 MB/s for new page-cache pages against GB/s for reused ones); this
    is what writing the log's bytes costs at the least, whoever writes them.
    """
    warm_memory(work, warm_mb)  # as before the timed phase it is compared with
    block = os.urandom(1 << 20)
    path = work / "write-limit"
    start = time.perf_counter()
    _write_new_file(path, size, block, fsync=True)
    seconds = time.perf_counter() - start
    path.unlink()
    return seconds


def snapshot(server: PostgresServer, rows: int, converter: str, work: Path) -> dict[str, Any]:
    dsn = server.dsn
    sql(dsn, "CREATE TABLE snap (id bigint PRIMARY KEY, n int, s text, t timestamptz)",
        "INSERT INTO snap SELECT g, g % 1000, md5(g::text), now() "
        f"FROM generate_series(1, {rows}) g",
        "VACUUM ANALYZE snap")  # fmt: skip
    start = time.perf_counter()
    query = "COPY (SELECT id, n, s, t FROM snap) TO STDOUT"
    with psycopg.connect(dsn) as conn, conn.cursor() as cur, cur.copy(query) as copy:
        size = sum(len(block) for block in copy)
    copy_s = time.perf_counter() - start
    progress(f"COPY TO STDOUT: {rows / copy_s:,.0f} rows/s ({size / 1e6:.0f} MB)")
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    child = ctx.Process(
        target=_snapshot_child,
        args=(server.port, rows, converter, str(work), queue, TOPIC_CONFIGS, WARM_MB[0]),
    )
    child.start()
    result = queue.get(timeout=1200)
    child.join()
    ours = rows / result["seconds"]
    per_cpu = rows / result["cpu_seconds"]
    progress(f"snapshot -> log: {ours:,.0f} rows/s ({copy_s / result['seconds']:.3f}x COPY; "
             f"{per_cpu:,.0f} rows per CPU second of the "
             f"pipeline process), peak RSS {result['peak_rss_mb']:.0f} MB")  # fmt: skip
    mb, write_s = result["log_bytes"] / 1e6, result["write_seconds"]
    share = write_s / result["seconds"]
    progress(f"the log holds {mb:,.0f} MB; writing as many new bytes alone takes {write_s:.2f} s "
             f"({mb / write_s:,.0f} MB/s, {share:.0%} of the snapshot's time)")  # fmt: skip
    return {"rows": rows, "copy_rows_per_s": rows / copy_s, "ours_rows_per_s": ours,
            "ours_rows_per_cpu_s": per_cpu,
            "ratio_to_copy": copy_s / result["seconds"],
            "peak_rss_mb": result["peak_rss_mb"], "log_mb": mb,
            "write_seconds": write_s, "snapshot_seconds": result["seconds"]}  # fmt: skip


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stream-rows", type=int, default=200_000)
    parser.add_argument("--latency-rate", type=int, default=2000)
    parser.add_argument("--latency-seconds", type=int, default=30)
    parser.add_argument("--snapshot-rows", type=int, default=1_000_000)
    parser.add_argument("--converter", choices=("json", "none"), default="json",
                        help="json: JsonConverter(schemas.enable=false) like a pipeline; "
                        "none: measure the connector alone")  # fmt: skip
    parser.add_argument("--compression", choices=("none", "lz4", "snappy", "zstd", "gzip"),
                        default="none", help="compression.type of the topics written")  # fmt: skip
    parser.add_argument("--transport", choices=("streaming", "slot_functions"),
                        default="streaming", help="replication.transport")  # fmt: skip
    parser.add_argument(
        "--skip", action="append", default=[], choices=("stream", "latency", "snapshot")
    )
    parser.add_argument("--warm-memory-mb", type=int, default=WARM_MB[0],
                        help="write and delete this many MB before each timed phase, so the "
                        "log's page cache reuses memory the VM has backed (0: a cold, "
                        "just-booted machine)")  # fmt: skip
    parser.add_argument("--json", help="write the figures here")
    args = parser.parse_args(argv)
    tune_process()  # the streaming phase's pipeline runs in this process: as `hub up` does
    results: dict[str, Any] = {"converter": args.converter, "transport": args.transport,
                               "compression": args.compression}  # fmt: skip
    TOPIC_CONFIGS["compression.type"] = args.compression
    WARM_MB[0] = args.warm_memory_mb
    work = Path(tempfile.mkdtemp(prefix="pg-cdc-bench-"))
    try:
        conf = {"max_wal_size": "4GB", "checkpoint_timeout": "30min", "synchronous_commit": "on"}
        with running_postgres(conf) as server:
            if "stream" not in args.skip:
                results["streaming"] = streaming(server, args.stream_rows, args.converter, work,
                                                 args.transport)  # fmt: skip
            if "latency" not in args.skip:
                results["latency"] = latency(server, args.latency_rate, args.latency_seconds,
                                             args.converter, work, args.transport)  # fmt: skip
            if "snapshot" not in args.skip:
                results["snapshot"] = snapshot(server, args.snapshot_rows, args.converter, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(results, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main(sys.argv[1:]))
