"""StructColumns through the JsonConverter: exactly the bytes of one Struct at a time."""

from __future__ import annotations

import re
import string
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.api import DataError, Repeat, Schema, SchemaBuilder, Struct, StructColumns, Type
from connectors.converters.json import JsonConverter
from tests.unit.connectors.converters.strategies import _value_for, primitive


def converter(schemas: str = "false", **configs: str) -> JsonConverter:
    c = JsonConverter()
    c.configure({"schemas.enable": schemas, **configs}, False)
    return c


@st.composite
def flat_struct(draw: st.DrawFn) -> Schema:
    names = draw(st.lists(st.text(string.ascii_lowercase + '%"\\', min_size=1, max_size=5),
                          min_size=1, max_size=5, unique=True))  # fmt: skip
    builder = SchemaBuilder.struct().name("t.Value")
    for name in names:
        builder.field(name, draw(primitive())[0])
    return builder.build()


@st.composite
def columns_and_rows(draw: st.DrawFn) -> tuple[StructColumns, list[Struct]]:
    """Columns of a struct with plain fields, repeated fields and a nested columnar struct."""
    inner = draw(flat_struct())
    outer = SchemaBuilder.struct().name("t.Envelope")
    outer.field("after", inner)
    outer.field("op", Schema.STRING_SCHEMA)
    outer.field("note", Schema.OPTIONAL_STRING_SCHEMA)
    outer.field("n", SchemaBuilder.int64().optional().default_value(7).build())
    outer.field("source", inner)
    schema = outer.build()
    n = draw(st.integers(0, 6))
    inner_columns = {f.name: draw(st.lists(_value_for(f.schema), min_size=n, max_size=n))
                     for f in inner.fields}  # fmt: skip
    rows = [Struct(inner, {k: v[i] for k, v in inner_columns.items()}) for i in range(n)]
    source = Struct(inner, {k: v[0] for k, v in inner_columns.items()}) if n else None
    notes = draw(st.lists(st.none() | st.text(max_size=8), min_size=n, max_size=n))
    counts = draw(st.lists(st.none() | st.integers(-(2**63), 2**63 - 1), min_size=n, max_size=n))
    columns = StructColumns(
        schema,
        {"after": StructColumns(inner, inner_columns, n), "op": Repeat("c%s"), "note": notes,
         "n": counts, "source": Repeat(source)},
        n,
    )  # fmt: skip
    fields = zip(rows, notes, counts, strict=True)
    expected = [
        Struct(schema, {"after": r, "op": "c%s", "note": note, "n": c, "source": source})
        for r, note, c in fields
    ]
    return columns, expected


@settings(max_examples=150, deadline=None)
@given(columns_and_rows(), st.sampled_from(["true", "false"]), st.sampled_from(["true", "false"]))
def test_columns_encode_as_structs_one_by_one(
    pair: tuple[StructColumns, list[Struct]], schemas: str, defaults: str
) -> None:
    columns, rows = pair
    writer = converter(schemas, **{"replace.null.with.default": defaults})
    single = [writer.from_connect_data("t", columns.schema, r) for r in rows]
    assert writer.from_connect_batch("t", columns.schema, columns) == single
    assert list(columns) == rows  # the Structs the columns stand for


def test_structs_are_built_once_and_kept() -> None:
    schema = SchemaBuilder.struct().field("a", Schema.INT32_SCHEMA).build()
    columns = StructColumns(schema, {"a": [1, 2]}, 2)
    assert columns[0] is columns[0] and columns[1].get("a") == 2 and len(columns) == 2


@pytest.mark.parametrize(
    ("columns", "error"),
    [({}, "columns missing ['a']"), ({"a": [1], "b": [2]}, "unknown ['b']"),
     ({"a": [1, 2]}, "Column 'a' has 2 values, not 1")],
)  # fmt: skip
def test_bad_columns_are_refused(columns: dict[str, Any], error: str) -> None:
    schema = SchemaBuilder.struct().field("a", Schema.INT32_SCHEMA).build()
    with pytest.raises(ValueError, match=error.replace("[", r"\[").replace("]", r"\]")):
        StructColumns(schema, columns, 1)
    with pytest.raises(ValueError, match="STRUCT schema"):
        StructColumns(Schema(Type.INT32), {}, 0)


def test_unwritable_values_give_the_one_value_error() -> None:
    schema = SchemaBuilder.struct().field("s", Schema.STRING_SCHEMA).build()
    columns = StructColumns(schema, {"s": ["ok", "\ud800"]}, 2)  # a lone surrogate
    with pytest.raises(DataError):
        converter().from_connect_batch("t", schema, columns)
    wrong = StructColumns(schema, {"s": ["ok", 5]}, 2)  # not a string: the codec says so
    with pytest.raises(DataError):
        converter().from_connect_batch("t", schema, wrong)


@pytest.mark.parametrize(
    ("field", "column"),
    [(Schema.INT64_SCHEMA, [1, -2, 3]), (Schema.OPTIONAL_INT64_SCHEMA, [1, None, -3]),
     (Schema.OPTIONAL_INT32_SCHEMA, [None, None]), (Schema.INT32_SCHEMA, [1, True, 0]),
     (Schema.INT64_SCHEMA, [1, 2.5]), (Schema.INT64_SCHEMA, [2**63 - 1, -(2**63)]),
     (Schema.OPTIONAL_STRING_SCHEMA, ["a", None, "c"]), (Schema.STRING_SCHEMA, ["x", '"', ","])],
)  # fmt: skip
def test_columns_of_odd_members_encode_as_one_by_one(field: Schema, column: list[Any]) -> None:
    """The integer and string columns are checked on what orjson wrote, not per value."""
    schema = SchemaBuilder.struct().field("a", field).field("b", Schema.INT8_SCHEMA).build()
    columns = StructColumns(schema, {"a": column, "b": [7] * len(column)}, len(column))
    writer = converter()
    try:
        single = [writer.from_connect_data("t", schema, r) for r in columns]
    except DataError as exc:  # a value its schema refuses: the batch gives the same error
        with pytest.raises(DataError, match=re.escape(str(exc)[:30])):
            writer.from_connect_batch("t", schema, columns)
        return
    assert writer.from_connect_batch("t", schema, columns) == single
