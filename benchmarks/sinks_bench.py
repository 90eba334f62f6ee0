"""Sink benchmark: the Redis and Elasticsearch sinks against their clients' own fast paths.

One run, same data, same servers:

* **Redis** (hash and string modes): 500,000 records through ``RedisSinkTask.put`` in
  batches of 1,000, vs a plain redis-py pipeline writing the same keys and values
  (``HSET key mapping`` / ``SET key json``) in batches of 1,000. Target ratio >= 0.8.
* **Elasticsearch**: 200,000 documents through ``ElasticsearchSinkTask.put`` (batches of
  2,000, external versioning on) vs ``elasticsearch.helpers.bulk`` (chunks of 2,000) with
  the same documents against the same endpoint - the ES-compatible test server in a child
  process (tests/fixtures/es_server.py; Elasticsearch is not installable here).
  Target ratio >= 0.8.
* **PostgreSQL -> Redis latency**: a real ``hub up`` process runs the PostgreSQL CDC source
  and the Redis sink (HASH); one-row transactions are committed at 1,000 tx/s, and the
  time from each commit returning to its key's keyspace notification in Redis is measured.
  Target p99 <= 100 ms.

Each side runs twice, alternating, and the best of each counts (the box is shared).
Usage: ``.venv/bin/python benchmarks/sinks_bench.py [--redis-records N] [--es-docs N]``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from connectors.api import SinkRecord  # noqa: E402
from connectors.sinks.elasticsearch.task import ElasticsearchSinkTask  # noqa: E402
from connectors.sinks.redis.task import RedisSinkTask  # noqa: E402
from tests.fixtures.net import free_port, wait_for_port  # noqa: E402
from tests.fixtures.redis import start_redis  # noqa: E402
from tests.support.sdk_harness import HarnessSinkTaskContext  # noqa: E402

TARGET_RATIO = 0.8


def make_rows(count: int) -> list[dict[str, Any]]:
    return [{"id": i, "name": f"user{i}", "email": f"user{i}@example.com", "score": i % 1000,
             "balance": i / 7} for i in range(count)]  # fmt: skip


def make_records(topic: str, rows: list[dict[str, Any]]) -> list[SinkRecord]:
    return [SinkRecord(topic, 0, None, r["id"], None, r, kafka_offset=i)
            for i, r in enumerate(rows)]  # fmt: skip


def best_of(runs: int, fn: Callable[[], float]) -> float:
    return min(fn() for _ in range(runs))


def start_task(cls: type[Any], config: dict[str, str]) -> Any:
    task = cls()
    task.initialize(HarnessSinkTaskContext(config))
    task.start(config)
    return task


# -- Redis -----------------------------------------------------------------------------------


def redis_baseline(url: str, kind: str, rows: list[dict[str, Any]], batch: int) -> float:
    import redis

    client = redis.Redis.from_url(url)
    client.flushall()
    started = time.perf_counter()
    for i in range(0, len(rows), batch):
        pipe = client.pipeline(transaction=False)
        for r in rows[i : i + batch]:
            if kind == "HASH":
                pipe.hset(f"bench:{r['id']}", mapping=r)
            else:
                pipe.set(f"bench:{r['id']}", orjson.dumps(r))
        pipe.execute()
    elapsed = time.perf_counter() - started
    assert client.dbsize() == len(rows), "baseline wrote a different number of keys"
    client.close()
    return elapsed


def redis_sink(url: str, kind: str, records: list[SinkRecord], batch: int) -> float:
    import redis

    client = redis.Redis.from_url(url)
    client.flushall()
    task = start_task(RedisSinkTask, {"redis.uri": url, "redis.type": kind})
    started = time.perf_counter()
    for i in range(0, len(records), batch):
        task.put(records[i : i + batch])
    task.flush({})
    elapsed = time.perf_counter() - started
    task.stop()
    assert client.dbsize() == len(records), "the sink wrote a different number of keys"
    client.close()
    return elapsed


def bench_redis(count: int, runs: int) -> list[dict[str, Any]]:
    rows = make_rows(count)
    records = make_records("bench", rows)
    server = start_redis()
    results = []
    try:
        for kind in ("HASH", "STRING"):
            base = sink = float("inf")
            for _ in range(runs):
                base = min(base, redis_baseline(server.url, kind, rows, 1000))
                sink = min(sink, redis_sink(server.url, kind, records, 1000))
            results.append(report(f"Redis {kind.lower()}", count, base, sink, "redis-py pipeline"))
    finally:
        server.stop()
    return results


# -- Elasticsearch ---------------------------------------------------------------------------


def es_server() -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.fixtures.es_server", "--port", str(port)], cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    wait_for_port("127.0.0.1", port)
    return process, f"http://127.0.0.1:{port}"


def es_baseline(url: str, index: str, rows: list[dict[str, Any]]) -> float:
    from elasticsearch import Elasticsearch, helpers

    client = Elasticsearch(url, request_timeout=120)
    actions = ({"_index": index, "_id": str(r["id"]), "_source": r} for r in rows)
    started = time.perf_counter()
    ok, errors = helpers.bulk(client, actions, chunk_size=2000, max_chunk_bytes=5 << 20)
    elapsed = time.perf_counter() - started
    assert ok == len(rows) and not errors
    client.close()
    return elapsed


def es_sink(url: str, topic: str, records: list[SinkRecord]) -> float:
    task = start_task(ElasticsearchSinkTask, {"connection.url": url, "read.timeout.ms": "120000"})
    started = time.perf_counter()
    for i in range(0, len(records), 2000):
        task.put(records[i : i + 2000])
    task.flush({})
    elapsed = time.perf_counter() - started
    assert task.sender.stats.written == len(records), task.sender.stats
    task.stop()
    return elapsed


def bench_es(count: int, runs: int) -> dict[str, Any]:
    rows = make_rows(count)
    process, url = es_server()
    base = sink = float("inf")
    try:
        for run in range(runs):
            base = min(base, es_baseline(url, f"base-{run}", rows))
            sink = min(sink, es_sink(url, f"sink-{run}", make_records(f"sink-{run}", rows)))
    finally:
        process.terminate()
        process.wait(10)
    return report("Elasticsearch", count, base, sink, "helpers.bulk")


# -- PostgreSQL -> Redis latency -------------------------------------------------------------


def _pg_setup(pg: Any) -> str:
    import psycopg

    with psycopg.connect(pg.dsn, autocommit=True) as conn:
        conn.execute("CREATE DATABASE bench")
    dsn = f"host=127.0.0.1 port={pg.port} user=postgres dbname=bench"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE ticks (id int PRIMARY KEY, note text)")
    return dsn


def _connect_pipeline(url: str, pg: Any, redis_url: str) -> None:
    import httpx

    source = {"connector.class": "io.debezium.connector.postgresql.PostgresConnector",
              "database.hostname": "127.0.0.1", "database.port": str(pg.port),
              "database.user": "postgres", "database.dbname": "bench", "topic.prefix": "b",
              "table.include.list": "public.ticks", "poll.interval.ms": "5",
              "snapshot.mode": "no_data"}  # fmt: skip
    sink = {"connector.class": "com.redis.kafka.connect.RedisSinkConnector",
            "topics": "b.public.ticks", "redis.uri": redis_url, "redis.type": "HASH"}  # fmt: skip
    with httpx.Client(base_url=url, timeout=30) as client:
        for name, config in (("pg", source), ("cache", sink)):
            resp = client.post("/connectors", json={"name": name, "config": config})
            resp.raise_for_status()


def _watch_keys(redis_url: str, seen: dict[str, float], stop: Any) -> None:
    """Record when each key is first written (keyspace notifications, own clock)."""
    import redis

    client = redis.Redis.from_url(redis_url)
    client.config_set("notify-keyspace-events", "Kh")
    pubsub = client.pubsub()
    pubsub.psubscribe("__keyspace@0__:b.public.ticks:*")
    while not stop.is_set():
        message = pubsub.get_message(timeout=0.1)
        if message and message["type"] == "pmessage":
            key = message["channel"].decode().split(":", 1)[1]
            seen.setdefault(key, time.perf_counter())
    pubsub.close()
    client.close()


def _commit_at_rate(
    dsn: str, rate: int, seconds: float, committed: dict[str, float], first: int = 0
) -> None:
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        start = time.perf_counter()
        for i in range(int(rate * seconds)):
            due = start + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            conn.execute("INSERT INTO ticks VALUES (%s, 'x')", (first + i,))
            committed[f"b.public.ticks:{first + i}"] = time.perf_counter()


def bench_latency(rate: int, seconds: float) -> dict[str, Any]:
    import tempfile
    import threading

    from tests.fixtures.postgres import running_postgres
    from tests.fixtures.process import HUB_SCRIPT, ChildProcess, wait_for_http

    server = start_redis()
    seen: dict[str, float] = {}
    committed: dict[str, float] = {}
    stop = threading.Event()
    watcher = threading.Thread(target=_watch_keys, args=(server.url, seen, stop), daemon=True)
    watcher.start()
    try:
        # synchronous_commit=on: WAL is flushed at commit, so the walsender sends it at once
        # (the test fixture turns it off; then changes wait for the WAL writer, up to 200 ms).
        pg_conf = {"synchronous_commit": "on"}
        with running_postgres(pg_conf) as pg, tempfile.TemporaryDirectory() as data:
            dsn = _pg_setup(pg)
            port = free_port()
            hub = ChildProcess([HUB_SCRIPT, "up", "--data-dir", data, "--port", str(port),
                                "--log-level", "warning"])  # fmt: skip
            try:
                wait_for_http(f"http://127.0.0.1:{port}/", child=hub)
                _connect_pipeline(f"http://127.0.0.1:{port}", pg, server.url)
                _commit_at_rate(
                    dsn, 20, 2.0, {}, first=-1000
                )  # warm-up: the slot and tasks are running
                time.sleep(2.0)
                with_warmup = len(seen)
                _commit_at_rate(dsn, rate, seconds, committed)
                deadline = time.monotonic() + 30
                while len(seen) < with_warmup + len(committed) and time.monotonic() < deadline:
                    time.sleep(0.1)
            finally:
                hub.stop()
    finally:
        stop.set()
        watcher.join(5)
        server.stop()
    return latency_report(rate, committed, seen)


def latency_report(rate: int, committed: dict[str, float],
                   seen: dict[str, float]) -> dict[str, Any]:  # fmt: skip
    latencies = sorted((seen[k] - t) * 1000 for k, t in committed.items() if k in seen)
    if not latencies:
        print("PG -> Redis      no key became visible", flush=True)
        return {"name": "PG -> Redis latency", "visible": 0}
    p50 = latencies[len(latencies) // 2]
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    verdict = "OK" if p99 <= 100 and len(latencies) == len(committed) else "MISS"
    print(f"PG -> Redis      {len(latencies)}/{len(committed)} keys at {rate} tx/s: "
          f"p50 {p50:.1f} ms  p99 {p99:.1f} ms  max {latencies[-1]:.1f} ms "
          f"(target p99 <= 100 ms) {verdict}", flush=True)  # fmt: skip
    return {"name": "PG -> Redis latency", "rate": rate, "visible": len(latencies),
            "committed": len(committed), "p50_ms": p50, "p99_ms": p99}  # fmt: skip


def report(name: str, count: int, base: float, sink: float, peer: str) -> dict[str, Any]:
    ratio = (count / sink) / (count / base)
    verdict = "OK" if ratio >= TARGET_RATIO else "MISS"
    print(f"{name:<16} sink {count / sink:>10,.0f} rec/s   {peer} {count / base:>10,.0f} rec/s   "
          f"ratio {ratio:.2f} (target >= {TARGET_RATIO}) {verdict}", flush=True)  # fmt: skip
    return {"name": name, "records": count, "sink_rate": count / sink,
            "peer": peer, "peer_rate": count / base, "ratio": ratio}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--redis-records", type=int, default=500_000)
    parser.add_argument("--es-docs", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument(
        "--latency-seconds", type=float, default=10.0,
        help="seconds at 1,000 tx/s for the PG -> Redis latency; 0 skips",
    )  # fmt: skip
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    results = []
    if args.redis_records:
        results += bench_redis(args.redis_records, args.runs)
    if args.es_docs:
        results.append(bench_es(args.es_docs, args.runs))
    if args.latency_seconds:
        results.append(bench_latency(1000, args.latency_seconds))
    if args.json:
        args.json.write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2))


if __name__ == "__main__":
    main()
