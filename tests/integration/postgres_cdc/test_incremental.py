"""Incremental snapshots driven by the signal table, merged with the stream by watermarks."""

from __future__ import annotations

import json
import time
from typing import Any

from connectors.sources.postgres_cdc.task import PostgresCdcTask
from tests.integration.postgres_cdc.conftest import PgDb, apply, op
from tests.integration.postgres_cdc.test_consistency import Writer, table_image
from tests.support.sdk_harness import MemoryOffsetStore, ack, poll_for

SIGNAL = (
    "CREATE TABLE IF NOT EXISTS dbz_signal "
    "(id varchar(42) PRIMARY KEY, type varchar(32) NOT NULL, data varchar(2048))"
)


def signal(db: PgDb, sid: str, kind: str, data: dict[str, Any]) -> None:
    db.sql("INSERT INTO dbz_signal VALUES (%s, %s, %s)", params=(sid, kind, json.dumps(data)))


def run_until_done(task: PostgresCdcTask, timeout: float = 30) -> list[Any]:
    out: list[Any] = []
    deadline = time.monotonic() + timeout
    started = False
    while time.monotonic() < deadline:
        batch = task.poll() or []
        ack(task, batch)
        out.extend(batch)
        started = started or task.incremental.state is not None
        if started and task.incremental.state is None:
            return out
    raise AssertionError("incremental snapshot did not finish")


def test_incremental_snapshot_with_concurrent_updates_ends_exact(pgdb: PgDb) -> None:
    pgdb.sql(SIGNAL, "CREATE TABLE inc (id int PRIMARY KEY, v int)",
             "INSERT INTO inc SELECT g, 0 FROM generate_series(1, 2000) g")  # fmt: skip
    cfg = pgdb.config(table_include_list="public.inc", snapshot_mode="no_data",
                      signal_data_collection="public.dbz_signal",
                      incremental_snapshot_chunk_size=250,
                      publication_autocreate_mode="filtered")  # fmt: skip
    task = pgdb.start(cfg)
    writer = Writer(pgdb.dsn, "inc", 2001)
    try:
        poll_for(task, 0.2)
        writer.start()
        signal(pgdb, "sig-1", "execute-snapshot", {"data-collections": ["public.inc"]})
        records = run_until_done(task)
        writer.finish()
        state: dict[Any, Any] = {}
        apply(state, records)
        image = table_image(pgdb, "inc")
        deadline = time.monotonic() + 10
        while state != image and time.monotonic() < deadline:
            batch = poll_for(task, 0.2)
            records += batch
            apply(state, batch)
    finally:
        writer.finish()
        task.stop()
    assert state == image
    reads = [r for r in records if op(r) == "r"]
    assert len(reads) > 1000
    assert {r.value.get("source").get("snapshot") for r in reads} == {"incremental"}
    assert not [r for r in records if r.topic.endswith("dbz_signal")]


def test_additional_conditions_and_resume_after_restart(pgdb: PgDb) -> None:
    pgdb.sql(SIGNAL,
             "CREATE TABLE part (id int PRIMARY KEY, color text)",
             "INSERT INTO part SELECT g, CASE WHEN g % 2 = 0 THEN 'blue' ELSE 'red' END "
             "FROM generate_series(1, 400) g")  # fmt: skip
    cfg = pgdb.config(table_include_list="public.part", snapshot_mode="no_data",
                      signal_data_collection="public.dbz_signal",
                      incremental_snapshot_chunk_size=50)  # fmt: skip
    store = MemoryOffsetStore()
    task = pgdb.start(cfg, store)
    poll_for(task, 0.2)
    signal(pgdb, "sig-2", "execute-snapshot", {
        "data-collections": ["public.part"],
        "additional-conditions": [{"data-collection": "public.part", "filter": "color = 'blue'"}],
    })  # fmt: skip
    first: list[Any] = []
    while len([r for r in first if op(r) == "r"]) < 75:
        batch = task.poll() or []
        ack(task, batch)
        first.extend(batch)
    task.stop()
    task = pgdb.start(cfg, store)
    try:
        rest = run_until_done(task)
    finally:
        task.stop()
    ids = [r.key.to_dict()["id"] for r in first + rest if op(r) == "r"]
    assert set(ids) == set(range(2, 401, 2)), "only blue rows, all of them"
    assert len(ids) < 250, "resumed rather than restarted"


def test_stop_snapshot_signal(pgdb: PgDb) -> None:
    pgdb.sql(SIGNAL, "CREATE TABLE stopme (id int PRIMARY KEY)",
             "INSERT INTO stopme SELECT g FROM generate_series(1, 500) g")  # fmt: skip
    cfg = pgdb.config(table_include_list="public.stopme", snapshot_mode="no_data",
                      signal_data_collection="public.dbz_signal",
                      incremental_snapshot_chunk_size=20)  # fmt: skip
    task = pgdb.start(cfg)
    try:
        poll_for(task, 0.2)
        signal(pgdb, "go", "execute-snapshot", {"data-collections": ["public.stopme"]})
        got: list[Any] = []
        while len(got) < 20:
            batch = task.poll() or []
            ack(task, batch)
            got.extend(batch)
        signal(pgdb, "halt", "stop-snapshot", {"type": "INCREMENTAL"})
        got += poll_for(task, 1.0)
        assert task.incremental.state is None
        assert 20 <= len([r for r in got if op(r) == "r"]) < 500
    finally:
        task.stop()
