import datetime as dt
import decimal
from typing import Any

import pytest

from connectors.api import ConfigError, DataError, Schema, SchemaBuilder, Struct, Timestamp
from connectors.transforms.insert_field import InsertFieldKey, InsertFieldValue
from connectors.transforms.mask_field import MaskFieldValue
from connectors.transforms.replace_field import ReplaceFieldKey, ReplaceFieldValue
from tests.unit.connectors.transforms.helpers import configured, sink_record, value_record

SCHEMA = (
    SchemaBuilder.struct()
    .name("row")
    .version(3)
    .field("id", Schema.INT32_SCHEMA)
    .field("name", Schema.OPTIONAL_STRING_SCHEMA)
    .field("price", SchemaBuilder.float64().optional().default_value(1.5))
    .build()
)


def row(**values: Any) -> Struct:
    return Struct(SCHEMA, {"id": 1, "name": "a", **values})


# ------------------------------------------------------------------ InsertField
def test_insert_field_schemaless_all_options() -> None:
    t = configured(
        InsertFieldValue,
        topic_field="t",
        partition_field="p",
        offset_field="o",
        timestamp_field="ts",
        static_field="s",
        static_value="v",
    )
    out = t.apply(sink_record({"a": 1}))
    assert out is not None
    assert out.value == {"a": 1, "t": "test", "p": 0, "o": 42, "ts": 1000, "s": "v"}


def test_insert_field_schemaful_types_and_optionality() -> None:
    t = configured(
        InsertFieldValue,
        **{
            "topic.field": "t!",
            "partition.field": "p?",
            "timestamp.field": "ts",
            "static.field": "s!",
            "static.value": "v",
        },
    )
    out = t.apply(value_record(row(), SCHEMA))
    assert out is not None
    s = out.value_schema
    assert [f.name for f in s.fields] == ["id", "name", "price", "t", "p", "ts", "s"]
    assert s.name == "row" and s.version == 3
    assert s.field("t").schema == Schema.STRING_SCHEMA
    assert s.field("p").schema == Schema.OPTIONAL_INT32_SCHEMA
    assert s.field("ts").schema.name == Timestamp.LOGICAL_NAME and s.field("ts").schema.optional
    assert out.value.get("ts") == dt.datetime(1970, 1, 1, 0, 0, 1, tzinfo=dt.UTC)
    assert out.value.get("t") == "test" and out.value.get("s") == "v"
    assert out.value.get("id") == 1


def test_insert_field_key_variant_and_tombstone() -> None:
    t = configured(InsertFieldKey, topic_field="t")
    out = t.apply(value_record("v", key={"k": 1}))
    assert out is not None and out.key == {"k": 1, "t": "test"} and out.value == "v"
    v = configured(InsertFieldValue, topic_field="t")
    tombstone = value_record(None)
    assert v.apply(tombstone) is tombstone


def test_insert_field_offset_needs_sink_record() -> None:
    t = configured(InsertFieldValue, offset_field="o")
    with pytest.raises(DataError, match="SinkRecord"):
        t.apply(value_record({"a": 1}))


def test_insert_field_rejects_non_map() -> None:
    with pytest.raises(DataError, match=r"field insertion\] needs a map value"):
        configured(InsertFieldValue, topic_field="t").apply(value_record("plain"))
    with pytest.raises(DataError, match="needs a Struct value"):
        configured(InsertFieldValue, topic_field="t").apply(value_record("x", Schema.STRING_SCHEMA))


def test_insert_field_replace_null_with_default() -> None:
    keep = configured(InsertFieldValue, topic_field="t", replace_null_with_default="false")
    out = keep.apply(value_record(row(), SCHEMA))
    assert out is not None and out.value.get_without_default("price") is None
    default = configured(InsertFieldValue, topic_field="t")
    out = default.apply(value_record(row(), SCHEMA))
    assert out is not None and out.value.get_without_default("price") == 1.5


# ------------------------------------------------------------------ ReplaceField
@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"exclude": "name"}, {"id": 1, "price": 2.0}),
        ({"include": "id,name"}, {"id": 1, "name": "a"}),
        ({"include": "id,name", "exclude": "name"}, {"id": 1}),
        ({"renames": "id:key,name:label"}, {"key": 1, "label": "a", "price": 2.0}),
        ({"blacklist": "price"}, {"id": 1, "name": "a"}),
        ({"whitelist": "price"}, {"price": 2.0}),
        ({"whitelist": "price", "include": "id"}, {"id": 1}),
    ],
)
def test_replace_field_schemaless_and_schemaful(
    config: dict[str, str], expected: dict[str, Any]
) -> None:
    t = ReplaceFieldValue()
    t.configure(config)
    out = t.apply(value_record({"id": 1, "name": "a", "price": 2.0}))
    assert out is not None and out.value == expected
    out = t.apply(value_record(row(price=2.0), SCHEMA))
    assert out is not None
    assert out.value.to_dict() == expected
    assert [f.name for f in out.value_schema.fields] == list(expected)
    assert out.value_schema.name == "row"


def test_replace_field_key_variant() -> None:
    t = configured(ReplaceFieldKey, exclude="b")
    out = t.apply(value_record("v", key={"a": 1, "b": 2}))
    assert out is not None and out.key == {"a": 1}


def test_replace_field_bad_renames() -> None:
    with pytest.raises(ConfigError) as exc:
        configured(ReplaceFieldValue, renames="a:b,c")
    assert "renames" in exc.value.errors and "Invalid rename mapping: c" in str(exc.value)
    with pytest.raises(ConfigError, match="one name"):
        configured(ReplaceFieldValue, renames="a:x,b:x")


# ------------------------------------------------------------------ MaskField
def test_mask_field_schemaless_defaults_per_type() -> None:
    t = configured(MaskFieldValue, fields="i,f,b,s,l,m,d,dec,missing")
    out = t.apply(
        value_record(
            {
                "i": 5,
                "f": 1.5,
                "b": True,
                "s": "secret",
                "l": [1],
                "m": {"a": 1},
                "d": dt.date(2020, 1, 1),
                "dec": decimal.Decimal("9.9"),
                "keep": 1,
            }
        )
    )
    assert out is not None
    assert out.value == {
        "i": 0,
        "f": 0.0,
        "b": False,
        "s": "",
        "l": [],
        "m": {},
        "d": dt.date(1970, 1, 1),
        "dec": decimal.Decimal(0),
        "keep": 1,
        "missing": None,
    }


def test_mask_field_with_replacement() -> None:
    t = configured(MaskFieldValue, fields="name,id", replacement="999")
    out = t.apply(value_record(row(), SCHEMA))
    assert out is not None
    assert out.value.get("name") == "999" and out.value.get("id") == 999
    assert out.value_schema is SCHEMA
    with pytest.raises(DataError, match="custom replacement"):
        configured(MaskFieldValue, fields="b", replacement="x").apply(value_record({"b": True}))
    with pytest.raises(DataError, match="Unable to convert"):
        configured(MaskFieldValue, fields="i", replacement="x").apply(value_record({"i": 1}))


def test_mask_field_schemaful_defaults() -> None:
    out = configured(MaskFieldValue, fields="id,name").apply(value_record(row(), SCHEMA))
    assert out is not None and out.value.get("id") == 0 and out.value.get("name") == ""


def test_mask_field_requires_fields() -> None:
    with pytest.raises(ConfigError) as exc:
        configured(MaskFieldValue)
    assert "fields" in exc.value.errors
    with pytest.raises(ConfigError, match="replacement"):
        configured(MaskFieldValue, fields="a", replacement="")
