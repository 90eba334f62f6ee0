"""Snapshot, stream, envelope and offsets against a real PostgreSQL."""

from __future__ import annotations

import hashlib

from connectors.api import Struct
from tests.integration.postgres_cdc.conftest import PgDb, after, before, key, op
from tests.support.sdk_harness import MemoryOffsetStore, poll_for, poll_until


def test_snapshot_then_stream_envelope(pgdb: PgDb) -> None:
    pgdb.sql(
        "CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, qty int)",
        "INSERT INTO items VALUES (1, 'a', 10), (2, 'b', NULL)",
    )
    cfg = pgdb.config(table_include_list="public.items")
    task = pgdb.start(cfg)
    try:
        snap = poll_until(task, 2)
        assert [op(r) for r in snap] == ["r", "r"]
        assert [after(r) for r in snap] == [
            {"id": 1, "name": "a", "qty": 10},
            {"id": 2, "name": "b", "qty": None},
        ]
        assert snap[0].topic == "srv.public.items"
        assert key(snap[0]) == {"id": 1}
        assert snap[0].key_schema is not None and snap[0].key_schema.name == "srv.public.items.Key"
        assert snap[0].value_schema is not None
        assert snap[0].value_schema.name == "srv.public.items.Envelope"
        src = snap[0].value.get("source")
        assert (
            src.get("snapshot") == "first" and snap[1].value.get("source").get("snapshot") == "last"
        )
        assert src.get("connector") == "postgresql" and src.get("db") == pgdb.name
        pgdb.sql(
            "INSERT INTO items VALUES (3, 'c', 1)",
            "UPDATE items SET qty = 5 WHERE id = 1",
            "DELETE FROM items WHERE id = 2",
        )
        events = poll_until(task, 4)
        assert [op(r) for r in events] == ["c", "u", "d", None]
        assert after(events[0]) == {"id": 3, "name": "c", "qty": 1}
        assert before(events[1]) is None and after(events[1])["qty"] == 5
        assert before(events[2]) == {"id": 2, "name": "", "qty": None}  # NOT NULL -> zero value
        assert events[3].value is None and key(events[3]) == {"id": 2}
        for r in events[:3]:
            r.value.validate()
            assert isinstance(r.value.get("source"), Struct)
            s = r.value.get("source")
            assert s.get("txId") and s.get("lsn") and s.get("snapshot") == "false"
    finally:
        task.stop()


def test_restart_resumes_without_loss_or_duplicates(pgdb: PgDb) -> None:
    pgdb.sql("CREATE TABLE resume (id int PRIMARY KEY, v int)")
    cfg = pgdb.config(table_include_list="public.resume", snapshot_mode="no_data")
    store = MemoryOffsetStore()
    task = pgdb.start(cfg, store)
    try:
        assert poll_for(task, 0.3) == []
        pgdb.sql("INSERT INTO resume SELECT g, g FROM generate_series(1, 5) g")
        poll_until(task, 5)
    finally:
        task.stop()
    pgdb.sql("INSERT INTO resume SELECT g, g FROM generate_series(6, 8) g")
    task = pgdb.start(cfg, store)
    try:
        got = poll_until(task, 3)
        assert [key(r)["id"] for r in got] == [6, 7, 8]
        assert poll_for(task, 0.3) == []
    finally:
        task.stop()


def test_column_filters_and_masks(pgdb: PgDb) -> None:
    pgdb.sql(
        "CREATE TABLE people (id int PRIMARY KEY, name text, ssn text, email text, note text)",
        "INSERT INTO people VALUES (1, 'ann', '123-45', 'a@x', 'hi')",
    )
    cfg = pgdb.config(table_include_list="public.people", column_exclude_list="public.people.note")
    cfg["column.mask.with.3.chars"] = "public.people.ssn"
    cfg["column.mask.hash.SHA-256.with.salt.pepper"] = "public.people.email"
    cfg["column.include.list"] = "public.people.(name|ssn|email)"
    task = pgdb.start(cfg)
    try:
        (snap,) = poll_until(task, 1)
        pgdb.sql("INSERT INTO people VALUES (2, 'bob', '999', 'b@x', 'yo')")
        (created,) = poll_until(task, 1)
    finally:
        task.stop()
    digest = hashlib.sha256(b"pepper" + b"a@x").hexdigest()
    assert after(snap) == {"id": 1, "name": "ann", "ssn": "***", "email": digest}
    assert after(created)["ssn"] == "***" and "note" not in after(created)


def test_snapshot_modes_initial_only_and_always(pgdb: PgDb) -> None:
    pgdb.sql("CREATE TABLE modes (id int PRIMARY KEY)", "INSERT INTO modes VALUES (1), (2)")
    only = pgdb.config(table_include_list="public.modes", snapshot_mode="initial_only")
    task = pgdb.start(only)
    try:
        assert [op(r) for r in poll_until(task, 2)] == ["r", "r"]
        pgdb.sql("INSERT INTO modes VALUES (3)")
        assert poll_for(task, 0.3) == [], "initial_only must not stream"
    finally:
        task.stop()
    always = pgdb.config(table_include_list="public.modes", snapshot_mode="always")
    store = MemoryOffsetStore()
    for _ in range(2):  # a snapshot at every start, even with offsets
        task = pgdb.start(always, store)
        try:
            assert sorted(key(r)["id"] for r in poll_until(task, 3)) == [1, 2, 3]
        finally:
            task.stop()


def test_slot_drop_on_stop(pgdb: PgDb) -> None:
    pgdb.sql("CREATE TABLE dropme (id int PRIMARY KEY)")
    cfg = pgdb.config(table_include_list="public.dropme", snapshot_mode="no_data",
                      slot_drop_on_stop="true")  # fmt: skip
    task = pgdb.start(cfg)
    poll_for(task, 0.2)  # streaming: the slot is active
    assert pgdb.slot(cfg["slot.name"]) is not None
    task.stop()
    assert pgdb.slot(cfg["slot.name"]) is None
