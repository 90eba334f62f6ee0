from typing import Any

import pytest

from connectors.api import ConfigError, Headers, Schema, SchemaBuilder, SourceRecord, Struct
from connectors.transforms.debezium import ExtractNewRecordState
from tests.support.debezium import envelope, envelope_schema

ROW = (
    SchemaBuilder.struct()
    .name("dbserver1.inventory.customers.Value")
    .field("id", Schema.INT32_SCHEMA)
    .field("email", Schema.OPTIONAL_STRING_SCHEMA)
    .optional()
    .build()
)
SOURCE = (
    SchemaBuilder.struct()
    .name("io.debezium.connector.postgresql.Source")
    .field("version", Schema.STRING_SCHEMA)
    .field("connector", Schema.STRING_SCHEMA)
    .field("name", Schema.STRING_SCHEMA)
    .field("ts_ms", Schema.INT64_SCHEMA)
    .field("db", Schema.STRING_SCHEMA)
    .field("schema", Schema.STRING_SCHEMA)
    .field("table", Schema.STRING_SCHEMA)
    .field("lsn", Schema.OPTIONAL_INT64_SCHEMA)
    .build()
)
ENVELOPE = envelope_schema("dbserver1.inventory.customers.Envelope", ROW, SOURCE)
KEY = (
    SchemaBuilder.struct()
    .name("dbserver1.inventory.customers.Key")
    .field("id", Schema.INT32_SCHEMA)
    .build()
)


def source() -> Struct:
    return Struct(
        SOURCE,
        {
            "version": "2.5",
            "connector": "postgresql",
            "name": "dbserver1",
            "ts_ms": 111,
            "db": "inv",
            "schema": "inventory",
            "table": "customers",
            "lsn": 555,
        },
    )


def event(op: str, before: dict[str, Any] | None, after: dict[str, Any] | None) -> SourceRecord:
    old = Struct(ROW, before) if before else None
    new = Struct(ROW, after) if after else None
    value = envelope(ENVELOPE, op, old, new, source(), 222)
    return SourceRecord(
        "dbserver1.inventory.customers", 0, KEY, Struct(KEY, {"id": 1}), ENVELOPE, value
    )


def tombstone() -> SourceRecord:
    return SourceRecord("dbserver1.inventory.customers", 0, KEY, Struct(KEY, {"id": 1}), None, None)


def unwrap(**config: str) -> ExtractNewRecordState:
    t = ExtractNewRecordState()
    t.configure(config)
    return t


CREATE = event("c", None, {"id": 1, "email": "a@x"})
UPDATE = event("u", {"id": 1}, {"id": 1, "email": "b@x"})
DELETE = event("d", {"id": 1, "email": "b@x"}, None)


def test_create_and_update_become_the_row() -> None:
    t = unwrap()
    out = t.apply(CREATE)
    assert out is not None
    assert out.value_schema is ROW
    assert out.value == Struct(ROW, {"id": 1, "email": "a@x"})
    assert out.key == CREATE.key
    out = t.apply(UPDATE)
    assert out is not None and out.value.get("email") == "b@x"


@pytest.mark.parametrize(
    ("config", "delete_value", "delete_schema", "tombstone_kept"),
    [
        ({}, None, ROW, False),
        ({"delete.tombstone.handling.mode": "tombstone"}, None, ROW, False),
        ({"delete.tombstone.handling.mode": "delete-to-tombstone"}, None, None, False),
        ({"delete.handling.mode": "none"}, None, ROW, False),
        ({"delete.handling.mode": "none", "drop.tombstones": "false"}, None, ROW, True),
    ],
)
def test_delete_modes_with_null_values(
    config: dict[str, str], delete_value: Any, delete_schema: Any, tombstone_kept: bool
) -> None:
    t = unwrap(**config)
    out = t.apply(DELETE)
    assert out is not None
    assert out.value is delete_value and out.value_schema == delete_schema
    assert out.key == DELETE.key
    ts = tombstone()
    assert (t.apply(ts) is ts) == tombstone_kept
    assert (t.apply(ts) is None) == (not tombstone_kept)


@pytest.mark.parametrize(
    "config",
    [
        {"delete.tombstone.handling.mode": "drop"},
        {"delete.handling.mode": "drop"},
        {"drop.tombstones": "true"},
    ],
)
def test_drop_mode_removes_deletes_and_tombstones(config: dict[str, str]) -> None:
    t = unwrap(**config)
    assert t.apply(DELETE) is None
    assert t.apply(tombstone()) is None
    assert t.apply(CREATE) is not None


@pytest.mark.parametrize(
    ("config", "keeps_tombstone"),
    [
        ({"delete.tombstone.handling.mode": "rewrite"}, False),
        ({"delete.tombstone.handling.mode": "rewrite-with-tombstone"}, True),
        ({"delete.handling.mode": "rewrite", "drop.tombstones": "false"}, True),
    ],
)
def test_rewrite_modes(config: dict[str, str], keeps_tombstone: bool) -> None:
    t = unwrap(**config)
    deleted = t.apply(DELETE)
    assert deleted is not None
    assert deleted.value.to_dict() == {"id": 1, "email": "b@x", "__deleted": "true"}
    assert deleted.value_schema.field("__deleted").schema == Schema.OPTIONAL_STRING_SCHEMA
    assert deleted.value_schema.name == ROW.name
    created = t.apply(CREATE)
    assert created is not None and created.value.get("__deleted") == "false"
    assert (t.apply(tombstone()) is not None) == keeps_tombstone


def test_add_fields_and_headers() -> None:
    t = unwrap(
        **{
            "add.fields": "op,table,lsn,source.ts_ms,ts_ms:event_time",
            "add.headers": "db,op",
            "add.headers.prefix": "dbz.",
        }
    )
    out = t.apply(UPDATE)
    assert out is not None
    assert out.value.to_dict() == {
        "id": 1,
        "email": "b@x",
        "__op": "u",
        "__table": "customers",
        "__lsn": 555,
        "__source_ts_ms": 111,
        "__event_time": 222,
    }
    assert out.value_schema.field("__source_ts_ms").schema == Schema.OPTIONAL_INT64_SCHEMA
    assert [(h.key, h.value) for h in out.headers] == [("dbz.db", "inv"), ("dbz.op", "u")]
    assert not UPDATE.headers
    deleted = t.apply(DELETE)
    assert deleted is not None and deleted.value is None
    assert deleted.headers.last_with_name("dbz.op").value == "d"  # type: ignore[union-attr]


def test_non_envelopes_pass_through() -> None:
    heartbeat_schema = (
        SchemaBuilder.struct()
        .name("io.debezium.connector.common.Heartbeat")
        .field("ts_ms", Schema.INT64_SCHEMA)
        .build()
    )
    heartbeat = SourceRecord(
        "__debezium-heartbeat.x",
        0,
        None,
        None,
        heartbeat_schema,
        Struct(heartbeat_schema, {"ts_ms": 1}),
    )
    t = unwrap()
    assert t.apply(heartbeat) is heartbeat
    truncate = event("t", None, None)
    assert t.apply(truncate) is truncate
    plain = SourceRecord("t", 0, None, None, None, "text")
    assert t.apply(plain) is plain


def test_schemaless_envelope() -> None:
    record = SourceRecord(
        "t",
        0,
        None,
        {"id": 1},
        None,
        {
            "before": None,
            "after": {"id": 1, "v": "x"},
            "op": "c",
            "source": {"table": "tt"},
            "ts_ms": 5,
        },
    )
    out = unwrap(**{"add.fields": "op,table"}).apply(record)
    assert out is not None and out.value == {"id": 1, "v": "x", "__op": "c", "__table": "tt"}


def test_route_by_field_and_drop_fields_header() -> None:
    out = unwrap(**{"route.by.field": "email"}).apply(CREATE)
    assert out is not None and out.topic == "a@x"
    record = event("u", None, {"id": 1, "email": "z"})
    record.headers.add("dropped", ["email", "id"])
    out = unwrap(**{"drop.fields.header.name": "dropped"}).apply(record)
    assert out is not None
    assert [f.name for f in out.value_schema.fields] == ["id"]
    out = unwrap(
        **{
            "drop.fields.header.name": "dropped",
            "drop.fields.keep.schema.compatible": "false",
            "drop.fields.from.key": "true",
        }
    ).apply(record)
    assert out is not None
    assert [f.name for f in out.value_schema.fields] == []
    assert [f.name for f in out.key_schema.fields] == []


def test_bad_options_reported_together() -> None:
    with pytest.raises(ConfigError) as exc:
        unwrap(
            **{
                "delete.tombstone.handling.mode": "keep",
                "delete.handling.mode": "x",
                "drop.tombstones": "maybe",
            }
        )
    assert set(exc.value.errors) == {
        "delete.tombstone.handling.mode",
        "delete.handling.mode",
        "drop.tombstones",
    }


def test_headers_type() -> None:
    assert isinstance(CREATE.headers, Headers)


def test_kept_tombstone_gets_op_header_and_transaction_fields_resolve() -> None:
    t = unwrap(**{"delete.tombstone.handling.mode": "rewrite-with-tombstone", "add.headers": "op"})
    out = t.apply(tombstone())
    assert out is not None and out.value is None
    assert out.headers.last_with_name("__op").value == "d"  # type: ignore[union-attr]
    ref_fields = unwrap(**{"add.fields": "id,total_order,name"})
    out = ref_fields.apply(CREATE)
    assert out is not None
    # no transaction block in this envelope: id falls back to the envelope (absent -> null)
    assert out.value.get("__id") is None and out.value.get("__name") == "dbserver1"
