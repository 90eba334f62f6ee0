"""Hypothesis strategies producing (Connect schema, valid value) pairs."""

import datetime as dt
import string
from typing import Any

from hypothesis import strategies as st

from connectors.api import Date, Decimal, Schema, SchemaBuilder, Struct, Time, Timestamp, Type

INT_BITS = {Type.INT8: 8, Type.INT16: 16, Type.INT32: 32, Type.INT64: 64}


def _ints(t: Type) -> st.SearchStrategy[int]:
    bits = INT_BITS[t]
    return st.integers(-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)


PRIMITIVES: dict[Type, st.SearchStrategy[Any]] = {
    **{t: _ints(t) for t in INT_BITS},
    Type.FLOAT32: st.floats(allow_nan=False, allow_infinity=False, width=32),
    Type.FLOAT64: st.floats(allow_nan=False, allow_infinity=False),
    Type.BOOLEAN: st.booleans(),
    Type.STRING: st.text(max_size=20),
    Type.BYTES: st.binary(max_size=20),
}

_LOW = dt.datetime(1900, 1, 1)  # noqa: DTZ001 - hypothesis needs naive bounds
_HIGH = dt.datetime(2200, 1, 1)  # noqa: DTZ001
LOGICAL: list[tuple[Schema, st.SearchStrategy[Any]]] = [
    (Decimal.schema(2), st.decimals(min_value=-(10**12), max_value=10**12, places=2)),
    (Date.SCHEMA, st.dates(dt.date(1900, 1, 1), dt.date(2200, 1, 1))),
    (Time.SCHEMA, st.times().map(lambda t: t.replace(microsecond=t.microsecond // 1000 * 1000))),
    (
        Timestamp.SCHEMA,
        st.datetimes(_LOW, _HIGH).map(
            lambda d: d.replace(microsecond=d.microsecond // 1000 * 1000, tzinfo=dt.UTC)
        ),
    ),
]


@st.composite
def primitive(draw: st.DrawFn) -> tuple[Schema, Any]:
    if draw(st.booleans()):
        t = draw(st.sampled_from(list(PRIMITIVES)))
        optional = draw(st.booleans())
        schema = Schema(t, optional=optional)
        value = draw(st.none() | PRIMITIVES[t]) if optional else draw(PRIMITIVES[t])
        return schema, value
    schema, values = draw(st.sampled_from(LOGICAL))
    return schema, draw(values)


@st.composite
def schema_and_value(draw: st.DrawFn, depth: int = 2) -> tuple[Schema, Any]:
    kind = draw(
        st.sampled_from(["primitive", "array", "map", "struct"] if depth else ["primitive"])
    )
    if kind == "primitive":
        return draw(primitive())
    if kind == "array":
        inner, _ = draw(primitive())
        items = draw(st.lists(st.just(0), max_size=3))
        values = [draw(_value_for(inner)) for _ in items]
        return SchemaBuilder.array(inner).build(), values
    if kind == "map":
        key_type = draw(st.sampled_from([Type.STRING, Type.INT32]))
        inner, _ = draw(primitive())
        keys = draw(st.lists(PRIMITIVES[key_type], max_size=3, unique=True))
        return (
            SchemaBuilder.map(Schema(key_type), inner).build(),
            {k: draw(_value_for(inner)) for k in keys},
        )
    names = draw(
        st.lists(
            st.text(string.ascii_lowercase, min_size=1, max_size=6),
            min_size=1,
            max_size=4,
            unique=True,
        )
    )
    builder = SchemaBuilder.struct().name(draw(st.sampled_from(["a.B", "x.y.Value"])))
    members = [draw(schema_and_value(depth - 1)) for _ in names]
    for name, (s, _) in zip(names, members, strict=True):
        builder.field(name, s)
    schema = builder.optional().build() if draw(st.booleans()) else builder.build()
    return schema, Struct(schema, {n: v for n, (_, v) in zip(names, members, strict=True)})


def _value_for(schema: Schema) -> st.SearchStrategy[Any]:
    for s, values in LOGICAL:
        if s == schema:
            return values
    base = PRIMITIVES[schema.type]
    return st.none() | base if schema.optional else base
