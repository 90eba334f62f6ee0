"""The headline scenario: PostgreSQL CDC -> log -> Elasticsearch and Redis at once, exact.

A real ``hub up`` process runs three connectors declared over REST, with the Kafka
Connect / Debezium class names users already write: the PostgreSQL CDC source, the
Elasticsearch sink (into the ES-compatible test server) and the Redis sink (hashes). A
random workload of inserts, updates (some leaving a large TOASTed column unchanged),
primary-key changes and deletes runs against the table while

1. the hub is killed with SIGKILL and restarted (changes keep coming while it is down),
2. Redis is stopped for 10 seconds and started again (the sink retries; nothing may go
   to the dead letter queue).

In the end every Elasticsearch document and every Redis hash equals the table's rows,
exactly, and both dead letter topics are empty.

The table keeps REPLICA IDENTITY DEFAULT, so updates that leave the large column alone
carry Debezium's TOAST placeholder, which the sinks must not write. That includes
primary-key changes: the create under the new key carries the placeholder while the value
is stored under the old key, which the sinks carry over (Redis COPY, Elasticsearch reads
the old document) before deleting it.
"""

from __future__ import annotations

import random
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
import redis
from elasticsearch import Elasticsearch

from connectors.sinks.redis.commands import field_text
from tests.fixtures.es_server import EsTestServer, running_es_server
from tests.fixtures.net import free_port
from tests.fixtures.postgres import PostgresServer
from tests.fixtures.process import HUB_SCRIPT, ChildProcess, wait_for_http
from tests.integration.sinks.support import RestartableRedis

pytestmark = pytest.mark.slow

TOPIC = "shop.public.items"
Table = dict[int, dict[str, Any]]


class Workload:
    """Random changes to ``items``; the table itself is the truth compared at the end."""

    def __init__(self, dsn: str, seed: int = 6) -> None:
        self.dsn = dsn
        self.rng = random.Random(seed)
        self.next_id = 1
        self.ids: list[int] = []
        self.toasted: set[int] = set()  # rows with a large (TOASTed) note, by current id
        self.moved: set[int] = set()  # TOASTed rows whose primary key changed, by new id

    def run(self, changes: int, spread_s: float = 0.0) -> None:
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            for _ in range(changes):
                with conn.transaction():
                    for _ in range(self.rng.randint(1, 3)):
                        self._one(conn)
                if spread_s:
                    time.sleep(spread_s / changes)

    def _one(self, conn: psycopg.Connection[Any]) -> None:
        rng, choice = self.rng, self.rng.random()
        if choice < 0.35 or len(self.ids) < 5:
            big = rng.random() < 0.2  # stored out of line (TOAST): unchanged -> placeholder
            note = rng.randbytes(6000).hex() if big else rng.choice([None, "short note"])
            values = (self.next_id, f"n{rng.randint(0, 999)}", rng.randint(0, 10**15), note)
            conn.execute("INSERT INTO items VALUES (%s, %s, %s, %s)", values)
            if big:
                self.toasted.add(self.next_id)
            self.ids.append(self.next_id)
            self.next_id += 1
        elif choice < 0.75:
            i = rng.choice(self.ids)
            conn.execute("UPDATE items SET name = %s, qty = qty + 1 WHERE id = %s",
                         (f"u{rng.randint(0, 999)}", i))  # fmt: skip
        elif choice < 0.88:
            i = self.ids.pop(rng.randrange(len(self.ids)))
            conn.execute("DELETE FROM items WHERE id = %s", (i,))
        else:  # a primary-key change, TOASTed rows included
            i = self.ids.pop(rng.randrange(len(self.ids)))
            conn.execute("UPDATE items SET id = %s WHERE id = %s", (self.next_id, i))
            if i in self.toasted:
                self.toasted.add(self.next_id)
                self.moved.add(self.next_id)
            self.ids.append(self.next_id)
            self.next_id += 1

    def table(self) -> Table:
        with psycopg.connect(self.dsn) as conn:
            rows = conn.execute("SELECT id, name, qty, note FROM items").fetchall()
        return {r[0]: {"id": r[0], "name": r[1], "qty": r[2], "note": r[3]} for r in rows}


@pytest.fixture
def database(postgres: PostgresServer) -> Iterator[str]:
    name = "e2e_search_cache"
    with psycopg.connect(postgres.dsn, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")
    dsn = f"host=127.0.0.1 port={postgres.port} user=postgres dbname={name}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE items (id int PRIMARY KEY, name text, qty bigint, note text)")
    yield name
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
                     "WHERE NOT active")  # fmt: skip


def _connectors(pg: PostgresServer, db: str, es: str, rds: str) -> dict[str, dict[str, str]]:
    common = {"topics": TOPIC, "errors.tolerance": "all", "offset.flush.interval.ms": "1000"}
    return {
        "pg-items": {
            "connector.class": "io.debezium.connector.postgresql.PostgresConnector",
            "database.hostname": "127.0.0.1", "database.port": str(pg.port),
            "database.user": "postgres", "database.dbname": db, "topic.prefix": "shop",
            "table.include.list": "public.items", "slot.name": "e2e_items",
            "publication.name": "e2e_items", "poll.interval.ms": "50",
        },
        "items-search": {
            **common, "connector.class":
                "io.confluent.connect.elasticsearch.ElasticsearchSinkConnector",
            "connection.url": es, "behavior.on.null.values": "delete",
            "errors.deadletterqueue.topic.name": "dlq-search",
        },
        "items-cache": {
            **common, "connector.class": "com.redis.kafka.connect.RedisSinkConnector",
            "redis.uri": rds, "redis.type": "HASH",
            "errors.deadletterqueue.topic.name": "dlq-cache",
        },
    }  # fmt: skip


def _start_hub(data: Path, port: int) -> ChildProcess:
    child = ChildProcess([HUB_SCRIPT, "up", "--data-dir", str(data), "--port", str(port),
                          "--log-level", "warning"])  # fmt: skip
    wait_for_http(f"http://127.0.0.1:{port}/", child=child)
    return child


def _es_state(es: EsTestServer) -> Table:
    client = Elasticsearch(es.url)
    if not client.indices.exists(index=TOPIC):
        return {}
    client.indices.refresh(index=TOPIC)
    hits = client.search(index=TOPIC, query={"match_all": {}}, size=10_000)["hits"]["hits"]
    return {int(h["_id"]): h["_source"] for h in hits}


def _redis_state(url: str) -> dict[int, dict[str, str]]:
    client = redis.Redis.from_url(url, decode_responses=True)
    try:
        return {int(k.rsplit(":", 1)[1]): client.hgetall(k)
                for k in client.scan_iter(f"{TOPIC}:*", count=1000)}  # fmt: skip
    except redis.ConnectionError:
        return {}
    finally:
        client.close()


def _as_hashes(table: Table) -> dict[int, dict[str, str]]:
    return {i: {k: str(field_text(v)) for k, v in r.items() if v is not None}
            for i, r in table.items()}  # fmt: skip


def _wait_exact(work: Workload, es: EsTestServer, rds: str, child: ChildProcess) -> Table:
    table = work.table()
    deadline = time.monotonic() + 120
    while True:
        in_es, in_redis, hashes = _es_state(es), _redis_state(rds), _as_hashes(table)
        if in_es == table and in_redis == hashes:
            return table
        if time.monotonic() > deadline:
            raise AssertionError(
                f"not converged after 120 s: {_diff(table, in_es)} in Elasticsearch, "
                f"{_diff(hashes, in_redis)} in Redis\n{child.text[-3000:]}"
            )
        time.sleep(0.5)


def _diff(want: dict[int, Any], got: dict[int, Any]) -> str:
    missing = sorted(set(want) - set(got))
    extra = sorted(set(got) - set(want))
    wrong = sorted(i for i in set(want) & set(got) if want[i] != got[i])
    sample = {i: (want[i], got[i]) for i in wrong[:2]}
    return f"missing {missing[:10]}, extra {extra[:10]}, wrong {wrong[:10]} e.g. {sample}"


def _dead_letters(client: httpx.Client, topic: str) -> int:
    found = client.get(f"/topics/{topic}")
    if found.status_code == 404:
        return 0
    return sum(p["end_offset"] - p["beginning_offset"] for p in found.json()["partitions"])


def test_table_search_index_and_cache_stay_exact(
    postgres: PostgresServer, database: str, tmp_path: Path
) -> None:
    work = Workload(f"host=127.0.0.1 port={postgres.port} user=postgres dbname={database}")
    work.run(150)  # some rows exist before the connector starts: they come from the snapshot
    cache = RestartableRedis("--appendonly", "yes", "--appendfsync", "always")
    port, data = free_port(), tmp_path / "hub"
    url = f"http://127.0.0.1:{port}"
    with running_es_server() as es:
        child = _start_hub(data, port)
        try:
            with httpx.Client(base_url=url, timeout=30) as client:
                for name, config in _connectors(postgres, database, es.url, cache.url).items():
                    resp = client.post("/connectors", json={"name": name, "config": config})
                    assert resp.status_code == 201, resp.text
            work.run(200, spread_s=2.0)
            child.signal_group(signal.SIGKILL)  # 1. kill -9 mid-stream
            child.wait()
            work.run(100)
            child = _start_hub(data, port)
            work.run(100, spread_s=1.0)
            cache.stop()  # 2. Redis down for 10 s while changes keep coming
            work.run(150, spread_s=10.0)
            cache.start()
            work.run(100, spread_s=1.0)
            table = _wait_exact(work, es, cache.url, child)
            with httpx.Client(base_url=url, timeout=30) as client:
                assert _dead_letters(client, "dlq-search") == 0
                assert _dead_letters(client, "dlq-cache") == 0
                states = client.get("/connectors?expand=status").json()
                tasks = {n: s["status"]["tasks"][0]["state"] for n, s in states.items()}
                assert set(tasks.values()) == {"RUNNING"}, tasks
        finally:
            child.stop()
            cache.close()
    assert len(table) > 100 and any(r["note"] and len(r["note"]) > 4000 for r in table.values())
    assert any(i in table for i in work.moved), "no TOASTed row with a changed key survived"
