"""Struct values held as columns: one sequence per field instead of one Struct per value.

Why: a change-data-capture source emits thousands of values of one schema per poll (a
Debezium envelope around a table's row). As Structs, each value costs a Struct, a dict and
the envelope's nested Structs to build, and a converter then walks every one of them again.
Held as columns, a converter that understands them (the JsonConverter) encodes a whole field
in one C call and assembles each value with one format operation; fields that are the same
for the whole batch (the envelope's ``op``, its ``source`` block during a snapshot) are
held once, as a :class:`Repeat`, and encoded once.

:class:`StructColumns` is an ordinary ``Sequence`` of :class:`Struct` for everybody else:
indexing or iterating builds the Structs once (the same objects every time), exactly as
the producer would have built them one by one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import repeat
from typing import Any

from connectors.api.built import BuiltOnDemand
from connectors.api.data import Schema, Struct, Type


class Repeat:
    """One value standing for every row of a column (a field constant across the batch)."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __repr__(self) -> str:
        return f"Repeat({self.value!r})"


#: What a field's column may be: its values in order, one repeated value, or nested columns.
Column = Sequence[Any] | Repeat


class StructColumns(BuiltOnDemand[Struct]):
    """``length`` Structs of ``schema``; ``columns[name]`` holds field ``name`` of each.

    A column is a sequence of ``length`` values, a :class:`Repeat`, or (for a struct field)
    a nested ``StructColumns``. Every field of the schema has a column. The values are
    trusted as a Struct built with :meth:`Struct.from_validated` trusts its dict: the
    producer guarantees each fits its field schema (converters still check the types they
    rely on, and fall back to their per-value path for anything unexpected).
    """

    __slots__ = ("columns", "length", "schema")

    def __init__(self, schema: Schema, columns: Mapping[str, Column], length: int) -> None:
        if schema.type is not Type.STRUCT:
            msg = f"StructColumns needs a STRUCT schema, not {schema.type.name}."
            raise ValueError(msg)
        names = [f.name for f in schema.fields]
        missing = [n for n in names if n not in columns]
        if missing or len(columns) != len(names):
            extra = sorted(set(columns) - set(names))
            msg = f"StructColumns for {schema.name or 'a struct'}: columns missing {missing}"
            msg += f", unknown {extra}." if extra else "."
            raise ValueError(msg)
        for name in names:
            column = columns[name]
            if type(column) is not Repeat and len(column) != length:  # type: ignore[arg-type]
                msg = f"Column {name!r} has {len(column)} values, not {length}."  # type: ignore[arg-type]
                raise ValueError(msg)
        self.schema = schema
        self.columns = {name: columns[name] for name in names}  # in the schema's field order
        self.length = length
        super().__init__()

    def rows(self) -> list[Struct]:
        """The Structs, built on first use and kept (the same objects every time)."""
        return self.built()

    def _build(self) -> list[Struct]:
        names = tuple(self.columns)
        n = self.length
        iters: list[Any] = []
        for column in self.columns.values():
            if type(column) is Repeat:
                iters.append(repeat(column.value, n))
            elif type(column) is StructColumns:
                iters.append(column.rows())
            else:
                iters.append(column)
        new, schema = object.__new__, self.schema
        out: list[Struct] = []
        append = out.append
        for values in zip(*iters, strict=True):
            struct = new(Struct)
            struct.schema = schema
            struct._values = dict(zip(names, values, strict=True))
            append(struct)
        if not names:
            out = [Struct.from_validated(schema, {}) for _ in range(n)]
        return out

    def __len__(self) -> int:
        return self.length

    def __repr__(self) -> str:
        return f"StructColumns({self.schema.name or 'struct'}, {self.length} rows)"


__all__ = ["Column", "Repeat", "StructColumns"]
