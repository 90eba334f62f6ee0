from typing import Any

import pytest

from connectors.api import ConfigError, DataError, Headers, Schema, SchemaBuilder, Struct
from connectors.transforms.fields import (
    ExtractFieldKey,
    ExtractFieldValue,
    HoistFieldKey,
    HoistFieldValue,
    ValueToKey,
)
from connectors.transforms.filter import Filter
from connectors.transforms.headers import DropHeaders, HeaderFromKey, HeaderFromValue, InsertHeader
from connectors.transforms.mask_field import MaskFieldValue
from connectors.transforms.schema_metadata import SetSchemaMetadataValue
from tests.unit.connectors.transforms.helpers import configured, value_record

SCHEMA = (
    SchemaBuilder.struct()
    .name("row")
    .field("id", Schema.INT32_SCHEMA)
    .field("name", Schema.OPTIONAL_STRING_SCHEMA)
    .build()
)


def row(**values: Any) -> Struct:
    return Struct(SCHEMA, {"id": 1, "name": "a", **values})


def test_value_to_key_schemaless_and_schemaful() -> None:
    t = configured(ValueToKey, fields="id")
    out = t.apply(value_record({"id": 1, "name": "a"}))
    assert out is not None and out.key == {"id": 1} and out.key_schema is None
    out = t.apply(value_record(row(), SCHEMA))
    assert out is not None
    assert [f.name for f in out.key_schema.fields] == ["id"]
    assert out.key.get("id") == 1
    with pytest.raises(DataError, match="Field does not exist: nope"):
        configured(ValueToKey, fields="nope").apply(value_record(row(), SCHEMA))
    with pytest.raises(ConfigError, match="fields"):
        configured(ValueToKey, fields="")
    tombstone = value_record(None)
    assert t.apply(tombstone) is tombstone


def test_extract_field_both_modes_and_nulls() -> None:
    t = configured(ExtractFieldValue, field="name")
    out = t.apply(value_record({"id": 1, "name": "a"}))
    assert out is not None and out.value == "a" and out.value_schema is None
    out = t.apply(value_record(row(), SCHEMA))
    assert (
        out is not None and out.value == "a" and out.value_schema == Schema.OPTIONAL_STRING_SCHEMA
    )
    out = t.apply(
        value_record(None, SCHEMA.__class__(SCHEMA.type, optional=True, fields=SCHEMA.fields))
    )
    assert out is not None and out.value is None
    key = configured(ExtractFieldKey, field="id").apply(value_record("v", key={"id": 7}))
    assert key is not None and key.key == 7
    with pytest.raises(DataError, match="Unknown field: zz"):
        configured(ExtractFieldValue, field="zz").apply(value_record(row(), SCHEMA))
    with pytest.raises(ConfigError):
        configured(ExtractFieldValue)


def test_hoist_field() -> None:
    out = configured(HoistFieldValue, field="line").apply(value_record("hello"))
    assert out is not None and out.value == {"line": "hello"}
    out = configured(HoistFieldValue, field="line").apply(value_record("x", Schema.STRING_SCHEMA))
    assert out is not None
    assert out.value_schema.field("line").schema == Schema.STRING_SCHEMA
    assert out.value.get("line") == "x"
    out = configured(HoistFieldKey, field="k").apply(value_record("v", key=5))
    assert out is not None and out.key == {"k": 5}


def test_filter_drops_everything() -> None:
    assert configured(Filter).apply(value_record({"a": 1})) is None


def test_header_from_copy_and_move() -> None:
    copy = configured(HeaderFromValue, fields="id,name", headers="h_id,h_name", operation="copy")
    out = copy.apply(value_record(row(), SCHEMA))
    assert out is not None
    assert [(h.key, h.value) for h in out.headers] == [("h_id", 1), ("h_name", "a")]
    assert out.headers.last_with_name("h_id").schema == Schema.INT32_SCHEMA  # type: ignore[union-attr]
    assert out.value_schema is SCHEMA
    move = configured(HeaderFromValue, fields="name", headers="n", operation="move")
    out = move.apply(value_record(row(), SCHEMA))
    assert out is not None
    assert [f.name for f in out.value_schema.fields] == ["id"]
    assert out.value.get("id") == 1 and out.headers.last_with_name("n").value == "a"  # type: ignore[union-attr]
    out = move.apply(value_record({"id": 1, "name": "a"}))
    assert out is not None and out.value == {"id": 1}
    original = value_record({"id": 1, "name": "a"})
    configured(HeaderFromKey, fields="k", headers="hk", operation="copy").apply(original)
    assert not original.headers


def test_header_from_config_errors() -> None:
    with pytest.raises(ConfigError, match="same number"):
        configured(HeaderFromValue, fields="a,b", headers="x", operation="copy")
    with pytest.raises(ConfigError) as exc:
        configured(HeaderFromValue, fields="a", headers="x", operation="steal")
    assert "operation" in exc.value.errors


@pytest.mark.parametrize(
    ("literal", "schema", "value"),
    [
        ("hello", Schema.STRING_SCHEMA, "hello"),
        ("42", Schema.INT64_SCHEMA, 42),
        ("true", Schema.BOOLEAN_SCHEMA, True),
    ],
)
def test_insert_header_infers_literal(literal: str, schema: Schema, value: Any) -> None:
    out = configured(InsertHeader, header="src", value_literal=literal).apply(value_record(1))
    assert out is not None
    h = out.headers.last_with_name("src")
    assert h is not None and h.schema == schema and h.value == value


def test_drop_headers() -> None:
    headers = Headers().add("a", 1).add("b", 2).add("a", 3)
    record = value_record(1, headers=headers)
    out = configured(DropHeaders, headers="a").apply(record)
    assert out is not None and out.headers.keys() == ["b"]
    assert record.headers.keys() == ["a", "b", "a"]
    with pytest.raises(ConfigError):
        configured(DropHeaders)


def test_set_schema_metadata() -> None:
    t = configured(SetSchemaMetadataValue, schema_name="new.Name", schema_version="4")
    out = t.apply(value_record(row(), SCHEMA))
    assert out is not None
    assert out.value_schema.name == "new.Name" and out.value_schema.version == 4
    assert out.value.schema is out.value_schema and out.value.get("id") == 1
    with pytest.raises(DataError, match="Schema required"):
        t.apply(value_record({"id": 1}))
    with pytest.raises(ConfigError, match="Neither"):
        configured(SetSchemaMetadataValue)


@pytest.mark.parametrize(
    ("transform", "configs", "key", "hint"),
    [
        (ValueToKey, {"fields": ""}, "fields", "name at least one field"),
        (
            HeaderFromValue,
            {"fields": "", "headers": "h", "operation": "copy"},
            "fields",
            "give at least one name",
        ),
        (DropHeaders, {"headers": ""}, "headers", "give at least one name"),
        (MaskFieldValue, {"fields": ""}, "fields", "name at least one field to mask"),
    ],
)
def test_empty_name_lists_are_refused_with_a_hint(
    transform: Any, configs: dict[str, str], key: str, hint: str
) -> None:
    with pytest.raises(ConfigError) as exc:
        transform().configure(configs)
    assert exc.value.errors[key] == [f"Invalid value  for configuration {key}: Empty list; {hint}"]
