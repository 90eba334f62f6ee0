"""replication.transport=slot_functions: the same records as streaming, crash-safe, idle-safe."""

from __future__ import annotations

import time
from typing import Any

import psycopg
import pytest

from connectors.api import ConnectError, SourceRecord, Struct
from connectors.sources.postgres_cdc import database as db
from connectors.sources.postgres_cdc.config import parse_config
from connectors.sources.postgres_cdc.database import temp_slot_name
from connectors.sources.postgres_cdc.replication import ReplicationConnection, ReplicationError
from connectors.sources.postgres_cdc.slot_functions import SlotFunctionReader
from tests.integration.postgres_cdc.conftest import PgDb, apply, key, op
from tests.integration.postgres_cdc.test_consistency import table_image
from tests.integration.postgres_cdc.test_incremental import SIGNAL, signal
from tests.support.sdk_harness import MemoryOffsetStore, ack, poll_for, poll_until

SF = {"replication.transport": "slot_functions"}


def _comparable(record: SourceRecord) -> tuple[Any, ...]:
    """A record without the "processed at" times (they differ between two tasks)."""
    stamp = None if record.topic.endswith(".message") else record.timestamp  # message: now
    value: Any = record.value
    if isinstance(value, Struct):
        value = value.to_dict()
        for field in ("ts_ms", "ts_us", "ts_ns"):
            value.pop(field, None)
    headers = [(h.key, h.value) for h in record.headers] if record.headers else []
    k = record.key.to_dict() if isinstance(record.key, Struct) else record.key
    return (record.topic, k, value, record.source_offset, headers, stamp)


def _id(record: SourceRecord) -> int:
    k = key(record)
    assert k is not None
    return int(k["id"])


def _confirmed(pgdb: PgDb, slot: str) -> str:
    row = pgdb.slot(slot)
    assert row is not None
    return str(row[1])


def _drain(task: Any, quiet: float = 0.4) -> list[SourceRecord]:
    got: list[SourceRecord] = []
    while batch := poll_for(task, quiet):
        got.extend(batch)
    return got


def test_same_records_as_streaming(pgdb: PgDb) -> None:
    pgdb.sql(
        "CREATE TABLE same (id int PRIMARY KEY, v int, note text)",
        "ALTER TABLE same REPLICA IDENTITY FULL",
        "CREATE TABLE same2 (id int PRIMARY KEY, v int)",
    )
    common = {"table.include.list": "public.same,public.same2", "snapshot.mode": "no_data",
              "skipped.operations": "none", "publication.autocreate.mode": "filtered"}  # fmt: skip
    streaming = pgdb.config(**{k.replace(".", "_"): v for k, v in common.items()})
    functions = {**pgdb.config(**{k.replace(".", "_"): v for k, v in common.items()}), **SF}
    tasks = [pgdb.start(streaming), pgdb.start(functions)]
    try:
        for task in tasks:
            assert poll_for(task, 0.2) == []
        pgdb.sql(
            "INSERT INTO same SELECT g, g, 'n' || g FROM generate_series(1, 300) g",
            "INSERT INTO same2 VALUES (1, 1), (2, 2)",
            "UPDATE same SET v = -v WHERE id % 7 = 0",
            "UPDATE same SET id = 1000 WHERE id = 5",
            "DELETE FROM same WHERE id BETWEEN 10 AND 20",
            "SELECT pg_logical_emit_message(true, 'app', 'in a transaction')",
            "SELECT pg_logical_emit_message(false, 'app', 'outside')",
            "TRUNCATE same2",
            "ALTER TABLE same2 ADD COLUMN extra text NOT NULL DEFAULT 'd'",
            "INSERT INTO same2 VALUES (3, 3, 'e')",
            "BEGIN; INSERT INTO same VALUES (2000, 0, 'x'); UPDATE same2 SET v = 0; "
            "DELETE FROM same WHERE id = 1; COMMIT",
        )
        got = [_drain(task) for task in tasks]
    finally:
        for task in tasks:
            task.stop()
    assert len(got[0]) > 300
    assert [_comparable(r) for r in got[1]] == [_comparable(r) for r in got[0]]


def test_restart_resumes_from_what_was_confirmed(pgdb: PgDb) -> None:
    pgdb.sql("CREATE TABLE rs (id int PRIMARY KEY, v int)")
    cfg = {
        **pgdb.config(table_include_list="public.rs", snapshot_mode="no_data", max_batch_size=10),
        **SF,
    }
    slot = cfg["slot.name"]
    store = MemoryOffsetStore()
    task = pgdb.start(cfg, store)
    assert poll_for(task, 0.2) == []
    pgdb.sql("INSERT INTO rs SELECT g, 0 FROM generate_series(1, 30) g")  # one transaction
    for g in range(31, 41):
        pgdb.sql(f"INSERT INTO rs VALUES ({g}, 0)")
    durable = poll_until(task, 20, exact=False)
    undurable = poll_until(task, 5, acknowledge=False, exact=False)
    task.stop()
    position = _confirmed(pgdb, slot)
    task = pgdb.start(cfg, store)
    try:
        again = poll_until(task, 40 - len(durable), acknowledge=False, exact=False)
        assert poll_for(task, 0.3, acknowledge=False) == []
        task.stop()  # nothing acknowledged: the durable slot must not have moved
        assert _confirmed(pgdb, slot) == position
        task = pgdb.start(cfg, store)
        replay = poll_until(task, len(again), exact=False)
        assert poll_for(task, 0.3) == []
    finally:
        task.stop()
    ids = [_id(r) for r in durable + again]
    assert sorted(ids) == list(range(1, 41)), "lost or doubled across the restart"
    assert [_id(r) for r in again[: len(undurable)]] == [_id(r) for r in undurable]
    assert [_id(r) for r in replay] == [_id(r) for r in again]
    assert _confirmed(pgdb, slot) > position


def test_idle_slot_advances_past_other_tables(pgdb: PgDb) -> None:
    pgdb.sql("CREATE TABLE calm (id int PRIMARY KEY)", "CREATE TABLE noisy (id serial PRIMARY KEY)")
    cfg = {**pgdb.config(table_include_list="public.calm", snapshot_mode="no_data",
                         publication_autocreate_mode="filtered"), **SF}  # fmt: skip
    task = pgdb.start(cfg)
    try:
        poll_for(task, 0.2)
        before = _confirmed(pgdb, cfg["slot.name"])
        for _ in range(10):
            pgdb.sql("INSERT INTO noisy DEFAULT VALUES")
        end = pgdb.sql("SELECT pg_current_wal_lsn()::text")[0][0]
        deadline = time.monotonic() + 5
        moved = False
        while not moved and time.monotonic() < deadline:
            assert poll_for(task, 0.1) == []
            moved = pgdb.sql(
                "SELECT confirmed_flush_lsn >= %s::pg_lsn FROM pg_replication_slots "
                "WHERE slot_name = %s",
                params=(end, cfg["slot.name"]),
            ) == [(True,)]
        assert moved, f"slot stayed at {_confirmed(pgdb, cfg['slot.name'])} (was {before})"
    finally:
        task.stop()


def test_reconnects_after_the_session_is_killed(pgdb: PgDb) -> None:
    pgdb.sql("CREATE TABLE kill (id int PRIMARY KEY)")
    cfg = {**pgdb.config(table_include_list="public.kill", snapshot_mode="no_data"), **SF}
    task = pgdb.start(cfg)
    try:
        poll_for(task, 0.2)
        pgdb.sql("INSERT INTO kill VALUES (1)")
        assert [_id(r) for r in poll_until(task, 1)] == [1]
        pgdb.sql(
            "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots "
            "WHERE slot_name = %s",
            params=(temp_slot_name(cfg["slot.name"]),),
        )
        pgdb.sql("INSERT INTO kill VALUES (2)")
        assert [_id(r) for r in poll_until(task, 1, timeout=10)] == [2]
        assert poll_for(task, 0.3) == []
    finally:
        task.stop()


def test_clear_errors(pgdb: PgDb) -> None:
    pgdb.sql(
        "DROP PUBLICATION IF EXISTS errpub",
        "CREATE PUBLICATION errpub",
        "SELECT pg_create_logical_replication_slot('err_slot', 'pgoutput')",
    )
    reader = SlotFunctionReader(pgdb.dsn, wait_s=0.3)
    try:
        with pytest.raises(ReplicationError, match='replication slot "nosuch" does not exist'):
            reader.start("nosuch", 0, "errpub")
        with pytest.raises(ReplicationError, match='publication "nopub" does not exist'):
            reader.start("err_slot", 0, "nopub")
        reader.start("err_slot", 0, "errpub")
        other = SlotFunctionReader(pgdb.dsn, wait_s=0.3)
        with pytest.raises(ConnectError, match=r"active for PID \d+ through its temporary copy"):
            other.start("err_slot", 0, "errpub")
        other.close()
    finally:
        reader.close()
    stream = ReplicationConnection(pgdb.dsn)
    try:
        stream.start("err_slot", 0, "errpub")
        reader = SlotFunctionReader(pgdb.dsn, wait_s=0.3)
        with pytest.raises(ConnectError, match=r"is active for PID \d+.*own slot.name"):
            reader.start("err_slot", 0, "errpub")
        reader.close()
    finally:
        stream.close()
    # a streaming task is refused while a reader holds the slot through its copy
    reader = SlotFunctionReader(pgdb.dsn, wait_s=0.3)
    try:
        reader.start("err_slot", 0, "errpub")
        cfg = parse_config(pgdb.config(slot_name="err_slot"))
        with psycopg.connect(pgdb.dsn) as conn, pytest.raises(ConnectError, match="active for PID"):
            db.wait_slot_free(conn, cfg, wait_s=0.3)
    finally:
        reader.close()
    # a walsender that starts while the reader runs: noticed when the reader next confirms
    reader = SlotFunctionReader(pgdb.dsn, wait_s=0.3)
    stream = ReplicationConnection(pgdb.dsn)
    try:
        reader.start("err_slot", 0, "errpub")
        stream.start("err_slot", 0, "errpub")
        pgdb.sql("SELECT pg_logical_emit_message(false, 'x', 'y')")
        deadline = time.monotonic() + 5
        while not reader.read_wire(0.1, 10) and time.monotonic() < deadline:
            pass
        with pytest.raises(ConnectError, match=r"is active for PID \d+.*own slot.name"):
            reader.confirm(reader.received_lsn)
            reader.send_status(force=True)
    finally:
        reader.close()
        stream.close()


def test_incremental_snapshot_over_slot_functions_ends_exact(pgdb: PgDb) -> None:
    """The signal path reads message by message (read_many); watermarks still close exactly."""
    pgdb.sql(SIGNAL, "CREATE TABLE incsf (id int PRIMARY KEY, v int)",
             "INSERT INTO incsf SELECT g, 0 FROM generate_series(1, 600) g")  # fmt: skip
    cfg = {**pgdb.config(table_include_list="public.incsf", snapshot_mode="no_data",
                         signal_data_collection="public.dbz_signal",
                         incremental_snapshot_chunk_size=100,
                         publication_autocreate_mode="filtered"), **SF}  # fmt: skip
    task = pgdb.start(cfg)
    records: list[SourceRecord] = []
    try:
        poll_for(task, 0.2)
        signal(pgdb, "sf-1", "execute-snapshot", {"data-collections": ["public.incsf"]})
        deadline = time.monotonic() + 20
        step, started = 0, False
        while time.monotonic() < deadline:  # changes while the chunks are read
            step += 1
            pgdb.sql(f"UPDATE incsf SET v = v + 1 WHERE id % 50 = {step % 50}",
                     f"INSERT INTO incsf VALUES ({1000 + step}, {step})",
                     f"DELETE FROM incsf WHERE id = {step * 7 % 600 + 1}")  # fmt: skip
            batch = list(task.poll() or [])
            ack(task, batch)
            records.extend(batch)
            started = started or task.incremental.state is not None
            if started and task.incremental.state is None:
                break
        assert started and task.incremental.state is None, "the snapshot did not finish"
        state: dict[Any, Any] = {}
        apply(state, records)
        image = table_image(pgdb, "incsf")
        while state != image and time.monotonic() < deadline:
            batch = poll_for(task, 0.2)
            records += batch
            apply(state, batch)
    finally:
        task.stop()
    assert state == image
    reads = [r for r in records if op(r) == "r"]
    assert len(reads) > 300
    assert {r.value.get("source").get("snapshot") for r in reads} == {"incremental"}
