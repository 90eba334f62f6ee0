"""Update/delete shapes: REPLICA IDENTITY, TOAST, key changes, truncate, schema changes."""

from __future__ import annotations

from tests.integration.postgres_cdc.conftest import PgDb, after, before, key, op
from tests.support.sdk_harness import poll_for, poll_until


def _big(seed: int) -> str:
    return "".join(chr(97 + (i * 7919 + seed) % 26) for i in range(30000))


def test_toast_unchanged_value_is_placeholder_with_default_identity(pgdb: PgDb) -> None:
    pgdb.sql(
        "CREATE TABLE docs (id int PRIMARY KEY, body text, n int, tags text[], raw bytea)",
        "ALTER TABLE docs ALTER body SET STORAGE EXTERNAL",
        "ALTER TABLE docs ALTER raw SET STORAGE EXTERNAL",
    )
    task = pgdb.start(pgdb.config(table_include_list="public.docs", snapshot_mode="no_data"))
    try:
        pgdb.sql(
            "INSERT INTO docs VALUES (1, %s, 1, '{a}', convert_to(%s, 'UTF8'))",
            params=(_big(1), _big(2)),
        )
        pgdb.sql("UPDATE docs SET n = 2 WHERE id = 1")
        created, updated = poll_until(task, 2)
        assert after(created)["body"] == _big(1)
        row = after(updated)
        assert row["n"] == 2
        assert row["body"] == "__debezium_unavailable_value"
        assert row["raw"] == b"__debezium_unavailable_value"
        assert row["tags"] == ["a"]  # small: stored inline, always sent
    finally:
        task.stop()


def test_replica_identity_full_gives_whole_before_and_real_toast(pgdb: PgDb) -> None:
    pgdb.sql(
        "CREATE TABLE full_t (id int PRIMARY KEY, body text, n int)",
        "ALTER TABLE full_t ALTER body SET STORAGE EXTERNAL",
        "ALTER TABLE full_t REPLICA IDENTITY FULL",
    )
    task = pgdb.start(pgdb.config(table_include_list="public.full_t", snapshot_mode="no_data"))
    try:
        pgdb.sql("INSERT INTO full_t VALUES (1, %s, 1)", params=(_big(3),))
        pgdb.sql("UPDATE full_t SET n = 2 WHERE id = 1", "DELETE FROM full_t WHERE id = 1")
        _, updated, deleted, tomb = poll_until(task, 4)
        assert before(updated) == {"id": 1, "body": _big(3), "n": 1}
        assert after(updated) == {"id": 1, "body": _big(3), "n": 2}
        assert before(deleted) == {"id": 1, "body": _big(3), "n": 2}
        assert tomb.value is None
    finally:
        task.stop()


def test_primary_key_update_is_delete_tombstone_create(pgdb: PgDb) -> None:
    pgdb.sql("CREATE TABLE pk (id int PRIMARY KEY, v text)", "INSERT INTO pk VALUES (1, 'a')")
    task = pgdb.start(pgdb.config(table_include_list="public.pk", snapshot_mode="no_data"))
    try:
        assert poll_for(task, 0.2) == []
        pgdb.sql("UPDATE pk SET id = 2 WHERE id = 1")
        deleted, tomb, created = poll_until(task, 3)
        assert (op(deleted), key(deleted), before(deleted)) == (
            "d",
            {"id": 1},
            {"id": 1, "v": None},
        )
        assert tomb.value is None and key(tomb) == {"id": 1}
        assert (op(created), key(created), after(created)) == ("c", {"id": 2}, {"id": 2, "v": "a"})
        newkey = [h for h in deleted.headers if h.key == "__debezium.newkey"]
        oldkey = [h for h in created.headers if h.key == "__debezium.oldkey"]
        assert newkey[0].value.to_dict() == {"id": 2} and oldkey[0].value.to_dict() == {"id": 1}
    finally:
        task.stop()


def test_truncate_emitted_when_not_skipped(pgdb: PgDb) -> None:
    pgdb.sql("CREATE TABLE tr (id int PRIMARY KEY)", "CREATE TABLE tr_skip (id int PRIMARY KEY)")
    cfg = pgdb.config(
        table_include_list="public.tr", snapshot_mode="no_data", skipped_operations="none"
    )
    task = pgdb.start(cfg)
    skipping = pgdb.start(pgdb.config(table_include_list="public.tr_skip", snapshot_mode="no_data"))
    try:
        pgdb.sql(
            "INSERT INTO tr VALUES (1)",
            "TRUNCATE tr",
            "INSERT INTO tr_skip VALUES (1)",
            "TRUNCATE tr_skip",
        )
        _, truncated = poll_until(task, 2)
        assert op(truncated) == "t" and truncated.key is None
        assert truncated.value.get("before") is None and truncated.value.get("after") is None
        assert [op(r) for r in poll_for(skipping, 0.5)] == ["c"]
    finally:
        task.stop()
        skipping.stop()


def test_schema_changes_and_new_tables_are_picked_up(pgdb: PgDb) -> None:
    pgdb.sql("CREATE TABLE evolve (id int PRIMARY KEY, a text)")
    task = pgdb.start(pgdb.config(table_include_list="public.evolve.*", snapshot_mode="no_data"))
    try:
        pgdb.sql("INSERT INTO evolve VALUES (1, 'x')")
        (first,) = poll_until(task, 1)
        pgdb.sql("ALTER TABLE evolve ADD COLUMN b int", "INSERT INTO evolve VALUES (2, 'y', 7)")
        pgdb.sql("ALTER TABLE evolve DROP COLUMN a", "INSERT INTO evolve VALUES (3, 8)")
        pgdb.sql(
            "CREATE TABLE evolve_new (k text PRIMARY KEY)", "INSERT INTO evolve_new VALUES ('z')"
        )
        second, third, fourth = poll_until(task, 3)
        assert after(first) == {"id": 1, "a": "x"}
        assert after(second) == {"id": 2, "a": "y", "b": 7}
        assert after(third) == {"id": 3, "b": 8}
        assert first.value_schema != second.value_schema != third.value_schema
        assert fourth.topic == "srv.public.evolve_new" and key(fourth) == {"k": "z"}
    finally:
        task.stop()


def test_transaction_metadata_and_logical_messages(pgdb: PgDb) -> None:
    pgdb.sql("CREATE TABLE txm (id int PRIMARY KEY)")
    cfg = pgdb.config(table_include_list="public.txm", snapshot_mode="no_data",
                      provide_transaction_metadata="true")  # fmt: skip
    task = pgdb.start(cfg)
    try:
        pgdb.sql("BEGIN; INSERT INTO txm VALUES (1), (2); "
                 "SELECT pg_logical_emit_message(true, 'app', 'hi'); COMMIT")  # fmt: skip
        got = poll_until(task, 5)
        topics = [r.topic for r in got]
        assert topics[0] == "srv.transaction" and topics[-1] == "srv.transaction"
        begin, end = got[0].value, got[-1].value
        assert begin.get("status") == "BEGIN" and end.get("status") == "END"
        assert end.get("event_count") == 2
        assert [c.to_dict() for c in end.get("data_collections")] == [
            {"data_collection": "public.txm", "event_count": 2}
        ]
        data = [r for r in got if r.topic == "srv.public.txm"]
        assert [r.value.get("transaction").get("total_order") for r in data] == [1, 2]
        assert data[0].value.get("transaction").get("id") == begin.get("id")
        (msg,) = [r for r in got if r.topic == "srv.message"]
        assert msg.value.get("op") == "m" and msg.value.get("message").get("content") == b"hi"
    finally:
        task.stop()


def test_partitioned_table_events_use_the_root_table(pgdb: PgDb) -> None:
    pgdb.sql(
        "CREATE TABLE orders (id int, region text, PRIMARY KEY (id, region)) "
        "PARTITION BY LIST (region)",
        "CREATE TABLE orders_eu PARTITION OF orders FOR VALUES IN ('eu')",
        "CREATE TABLE orders_us PARTITION OF orders FOR VALUES IN ('us')",
        "INSERT INTO orders VALUES (1, 'eu')",
    )
    task = pgdb.start(pgdb.config(table_include_list="public.orders"))
    try:
        (snap,) = poll_until(task, 1)
        pgdb.sql("INSERT INTO orders VALUES (2, 'us')")
        (created,) = poll_until(task, 1)
    finally:
        task.stop()
    assert snap.topic == created.topic == "srv.public.orders"
    assert key(created) == {"id": 2, "region": "us"}
