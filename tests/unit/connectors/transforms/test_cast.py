import datetime as dt
import decimal
from typing import Any

import pytest

from connectors.api import (
    ConfigError,
    DataError,
    Date,
    Decimal,
    Schema,
    SchemaBuilder,
    Struct,
    Timestamp,
    Type,
)
from connectors.transforms.cast import CastKey, CastValue, cast_value
from tests.unit.connectors.transforms.helpers import configured, value_record


@pytest.mark.parametrize(
    ("value", "target", "expected"),
    [
        (300, Type.INT8, 44),
        (-129, Type.INT8, 127),
        (1e20, Type.INT32, 2**31 - 1),
        (1e20, Type.INT8, -1),
        (3.9, Type.INT64, 3),
        (True, Type.INT32, 1),
        ("42", Type.INT16, 42),
        (5, Type.FLOAT64, 5.0),
        (0.1, Type.FLOAT32, 0.10000000149011612),
        ("1.5", Type.FLOAT64, 1.5),
        (0, Type.BOOLEAN, False),
        (0.5, Type.BOOLEAN, False),
        (2, Type.BOOLEAN, True),
        ("TRUE", Type.BOOLEAN, True),
        ("yes", Type.BOOLEAN, False),
        (True, Type.STRING, "true"),
        (1.0, Type.STRING, "1.0"),
        (1e10, Type.STRING, "1.0E10"),
        (b"\x00\x01", Type.STRING, "AAE="),
        (decimal.Decimal("12.50"), Type.INT32, 12),
        (decimal.Decimal("12.50"), Type.STRING, "12.50"),
        (
            dt.datetime(2024, 1, 2, 3, 4, 5, 6000, tzinfo=dt.UTC),
            Type.STRING,
            "2024-01-02T03:04:05.006Z",
        ),
        (dt.date(2024, 1, 2), Type.STRING, "2024-01-02"),
        (None, Type.INT8, None),
    ],
)
def test_cast_values_like_java(value: Any, target: Type, expected: Any) -> None:
    assert cast_value(None, value, target) == expected


def test_cast_logical_to_number_and_float32_string() -> None:
    assert cast_value(Date.SCHEMA, dt.date(1970, 1, 3), Type.INT64) == 2
    assert (
        cast_value(Timestamp.SCHEMA, dt.datetime(1970, 1, 1, 0, 0, 1, tzinfo=dt.UTC), Type.INT64)
        == 1000
    )
    assert cast_value(Decimal.schema(2), decimal.Decimal("1.99"), Type.FLOAT64) == 1.99
    assert cast_value(Schema.FLOAT32_SCHEMA, 0.10000000149011612, Type.STRING) == "0.1"


def test_cast_errors() -> None:
    with pytest.raises(DataError, match="Cannot cast"):
        cast_value(None, "abc", Type.INT32)
    with pytest.raises(DataError, match="Cannot cast"):
        cast_value(None, "300", Type.INT8)
    with pytest.raises(DataError):
        cast_value(None, {"a": 1}, Type.STRING)


def test_cast_fields_schemaless() -> None:
    t = configured(CastValue, spec="a:int8,b:string,c:boolean")
    out = t.apply(value_record({"a": "7", "b": 1.5, "c": 1, "d": "x"}))
    assert out is not None and out.value == {"a": 7, "b": "1.5", "c": True, "d": "x"}
    out = t.apply(value_record({"d": "x"}))
    assert out is not None and out.value == {"a": None, "b": None, "c": None, "d": "x"}


def test_cast_fields_schemaful_keeps_optional_and_casts_default() -> None:
    schema = (
        SchemaBuilder.struct()
        .name("r")
        .field("a", SchemaBuilder.int32().optional().default_value(5))
        .field("b", Schema.FLOAT64_SCHEMA)
        .field("c", Schema.STRING_SCHEMA)
        .build()
    )
    t = configured(CastValue, spec="a:string,b:int32")
    out = t.apply(value_record(Struct(schema, {"b": 2.7, "c": "x"}), schema))
    assert out is not None
    new = out.value_schema
    assert new.name == "r"
    assert new.field("a").schema.type is Type.STRING and new.field("a").schema.optional
    assert new.field("a").schema.default == "5"
    assert new.field("b").schema == Schema.INT32_SCHEMA
    assert out.value.to_dict() == {"a": "5", "b": 2, "c": "x"}


def test_cast_whole_value() -> None:
    out = configured(CastValue, spec="int64").apply(
        value_record("12", Schema.OPTIONAL_STRING_SCHEMA)
    )
    assert out is not None and out.value == 12
    assert out.value_schema == Schema(Type.INT64, optional=True)
    named = SchemaBuilder.string().name("my.Id").doc("d").build()
    out = configured(CastValue, spec="int32").apply(value_record("7", named))
    assert out is not None and out.value_schema.name == "my.Id" and out.value == 7
    out = configured(CastValue, spec="int64").apply(value_record(dt.date(1970, 1, 2), Date.SCHEMA))
    assert out is not None and out.value == 1 and out.value_schema.name is None
    key = configured(CastKey, spec="string").apply(value_record("v", key=5))
    assert key is not None and key.key == "5"


def test_cast_rejects_struct_field_and_bad_spec() -> None:
    inner = SchemaBuilder.struct().field("x", Schema.INT8_SCHEMA).build()
    schema = SchemaBuilder.struct().field("s", inner).build()
    with pytest.raises(DataError, match="does not support casting from STRUCT"):
        configured(CastValue, spec="s:string").apply(
            value_record(Struct(schema, {"s": Struct(inner, {"x": 1})}), schema)
        )
    for bad in ("a:uuid", "a:int8,b", ""):
        with pytest.raises(ConfigError) as exc:
            configured(CastValue, spec=bad)
        assert "spec" in exc.value.errors
