"""Hand-off, crash/resume, heartbeats and reconnects: nothing lost, nothing doubled."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from typing import Any

import psycopg

from connectors.sources.postgres_cdc.task import PostgresCdcTask
from tests.fixtures.postgres import running_postgres
from tests.integration.postgres_cdc.conftest import PgDb, apply, key, make_db, op
from tests.support.sdk_harness import MemoryOffsetStore, ack, poll_for, poll_until


class Writer(threading.Thread):
    """Inserts new ids, updates and deletes random ones until stopped."""

    def __init__(self, dsn: str, table: str, first_id: int) -> None:
        super().__init__(daemon=True)
        self.dsn, self.table, self.next_id = dsn, table, first_id
        self.stop_event = threading.Event()
        self.inserted: list[int] = []

    def run(self) -> None:
        rnd = random.Random(7)
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            while not self.stop_event.is_set():
                conn.execute(f"INSERT INTO {self.table} VALUES (%s, 0)", (self.next_id,))
                self.inserted.append(self.next_id)
                self.next_id += 1
                target = rnd.randrange(1, self.next_id)
                conn.execute(f"UPDATE {self.table} SET v = v + 1 WHERE id = %s", (target,))
                if rnd.random() < 0.2:
                    conn.execute(
                        f"DELETE FROM {self.table} WHERE id = %s", (rnd.randrange(1, self.next_id),)
                    )

    def finish(self) -> None:
        self.stop_event.set()
        if self.ident is not None:
            self.join()


def table_image(db: PgDb, table: str) -> dict[Any, dict[str, Any]]:
    return {r[0]: {"id": r[0], "v": r[1]} for r in db.sql(f"SELECT id, v FROM {table}")}


def drain_until(task: PostgresCdcTask, state: dict[Any, Any], expected: dict[Any, Any],
                records: list[Any], timeout: float = 20) -> None:  # fmt: skip
    deadline = time.monotonic() + timeout
    while state != expected and time.monotonic() < deadline:
        batch = task.poll() or []
        ack(task, batch)
        records.extend(batch)
        apply(state, batch)
    assert state == expected


def test_snapshot_stream_handoff_under_concurrent_writes(pgdb: PgDb) -> None:
    pgdb.sql("CREATE TABLE hand (id int PRIMARY KEY, v int)",
             "INSERT INTO hand SELECT g, 0 FROM generate_series(1, 3000) g")  # fmt: skip
    writer = Writer(pgdb.dsn, "hand", 3001)
    writer.start()
    time.sleep(0.1)
    task = pgdb.start(pgdb.config(table_include_list="public.hand", snapshot_fetch_size=300))
    state: dict[Any, Any] = {}
    records: list[Any] = []
    try:
        for _ in range(15):
            batch = task.poll() or []
            ack(task, batch)
            records.extend(batch)
            apply(state, batch)
        writer.finish()
        image = table_image(pgdb, "hand")
        drain_until(task, state, image, records)
    finally:
        writer.finish()
        task.stop()
    assert len(writer.inserted) > 50, "the writer did not overlap the snapshot"
    births = Counter(key(r)["id"] for r in records if op(r) in ("r", "c"))
    assert max(births.values()) == 1, "a row was created twice"
    assert all(births[i] == 1 for i in image), "a surviving row never showed up"


def test_crash_mid_snapshot_resumes_from_last_durable_chunk(pgdb: PgDb) -> None:
    pgdb.sql("CREATE TABLE big (id int PRIMARY KEY, v int)",
             "INSERT INTO big SELECT g, 0 FROM generate_series(1, 1000) g")  # fmt: skip
    cfg = pgdb.config(table_include_list="public.big", snapshot_fetch_size=100)
    store = MemoryOffsetStore()
    task = pgdb.start(cfg, store)
    first = poll_until(task, 300)
    progress = task.progress()
    assert progress is not None and progress["phase"] == "snapshot"
    assert progress["done"] == 300 and progress["total"] >= 1000
    lost = task.poll() or []  # polled but never durable: the "crash" loses it
    assert len(lost) == 100
    task.stop()
    pgdb.sql("UPDATE big SET v = 1 WHERE id IN (50, 950)", "INSERT INTO big VALUES (1001, 0)")
    task = pgdb.start(cfg, store)
    try:
        state: dict[Any, Any] = {}
        apply(state, first)
        rest: list[Any] = []
        drain_until(task, state, table_image(pgdb, "big"), rest)
    finally:
        task.stop()
    assert key(rest[0])["id"] == 301, "the snapshot restarted instead of resuming"
    assert Counter(key(r)["id"] for r in first + rest if op(r) == "r").most_common(1)[0][1] == 1


def test_crash_mid_stream_redelivers_only_undurable_changes(pgdb: PgDb) -> None:
    pgdb.sql("CREATE TABLE st (id int PRIMARY KEY, v int)")
    cfg = pgdb.config(table_include_list="public.st", snapshot_mode="no_data", max_batch_size=10)
    store = MemoryOffsetStore()
    task = pgdb.start(cfg, store)
    assert poll_for(task, 0.2) == []
    pgdb.sql("INSERT INTO st SELECT g, 0 FROM generate_series(1, 30) g")  # one transaction
    for g in range(31, 41):
        pgdb.sql(f"INSERT INTO st VALUES ({g}, 0)")
    durable = poll_until(task, 20, exact=False)  # polls hold <= 10: ends inside the big tx or after
    undurable = poll_until(task, 5, acknowledge=False, exact=False)
    task.stop()
    task = pgdb.start(cfg, store)
    try:
        again = poll_until(task, 40 - len(durable), exact=False)
        assert poll_for(task, 0.3) == []
    finally:
        task.stop()
    ids = [key(r)["id"] for r in durable + again]
    assert sorted(ids) == list(range(1, 41)), "lost or doubled across the crash"
    assert [key(r)["id"] for r in again[: len(undurable)]] == [key(r)["id"] for r in undurable]


def test_idle_slot_advances_with_heartbeats(pgdb: PgDb) -> None:
    pgdb.sql("CREATE TABLE quiet (id int PRIMARY KEY)", "CREATE TABLE busy (id serial PRIMARY KEY)")
    cfg = pgdb.config(table_include_list="public.quiet", snapshot_mode="no_data",
                      heartbeat_interval_ms=100)  # fmt: skip
    cfg["heartbeat.action.query"] = "INSERT INTO busy DEFAULT VALUES"
    task = pgdb.start(cfg)
    try:
        poll_for(task, 0.3)
        start_lsn = pgdb.sql("SELECT pg_current_wal_lsn()")[0][0]
        for _ in range(20):
            pgdb.sql("INSERT INTO busy DEFAULT VALUES")
        beats = poll_for(task, 1.0)
        assert beats and {r.topic for r in beats} == {"__debezium-heartbeat.srv"}
        assert beats[0].key.to_dict() == {"serverName": "srv"}
        poll_for(task, 0.3)
        moved = pgdb.sql(
            "SELECT confirmed_flush_lsn > %s::pg_lsn FROM pg_replication_slots "
            "WHERE slot_name = %s",
            params=(start_lsn, cfg["slot.name"]),
        )
        assert moved == [(True,)]
        assert pgdb.sql("SELECT count(*) FROM busy")[0][0] > 20, "action query never ran"
        progress = task.progress()
        assert progress is not None and progress["phase"] == "streaming"
        assert progress["lag_bytes"] >= 0 and "events_per_s" in progress
    finally:
        task.stop()


def test_connection_drop_reconnects_and_resumes() -> None:
    with running_postgres() as server:
        db = make_db(server, "reconnect")
        db.sql("CREATE TABLE rc (id int PRIMARY KEY, v int)")
        task = db.start(db.config(table_include_list="public.rc", snapshot_mode="no_data"))
        try:
            poll_for(task, 0.2)
            db.sql("INSERT INTO rc VALUES (1, 0)")
            poll_until(task, 1)
            server.stop("immediate")  # the database crashes and comes back
            server.start()
            db.sql("INSERT INTO rc VALUES (2, 0)")
            got = poll_until(task, 1, timeout=20)
            assert key(got[0]) == {"id": 2}
            db.sql("SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots")
            db.sql("INSERT INTO rc VALUES (3, 0)")
            assert key(poll_until(task, 1, timeout=20)[0]) == {"id": 3}
        finally:
            task.stop()
