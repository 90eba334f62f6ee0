"""Batches of flat structs whose field dicts are their own JSON: the JsonConverter's columns.

Why: a struct of text, boolean and floating-point fields (what a chain of field transforms
makes of a line, say) is written as a JSON object holding exactly its values, and read
back as the same dict. For a whole batch that can be proved column by column in C (the
field names and order of every dict, the Python types of every field), after which orjson
writes the structs' own dicts, and parsed dicts become the structs' values, with no
per-record Python call. Anything else takes the compiled per-record codecs.
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import attrgetter, itemgetter
from typing import Any

from connectors.api import Schema, Struct, Type
from connectors.converters.json_compiled import decoded_as_is

_SCHEMA = attrgetter("schema")
_VALUES = attrgetter("_values")
_PLAIN = (str, bool, float)


def rows_are_json(schema: Schema, rows: list[Any]) -> bool:
    """Whether every row is a dict holding exactly ``schema``'s fields, in order.

    Each value must be of the one type its field writes and reads unchanged (text, boolean,
    floating point), or None where the field is optional without a default.
    """
    if schema.type is not Type.STRUCT or not schema.fields or not rows:
        return False
    if set(map(type, rows)) != {dict}:
        return False
    if set(map(tuple, rows)) != {tuple(f.name for f in schema.fields)}:
        return False
    for f in schema.fields:
        exact = decoded_as_is(f.schema)
        if exact not in _PLAIN:
            return False
        allowed: set[type] = {exact}
        if f.schema.optional and f.schema.default is None:
            allowed.add(type(None))
        if not set(map(type, map(itemgetter(f.name), rows))) <= allowed:
            return False
    return True


def struct_rows(schema: Schema, values: Sequence[Any]) -> list[dict[str, Any]] | None:
    """The value dicts of structs of exactly ``schema`` that are their own JSON, or None."""
    if not values or set(map(type, values)) != {Struct}:
        return None
    if set(map(id, map(_SCHEMA, values))) != {id(schema)}:
        return None
    rows: list[dict[str, Any]] = list(map(_VALUES, values))
    return rows if rows_are_json(schema, rows) else None


def structs_over(schema: Schema, rows: list[dict[str, Any]]) -> list[Struct]:
    """Structs of ``schema`` holding ``rows`` (checked by :func:`rows_are_json`) as values."""
    new = object.__new__
    out: list[Struct] = []
    append = out.append
    for row in rows:
        struct = new(Struct)
        struct.schema = schema
        struct._values = row
        append(struct)
    return out
