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
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    results = []
    if args.redis_records:
        results += bench_redis(args.redis_records, args.runs)
    if args.es_docs:
        results.append(bench_es(args.es_docs, args.runs))
    if args.json:
        args.json.write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2))


if __name__ == "__main__":
    main()
