import dataclasses
import datetime as dt
import decimal

import pytest

from connectors.api import (
    DataError,
    Date,
    Decimal,
    Schema,
    SchemaAndValue,
    SchemaBuilder,
    Struct,
    Time,
    Timestamp,
    Type,
    validate_value,
)


def order_schema() -> Schema:
    return (
        SchemaBuilder.struct()
        .name("shop.orders.Value")
        .field("id", Schema.INT32_SCHEMA)
        .field("note", Schema.OPTIONAL_STRING_SCHEMA)
        .field("qty", SchemaBuilder.int16().default_value(1))
        .build()
    )


def test_builder_builds_struct_with_fields_in_order() -> None:
    s = order_schema()
    assert s.type is Type.STRUCT
    assert [f.name for f in s.fields] == ["id", "note", "qty"]
    assert [f.index for f in s.fields] == [0, 1, 2]
    assert s.field("qty") is not None and s.field("qty").schema.default == 1  # type: ignore[union-attr]
    assert s.field("missing") is None


def test_duplicate_field_is_an_error() -> None:
    with pytest.raises(DataError, match="duplication"):
        SchemaBuilder.struct().field("a", Schema.INT8_SCHEMA).field("a", Schema.INT8_SCHEMA)


def test_fields_on_non_struct_raise() -> None:
    with pytest.raises(DataError):
        _ = Schema.INT32_SCHEMA.fields


def test_schema_equality_and_of_roundtrip() -> None:
    s = order_schema()
    assert s == order_schema()
    assert hash(s) == hash(order_schema())
    assert SchemaBuilder.of(s).build() == s
    assert SchemaBuilder.of(s).name("other").build() != s


def test_struct_put_validates_and_get_uses_default() -> None:
    st = Struct(order_schema()).put("id", 7)
    assert st.get("qty") == 1
    assert st.get_without_default("qty") is None
    assert st["id"] == 7
    st.validate()
    with pytest.raises(DataError, match="field 'id'"):
        st.put("id", "seven")
    with pytest.raises(DataError, match="out of range"):
        st.put("id", 2**31)
    with pytest.raises(DataError, match="not a valid field"):
        st.put("nope", 1)


def test_struct_validate_reports_missing_required_field() -> None:
    with pytest.raises(DataError, match="null used for required"):
        Struct(order_schema()).validate()


def test_struct_equality_and_to_dict() -> None:
    a = Struct(order_schema(), {"id": 1, "note": "x"})
    b = Struct(order_schema(), {"id": 1, "note": "x"})
    assert a == b
    assert a != Struct(order_schema(), {"id": 2})
    assert a.to_dict() == {"id": 1, "note": "x", "qty": 1}


def test_validate_value_rejects_bool_as_int_and_checks_containers() -> None:
    with pytest.raises(DataError):
        validate_value(Schema.INT32_SCHEMA, True)
    arr = SchemaBuilder.array(Schema.STRING_SCHEMA).build()
    validate_value(arr, ["a", "b"])
    with pytest.raises(DataError, match="element"):
        validate_value(arr, ["a", 1])
    m = SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.INT64_SCHEMA).build()
    validate_value(m, {"a": 1})
    with pytest.raises(DataError, match="key"):
        validate_value(m, {1: 1})


def test_struct_schema_mismatch_rejected() -> None:
    inner = SchemaBuilder.struct().name("in").field("a", Schema.INT8_SCHEMA).build()
    other = SchemaBuilder.struct().name("other").field("a", Schema.INT8_SCHEMA).build()
    outer = SchemaBuilder.struct().field("s", inner).build()
    with pytest.raises(DataError, match="do not match"):
        Struct(outer).put("s", Struct(other, {"a": 1}))


def test_map_and_array_need_inner_schemas() -> None:
    with pytest.raises(DataError):
        Schema(Type.ARRAY)
    with pytest.raises(DataError):
        Schema(Type.MAP, value_schema=Schema.INT8_SCHEMA)


def test_invalid_default_rejected() -> None:
    with pytest.raises(DataError, match="default"):
        SchemaBuilder.int32().default_value("x").build()


@pytest.mark.parametrize(
    ("value", "scale", "raw"),
    [
        (decimal.Decimal("0"), 0, b"\x00"),
        (decimal.Decimal("-1.28"), 2, b"\x80"),
        (decimal.Decimal("1.28"), 2, b"\x00\x80"),
        (decimal.Decimal("12345.678"), 3, (12345678).to_bytes(4, "big", signed=True)),
    ],
)
def test_decimal_two_complement_matches_java_biginteger(
    value: decimal.Decimal, scale: int, raw: bytes
) -> None:
    schema = Decimal.schema(scale)
    assert schema.name == "org.apache.kafka.connect.data.Decimal"
    assert schema.parameters == {"scale": str(scale)}
    assert Decimal.from_logical(schema, value) == raw
    assert Decimal.to_logical(schema, raw) == value


def test_decimal_with_too_many_digits_is_rejected() -> None:
    with pytest.raises(DataError, match="scale"):
        Decimal.from_logical(Decimal.schema(1), decimal.Decimal("1.25"))


def test_date_time_timestamp_logical_conversions() -> None:
    assert Date.from_logical(Date.SCHEMA, dt.date(1970, 1, 11)) == 10
    assert Date.to_logical(Date.SCHEMA, -1) == dt.date(1969, 12, 31)
    assert Time.from_logical(Time.SCHEMA, dt.time(1, 0, 0, 5000)) == 3_600_005
    assert Time.to_logical(Time.SCHEMA, 3_600_005) == dt.time(1, 0, 0, 5000)
    ts = dt.datetime(2024, 1, 2, 3, 4, 5, 6000, tzinfo=dt.UTC)
    assert (
        Timestamp.to_logical(Timestamp.SCHEMA, Timestamp.from_logical(Timestamp.SCHEMA, ts)) == ts
    )
    naive = dt.datetime(1970, 1, 1, 0, 0, 1)  # noqa: DTZ001
    assert Timestamp.from_logical(Timestamp.SCHEMA, naive) == 1000
    with pytest.raises(DataError):
        Time.to_logical(Time.SCHEMA, 86_400_000)


def test_logical_values_validated_by_python_type() -> None:
    validate_value(Date.SCHEMA, dt.date(2020, 1, 1))
    with pytest.raises(DataError, match="expected date"):
        validate_value(Date.SCHEMA, 5)


def test_schema_and_value_unpacks() -> None:
    schema, value = SchemaAndValue(Schema.STRING_SCHEMA, "x")
    assert schema == Schema.STRING_SCHEMA and value == "x"
    assert SchemaAndValue(None, None) == SchemaAndValue.NULL


def test_schema_and_value_stays_a_frozen_pair() -> None:
    pair = SchemaAndValue(Schema.STRING_SCHEMA, "v")
    assert tuple(pair) == (Schema.STRING_SCHEMA, "v")
    assert (
        pair == SchemaAndValue(schema=Schema.STRING_SCHEMA, value="v") != SchemaAndValue(None, "v")
    )
    assert hash(pair) == hash(SchemaAndValue(Schema.STRING_SCHEMA, "v"))
    assert repr(SchemaAndValue(None, 1)) == "SchemaAndValue(schema=None, value=1)"
    with pytest.raises(dataclasses.FrozenInstanceError):
        pair.value = "w"  # type: ignore[misc]
