import datetime as dt
import decimal
from typing import Any

import orjson
import pytest
from hypothesis import given, settings

from connectors.api import (
    ConfigError,
    DataError,
    Date,
    Decimal,
    Schema,
    SchemaBuilder,
    Struct,
    Timestamp,
)
from connectors.converters.json import JsonConverter
from tests.unit.connectors.converters.strategies import schema_and_value


def converter(**configs: Any) -> JsonConverter:
    c = JsonConverter()
    c.configure({k.replace("_", "."): v for k, v in configs.items()}, False)
    return c


def customer_schema() -> Schema:
    row = (
        SchemaBuilder.struct()
        .name("dbserver1.inventory.customers.Value")
        .field("id", Schema.INT32_SCHEMA)
        .field("email", Schema.OPTIONAL_STRING_SCHEMA)
        .optional()
        .build()
    )
    return (
        SchemaBuilder.struct()
        .name("dbserver1.inventory.customers.Envelope")
        .version(1)
        .field("before", row)
        .field("after", row)
        .field("op", Schema.STRING_SCHEMA)
        .field("ts_ms", Schema.OPTIONAL_INT64_SCHEMA)
        .build()
    )


def test_envelope_bytes_match_kafka_connect_exactly() -> None:
    schema = SchemaBuilder.struct().name("x").field("id", Schema.INT32_SCHEMA).build()
    data = converter().from_connect_data("t", schema, Struct(schema, {"id": 1}))
    assert data == (
        b'{"schema":{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"}],'
        b'"optional":false,"name":"x"},"payload":{"id":1}}'
    )


def test_debezium_envelope_shape_and_round_trip() -> None:
    schema = customer_schema()
    row_schema = schema.field("after").schema  # type: ignore[union-attr]
    value = Struct(
        schema,
        {
            "after": Struct(row_schema, {"id": 1001, "email": "a@b.c"}),
            "op": "c",
            "ts_ms": 1700000000000,
        },
    )
    c = converter()
    data = c.from_connect_data("t", schema, value)
    assert data is not None
    tree = orjson.loads(data)
    assert tree["payload"] == {
        "before": None,
        "after": {"id": 1001, "email": "a@b.c"},
        "op": "c",
        "ts_ms": 1700000000000,
    }
    assert tree["schema"]["fields"][0] == {
        "type": "struct",
        "fields": [
            {"type": "int32", "optional": False, "field": "id"},
            {"type": "string", "optional": True, "field": "email"},
        ],
        "optional": True,
        "name": "dbserver1.inventory.customers.Value",
        "field": "before",
    }
    assert tree["schema"]["version"] == 1
    back = c.to_connect_data("t", data)
    assert back.schema == schema
    assert back.value == value


def test_type_names_and_params_in_schema_json() -> None:
    c = converter()
    assert c.as_json_schema(Schema.FLOAT32_SCHEMA) == {"type": "float", "optional": False}
    assert c.as_json_schema(Schema.OPTIONAL_FLOAT64_SCHEMA) == {"type": "double", "optional": True}
    assert c.as_json_schema(Decimal.schema(2)) == {
        "type": "bytes",
        "optional": False,
        "name": "org.apache.kafka.connect.data.Decimal",
        "version": 1,
        "parameters": {"scale": "2"},
    }
    m = SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.INT64_SCHEMA).doc("d").build()
    assert c.as_json_schema(m) == {
        "type": "map",
        "keys": {"type": "string", "optional": False},
        "values": {"type": "int64", "optional": False},
        "optional": False,
        "doc": "d",
    }
    a = SchemaBuilder.array(Schema.STRING_SCHEMA).default_value(["x"]).build()
    assert c.as_json_schema(a) == {
        "type": "array",
        "items": {"type": "string", "optional": False},
        "optional": False,
        "default": ["x"],
    }
    assert c.as_connect_schema(c.as_json_schema(a)) == a


def test_logical_types_payload_encoding() -> None:
    schema = (
        SchemaBuilder.struct()
        .field("price", Decimal.schema(2))
        .field("day", Date.SCHEMA)
        .field("at", Timestamp.SCHEMA)
        .build()
    )
    value = Struct(
        schema,
        {
            "price": decimal.Decimal("1.28"),
            "day": dt.date(1970, 1, 2),
            "at": dt.datetime(1970, 1, 1, 0, 0, 1, tzinfo=dt.UTC),
        },
    )
    payload = orjson.loads(converter().from_connect_data("t", schema, value) or b"")["payload"]
    assert payload == {"price": "AIA=", "day": 1, "at": 1000}
    numeric = converter(decimal_format="NUMERIC").from_connect_data("t", schema, value)
    assert b'"price":1.28' in (numeric or b"")
    assert converter(decimal_format="NUMERIC").to_connect_data("t", numeric).value == value


def test_non_string_map_keys_become_pairs() -> None:
    m = SchemaBuilder.map(Schema.INT32_SCHEMA, Schema.STRING_SCHEMA).build()
    c = converter(schemas_enable=False)
    data = c.from_connect_data("t", m, {1: "a", 2: "b"})
    assert data == b'[[1,"a"],[2,"b"]]'


def test_schemas_disabled_plain_json() -> None:
    c = converter(schemas_enable="false")
    assert c.from_connect_data("t", None, {"a": [1, 2.5, None], "b": b"\x00"}) == (
        b'{"a":[1,2.5,null],"b":"AA=="}'
    )
    assert tuple(c.to_connect_data("t", b'{"a": 1}')) == (None, {"a": 1})
    schema = SchemaBuilder.struct().field("id", Schema.INT32_SCHEMA).build()
    assert c.from_connect_data("t", schema, Struct(schema, {"id": 5})) == b'{"id":5}'


def test_schemaless_python_types() -> None:
    c = converter(schemas_enable=False)
    data = c.from_connect_data("t", None, {"d": decimal.Decimal("10.50"), "t": (1, 2)})
    assert data == b'{"d":10.50,"t":[1,2]}'
    with pytest.raises(DataError, match="JSON"):
        c.from_connect_data("t", None, {"x": object()})


def test_schemaless_value_inside_envelope() -> None:
    c = converter()
    data = c.from_connect_data("t", None, {"a": 1})
    assert data == b'{"schema":null,"payload":{"a":1}}'
    assert tuple(c.to_connect_data("t", data)) == (None, {"a": 1})


def test_nulls_and_tombstones() -> None:
    c = converter()
    assert c.from_connect_data("t", None, None) is None
    assert tuple(c.to_connect_data("t", None)) == (None, None)
    opt = Schema.OPTIONAL_STRING_SCHEMA
    assert c.from_connect_data("t", opt, None) == (
        b'{"schema":{"type":"string","optional":true},"payload":null}'
    )
    with pytest.raises(DataError, match="required"):
        c.from_connect_data("t", Schema.STRING_SCHEMA, None)


def test_default_replaces_null() -> None:
    s = SchemaBuilder.int32().optional().default_value(7).build()
    assert orjson.loads(converter().from_connect_data("t", s, None) or b"")["payload"] == 7
    keep = converter(replace_null_with_default=False).from_connect_data("t", s, None)
    assert orjson.loads(keep or b"")["payload"] is None


def test_envelope_required_when_schemas_enabled() -> None:
    with pytest.raises(DataError, match=r"schemas\.enable=false"):
        converter().to_connect_data("t", b'{"id": 1}')
    with pytest.raises(DataError, match=r"schemas\.enable=false"):
        converter().to_connect_data("t", b'{"schema": null, "payload": 1, "x": 2}')


@pytest.mark.parametrize(
    ("payload", "schema_json"),
    [
        (b'"x"', {"type": "int32", "optional": False}),
        (b"300", {"type": "int8", "optional": False}),
        (b"1", {"type": "boolean", "optional": False}),
        (b'"!!"', {"type": "bytes", "optional": False}),
        (b"null", {"type": "string", "optional": False}),
        (b"1", {"type": "nope", "optional": False}),
    ],
)
def test_payload_mismatch_is_data_error(payload: bytes, schema_json: dict[str, Any]) -> None:
    data = b'{"schema":' + orjson.dumps(schema_json) + b',"payload":' + payload + b"}"
    with pytest.raises(DataError):
        converter().to_connect_data("t", data)


def test_malformed_json_is_data_error() -> None:
    with pytest.raises(DataError, match="failed"):
        converter().to_connect_data("t", b"{not json")


def test_wrong_value_for_schema_is_data_error() -> None:
    with pytest.raises(DataError, match="INT32"):
        converter().from_connect_data("t", Schema.INT32_SCHEMA, "1")
    other = SchemaBuilder.struct().name("o").field("a", Schema.INT8_SCHEMA).build()
    mine = SchemaBuilder.struct().name("m").field("a", Schema.INT8_SCHEMA).build()
    with pytest.raises(DataError, match="Mismatching"):
        converter().from_connect_data("t", mine, Struct(other, {"a": 1}))


def test_dict_accepted_for_struct_schema() -> None:
    schema = SchemaBuilder.struct().field("id", Schema.INT32_SCHEMA).build()
    data = converter(schemas_enable=False).from_connect_data("t", schema, {"id": 3})
    assert data == b'{"id":3}'


def test_bad_config_lists_every_error() -> None:
    with pytest.raises(ConfigError) as exc:
        converter(schemas_enable="maybe", decimal_format="HEX")
    assert set(exc.value.errors) == {"schemas.enable", "decimal.format"}


def test_schema_cache_returns_same_object() -> None:
    c = converter()
    schema = customer_schema()
    data = c.from_connect_data("t", schema, Struct(schema, {"op": "r"}))
    assert c.to_connect_data("t", data).schema is c.to_connect_data("t", data).schema


@settings(max_examples=150, deadline=None)
@given(schema_and_value())
def test_round_trip_with_schemas(pair: tuple[Schema, Any]) -> None:
    schema, value = pair
    for c in (converter(), converter(decimal_format="NUMERIC")):
        back = c.to_connect_data("t", c.from_connect_data("t", schema, value))
        assert back.schema == schema
        assert back.value == value


@settings(max_examples=100, deadline=None)
@given(schema_and_value())
def test_round_trip_without_schemas_keeps_json_shape(pair: tuple[Schema, Any]) -> None:
    schema, value = pair
    c = converter(schemas_enable=False)
    data = c.from_connect_data("t", schema, value)
    enveloped = converter().from_connect_data("t", schema, value)
    assert orjson.loads(enveloped or b"null")["payload"] == c.to_connect_data("t", data).value


def test_repeated_envelopes_reuse_schema_but_read_each_payload() -> None:
    c = converter()
    schema = customer_schema()
    first = c.from_connect_data("t", schema, Struct(schema, {"op": "c", "ts_ms": 1}))
    second = c.from_connect_data("t", schema, Struct(schema, {"op": "u", "ts_ms": 2}))
    assert c.to_connect_data("t", first).value.get("op") == "c"
    back = c.to_connect_data("t", second)
    assert back.value.get("op") == "u" and back.schema == schema
    spaced = second.replace(b'"payload":', b'"payload": ')
    assert c.to_connect_data("t", spaced).value == back.value
    with pytest.raises(DataError):
        c.to_connect_data("t", second[:-1] + b",}")
    other = c.from_connect_data("t", Schema.STRING_SCHEMA, "x")
    assert c.to_connect_data("t", other).value == "x"
    assert c.to_connect_data("t", second).value.get("ts_ms") == 2


def test_schemaless_map_with_non_string_keys_becomes_pairs() -> None:
    c = converter(schemas_enable=False)
    assert c.from_connect_data("t", None, {"m": {1: "a", 2: "b"}, "s": {"x": 1}}) == (
        b'{"m":[[1,"a"],[2,"b"]],"s":{"x":1}}'
    )


def test_header_values_convert_like_record_data() -> None:
    c = converter()
    schema = SchemaBuilder.struct().name("x").field("id", Schema.INT32_SCHEMA).build()
    value = Struct(schema, {"id": 7})
    data = c.from_connect_header("t", "h", schema, value)
    assert data == c.from_connect_data("t", schema, value)
    assert c.to_connect_header("t", "h", data) == c.to_connect_data("t", data)
    assert c.from_connect_header("t", "h", None, None) is None
