"""The compiled per-schema JSON paths give exactly what the generic code gives."""

import decimal
import gc
from typing import Any

import orjson
import pytest
from hypothesis import given, settings

from connectors.api import DataError, Decimal, Schema, SchemaBuilder, Struct
from connectors.converters.json import JsonConverter
from connectors.converters.json_compiled import compile_decoder, compile_encoder
from connectors.converters.json_data import (
    DEFAULT_OPTIONS,
    JsonOptions,
    value_from_json,
    value_to_json,
)
from tests.unit.connectors.converters.strategies import schema_and_value


def converter(**configs: Any) -> JsonConverter:
    c = JsonConverter()
    c.configure({k.replace("_", "."): v for k, v in configs.items()}, False)
    return c


def row_schema(name: str = "shop.orders.Value") -> Schema:
    return (
        SchemaBuilder.struct()
        .name(name)
        .field("id", Schema.INT32_SCHEMA)
        .field("note", Schema.OPTIONAL_STRING_SCHEMA)
        .field("qty", SchemaBuilder.int64().optional().default_value(5).build())
        .field("price", Schema.OPTIONAL_FLOAT64_SCHEMA)
        .field("paid", Schema.BOOLEAN_SCHEMA)
        .build()
    )


def dumps(tree: Any) -> bytes:
    return orjson.dumps(tree, option=orjson.OPT_NAIVE_UTC)


def error_of(fn: Any, *args: Any) -> str:
    with pytest.raises(DataError) as exc:
        fn(*args)
    return str(exc.value)


@settings(max_examples=200, deadline=None)
@given(schema_and_value())
def test_compiled_codecs_equal_generic(pair: tuple[Schema, Any]) -> None:
    schema, value = pair
    encoded = compile_encoder(schema, DEFAULT_OPTIONS)(value)
    assert dumps(encoded) == dumps(value_to_json(schema, value))
    tree = orjson.loads(dumps(encoded))
    assert compile_decoder(schema)(tree) == value_from_json(schema, tree)


@settings(max_examples=100, deadline=None)
@given(schema_and_value())
def test_cached_converter_bytes_equal_uncached(pair: tuple[Schema, Any]) -> None:
    schema, value = pair
    for enabled in (True, False):
        fast = converter(schemas_enable=enabled)
        plain = converter(schemas_enable=enabled, schemas_cache_size=0)
        data = plain.from_connect_data("t", schema, value)
        assert fast.from_connect_data("t", schema, value) == data
        assert fast.from_connect_data("t", schema, value) == data  # now from the cache
        first, again = fast.to_connect_data("t", data), fast.to_connect_data("t", data)
        assert first == again == plain.to_connect_data("t", data)


def test_bad_values_raise_the_generic_errors() -> None:
    schema = row_schema()
    encode, decode = compile_encoder(schema, DEFAULT_OPTIONS), compile_decoder(schema)
    wrong = Struct.from_validated(schema, {"id": "7", "paid": True})
    missing = Struct(schema, {"id": 1})  # required "paid" never set
    other = Struct(row_schema("other"), {"id": 1, "paid": True})
    for value in (wrong, missing, other, 3, {"id": True, "paid": 1}):
        assert error_of(encode, value) == error_of(value_to_json, schema, value)
    for node in ({"id": 2**31, "paid": True}, {"id": 1, "paid": 1}, {"id": 1}, [1], None):
        assert error_of(decode, node) == error_of(value_from_json, schema, node)


def test_nulls_use_defaults_like_generic() -> None:
    schema = row_schema()
    value = Struct(schema, {"id": 1, "paid": False})
    assert compile_encoder(schema, DEFAULT_OPTIONS)(value)["qty"] == 5
    assert compile_decoder(schema)({"id": 1, "paid": False}).get_without_default("qty") == 5


def test_schemas_with_equal_names_never_share_a_cache_entry() -> None:
    c = converter()
    a = row_schema("same")
    b = SchemaBuilder.struct().name("same").field("id", Schema.STRING_SCHEMA).build()
    data_a = c.from_connect_data("t", a, Struct(a, {"id": 1, "paid": True}))
    data_b = c.from_connect_data("t", b, Struct(b, {"id": "x"}))
    assert orjson.loads(data_b) == {
        "schema": {
            "type": "struct",
            "fields": [{"type": "string", "optional": False, "field": "id"}],
            "optional": False,
            "name": "same",
        },
        "payload": {"id": "x"},
    }
    assert c.to_connect_data("t", data_a).schema == a
    assert c.to_connect_data("t", data_b).schema == b
    assert c.to_connect_data("t", data_a).value.get("id") == 1


def test_cache_holds_its_schemas_so_ids_are_not_reused() -> None:
    c = converter(schemas_cache_size=2)
    seen = []
    for i in range(5):
        schema = SchemaBuilder.struct().name(f"s{i}").field("n", Schema.INT32_SCHEMA).build()
        data = c.from_connect_data("t", schema, Struct(schema, {"n": i}))
        assert orjson.loads(data)["schema"]["name"] == f"s{i}"
        seen.append(data)
        del schema
        gc.collect()
    assert [c.to_connect_data("t", d).value.get("n") for d in seen] == list(range(5))


def test_known_envelope_prefix_falls_back_on_anything_unusual() -> None:
    c = converter()
    schema = row_schema()
    data = c.from_connect_data("t", schema, Struct(schema, {"id": 1, "paid": True}))
    assert c.to_connect_data("t", data).value.get("id") == 1  # prefix now remembered
    prefix = data[: data.index(b'"payload":') + len(b'"payload":')]
    extra_key = prefix + b'{"id":1,"paid":true},"x":1}'
    assert "exactly two fields" in error_of(c.to_connect_data, "t", extra_key)
    broken = prefix + b'{"id":1,"paid":tru}'
    assert error_of(c.to_connect_data, "t", broken) == error_of(
        converter().to_connect_data, "t", broken
    )
    wrong_type = prefix + b'{"id":"1","paid":true}'
    assert error_of(c.to_connect_data, "t", wrong_type) == error_of(
        converter().to_connect_data, "t", wrong_type
    )
    trailing = data + b" "
    assert c.to_connect_data("t", trailing) == converter().to_connect_data("t", trailing)
    assert c.to_connect_data("t", bytearray(data)).value.get("paid") is True


def test_generated_struct_codecs_take_any_field_name() -> None:
    names = ["a'b", 'q"uote', "new\nline", "back\\slash", "é€", "def", "source", "v0", "}"]
    builder = SchemaBuilder.struct().name("odd")
    for name in names:
        builder.field(name, Schema.OPTIONAL_STRING_SCHEMA)
    schema = builder.build()
    value = Struct(schema, {name: name * 2 for name in names})
    encoded = compile_encoder(schema, DEFAULT_OPTIONS)(value)
    assert encoded == {name: name * 2 for name in names}
    assert compile_decoder(schema)(encoded) == value
    c = converter()
    data = c.from_connect_data("t", schema, value)
    assert c.to_connect_data("t", data).value == value


def test_settings_changed_after_use_are_honoured_like_a_fresh_converter() -> None:
    schema = SchemaBuilder.struct().name("d").field("p", Decimal.schema(2)).build()
    value = Struct(schema, {"p": decimal.Decimal("1.25")})
    c = converter()
    data = c.from_connect_data("t", schema, value)
    c.to_connect_data("t", data)  # caches the encoder and remembers the envelope
    c.configure({"decimal.format": "NUMERIC"})
    assert c.from_connect_data("t", schema, value) == converter(
        decimal_format="NUMERIC"
    ).from_connect_data("t", schema, value)
    c.options = JsonOptions()  # set directly, without configure()
    assert c.from_connect_data("t", schema, value) == data
    c.to_connect_data("t", data)
    c.schemas_enabled = False
    assert c.to_connect_data("t", data) == converter(schemas_enable=False).to_connect_data(
        "t", data
    )
