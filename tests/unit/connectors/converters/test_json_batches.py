"""JsonConverter's batch methods give exactly what the one-record methods give, or raise."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.api import DataError, Schema, SchemaBuilder, Struct
from connectors.converters.json import JsonConverter
from tests.unit.connectors.converters.strategies import PRIMITIVES, _value_for, schema_and_value


def converter(**configs: Any) -> JsonConverter:
    c = JsonConverter()
    c.configure({k.replace("_", "."): v for k, v in configs.items()}, False)
    return c


def one_by_one(c: JsonConverter, topic: str, data: list[bytes | None]) -> tuple[list, list]:  # type: ignore[type-arg]
    out = [c.to_connect_data(topic, d) for d in data]
    return [sv.schema for sv in out], [sv.value for sv in out]


@st.composite
def batch(draw: st.DrawFn) -> tuple[Schema, list[Any]]:
    schema, first = draw(schema_and_value())
    if schema.type in PRIMITIVES:
        return schema, [first, *draw(st.lists(_value_for(schema), max_size=6))]
    return schema, [first] * draw(st.integers(1, 3))


@settings(max_examples=150, deadline=None)
@given(batch(), st.sampled_from(["true", "false"]), st.sampled_from(["BASE64", "NUMERIC"]))
def test_batches_equal_one_record_at_a_time(
    pair: tuple[Schema, list[Any]], schemas: str, decimals: str
) -> None:
    schema, values = pair
    writer = converter(schemas_enable=schemas, decimal_format=decimals)
    single = [writer.from_connect_data("t", schema, v) for v in values]
    assert writer.from_connect_batch("t", schema, values) == single
    reader, expected = converter(schemas_enable=schemas), converter(schemas_enable=schemas)
    for _ in range(2):  # the first batch teaches the reader the envelope, the second uses it
        assert reader.to_connect_batch("t", single) == one_by_one(expected, "t", single)


def test_a_bad_value_raises_what_the_one_value_method_raises() -> None:
    schema = SchemaBuilder.struct().field("n", Schema.INT32_SCHEMA).build()
    c = converter()
    good = Struct(schema, {"n": 1})
    with pytest.raises(DataError) as batch_error:
        c.from_connect_batch("t", schema, [good, "not a struct"])
    with pytest.raises(DataError) as single_error:
        c.from_connect_data("t", schema, "not a struct")
    assert str(batch_error.value) == str(single_error.value)
    with pytest.raises(DataError, match="Cannot write"):
        c.from_connect_batch("t", Schema.STRING_SCHEMA, ["ok", "\ud800"])


def test_unusual_messages_fall_back_to_one_at_a_time() -> None:
    writer, reader, expected = converter(), converter(), converter()
    lines = writer.from_connect_batch("t", Schema.STRING_SCHEMA, ["a", "b"])
    reader.to_connect_batch("t", lines)  # the envelope is known from here on
    prefix = lines[0][: lines[0].index(b'"payload":') + 10]  # type: ignore[index]
    other = orjson.dumps({"schema": {"type": "int32", "optional": False}, "payload": 5})
    for odd in ([*lines, None], [other, *lines], [b'{"payload": 1, "schema": null}']):
        assert reader.to_connect_batch("t", odd) == one_by_one(expected, "t", odd)
    for broken in (
        [*lines, prefix + b"[1}"],
        [prefix + b"[1}", prefix + b"2]}", *lines],
        [*lines, b""],
        [prefix[:-1], *lines],
    ):
        with pytest.raises(DataError):
            reader.to_connect_batch("t", broken)


def test_schemaless_batches_parse_each_message() -> None:
    c = converter(schemas_enable="false")
    assert c.to_connect_batch("t", [b'{"a": 1}', None, b"2"]) == ([None] * 3, [{"a": 1}, None, 2])
    with pytest.raises(DataError):
        c.to_connect_batch("t", [b"{"])


FLAT = (
    SchemaBuilder.struct().name("flat")
    .field("message", Schema.STRING_SCHEMA)
    .field("origin", Schema.OPTIONAL_STRING_SCHEMA)
    .field("ok", Schema.BOOLEAN_SCHEMA)
    .field("score", Schema.FLOAT64_SCHEMA)
    .build()
)  # fmt: skip


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.text(),
            st.none() | st.text(),
            st.booleans(),
            st.floats(allow_nan=False, allow_infinity=False),
        ),
        min_size=1,
        max_size=5,
    ),
    st.sampled_from(["true", "false"]),
)
def test_batches_of_flat_structs_equal_one_record_at_a_time(
    rows: list[tuple[str, str | None, bool, float]], schemas: str
) -> None:
    names = ("message", "origin", "ok", "score")
    structs = [Struct(FLAT, dict(zip(names, r, strict=True))) for r in rows]
    writer = converter(schemas_enable=schemas)
    single = [writer.from_connect_data("t", FLAT, s) for s in structs]
    assert writer.from_connect_batch("t", FLAT, structs) == single
    if schemas == "true":
        reader, expected = converter(), converter()
        for _ in range(2):
            got = reader.to_connect_batch("t", single)
            assert got == one_by_one(expected, "t", single)
            assert [s.schema for s in got[1]] == [FLAT] * len(structs)
