"""JSON for :class:`~connectors.api.StructColumns`: a field at a time, then one format per value.

Why: encoding a Struct at a time walks every field of every value in Python (a ``get``, a
type test, a dict item) and hands orjson a fresh dict tree per value. Over columns, a field
of plain ints, floats, booleans or strings is written by one ``orjson.dumps`` of the whole
column and split back into per-value pieces at its separators (safe: inside a JSON string
every quote is escaped, so ``","`` only occurs between elements); a :class:`Repeat` field
is written once and becomes part of the format; and each value is then one ``bytes %
tuple`` of its pieces. About a fifth of the per-value cost, for a Debezium envelope.

The bytes are exactly the per-value encoder's: a column whose values are not all of the
field's plain type (nulls where a default applies, logical types, bytes, nested
non-columnar structs...) goes through that field's own compiled codec value by value, and
anything orjson cannot write makes :func:`encode_columns` raise ``TypeError`` so the
converter takes its per-value path for the batch (which then gives the same error).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import orjson

from connectors.api import LOGICAL_TYPES, Repeat, Schema, StructColumns, Type
from connectors.converters.json_data import json_default

#: (a field's schema) -> its compiled per-value encoder (value -> JSON tree)
CodecFor = Callable[[Schema], Callable[[Any], Any]]

_DUMP_OPTS = orjson.OPT_NAIVE_UTC
_NUMBERS: dict[Type, type] = {
    Type.INT8: int, Type.INT16: int, Type.INT32: int, Type.INT64: int,
    Type.FLOAT32: float, Type.FLOAT64: float, Type.BOOLEAN: bool,
}  # fmt: skip
_NONE = type(None)


def encode_columns(columns: StructColumns, codec_for: CodecFor) -> list[bytes]:
    """The JSON of each Struct ``columns`` stands for, as the per-value encoder writes it."""
    n = columns.length
    if not n:
        return []
    template, pieces = _struct_format(columns, codec_for)
    if not pieces:
        return [template.replace(b"%%", b"%")] * n
    return list(map(template.__mod__, zip(*pieces, strict=True)))


def _struct_format(columns: StructColumns, codec_for: CodecFor) -> tuple[bytes, list[Any]]:
    """A ``%``-format of one value (``%b`` per varying field) and the varying pieces."""
    parts: list[bytes] = []
    pieces: list[Any] = []
    for f in columns.schema.fields:
        column = columns.columns[f.name]
        name = orjson.dumps(f.name).replace(b"%", b"%%")
        if type(column) is Repeat:
            constant = _dumps(codec_for(f.schema)(column.value))
            parts.append(name + b":" + constant.replace(b"%", b"%%"))
        elif type(column) is StructColumns and column.schema is f.schema:
            inner, inner_pieces = _struct_format(column, codec_for)
            parts.append(name + b":" + inner)  # the nested format is spliced in
            pieces += inner_pieces
        else:
            slot, values = _field_pieces(f.schema, column, codec_for)
            parts.append(name + b":" + slot)
            pieces.append(values)
    return b"{" + b",".join(parts) + b"}", pieces


def _field_pieces(schema: Schema, column: Any, codec_for: CodecFor) -> tuple[bytes, list[bytes]]:
    """(the format slot, one JSON piece per value) for a field's column of values."""
    if not len(column):
        return b"%b", []
    plain = schema.name not in LOGICAL_TYPES
    nullable = schema.optional and schema.default is None  # null is written as null
    if plain and schema.type is Type.STRING and _all_strings(column):
        return b'"%b"', orjson.dumps(column)[2:-2].split(b'","')
    exact = _NUMBERS.get(schema.type) if plain else None
    if exact is int:
        written = _integers(column, nullable)
        if written is not None:
            return b"%b", written.split(b",")
    elif exact is not None:
        kinds = set(map(type, column))
        if kinds == {exact} or (nullable and kinds == {exact, _NONE}):
            return b"%b", orjson.dumps(column)[1:-1].split(b",")
    codec = codec_for(schema)
    return b"%b", [_dumps(codec(v)) for v in column]


def _all_strings(column: Sequence[Any]) -> bool:
    """Whether every value is a string: one ``str.join``, which refuses anything else."""
    try:
        "".join(column)
    except TypeError:
        return False
    return True


def _integers(column: Sequence[Any], nullable: bool) -> bytes | None:
    """The comma-separated JSON of a column of integers (and nulls when ``nullable``).

    Checked on what orjson wrote, in C: only digits, minus signs and commas (and ``null``)
    may appear, which rules out booleans, floats and strings without a type test per value.
    ``None`` sends the column through its codec. orjson's ``TypeError`` (an integer beyond
    64 bits) sends the batch to the per-value path, which gives the same error.
    """
    written = orjson.dumps(column)[1:-1]
    rest = written.translate(None, b"0123456789-,")
    if rest and not (nullable and not rest.replace(b"null", b"")):
        return None
    return written


def _dumps(tree: Any) -> bytes:
    """One JSON tree as the converter writes it (``TypeError`` for non-string map keys)."""
    return orjson.dumps(tree, default=json_default, option=_DUMP_OPTS)


def struct_columns_of(values: Sequence[Any], schema: Schema) -> StructColumns | None:
    """``values`` when they are StructColumns of exactly ``schema``, else None."""
    if type(values) is StructColumns and values.schema is schema:
        return values
    return None


__all__ = ["CodecFor", "encode_columns", "struct_columns_of"]
