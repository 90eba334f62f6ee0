"""Per-table generated code that reads a streamed Insert/Update message as a row tuple.

Why generated: the generic path decodes a message into a :class:`~.pgoutput.Message` and a
list of column texts, then converts them through per-column tables (:meth:`TableShape.value`).
Each step is cheap, but together they cost several times the work they select, per event. One
straight-line function per table, compiled when its Relation message arrives, reads the
column values straight from the message bytes with every per-table constant bound once; the
rows are then turned into columnar batches (:mod:`stream_columns`).

The results are exactly those of the generic path: each column goes through the shape's own
converter, except where the converter is known (``int``, ``str``, the float and boolean
parsers), where the same value is computed inline. A message in any other form than the
common one (an old tuple, binary values, another column count) makes the function return
None, and the caller takes the generic path. Column names never appear in the generated
source: values are read by position.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from connectors.sources.postgres_cdc import types as pg_types
from connectors.sources.postgres_cdc.envelope import TableShape

if TYPE_CHECKING:
    pass

#: (message as received) -> (lsn, kept column values...) or None
RowReader = Callable[[bytes], tuple[Any, ...] | None]

_I32 = struct.Struct(">i").unpack_from
_I64 = struct.Struct(">q").unpack_from

#: inline expressions (of the bytes slice ``raw``) for converters known to give the same
_INLINE: dict[Any, str] = {
    int: "int({raw})",
    str: "{raw}.decode()",
    pg_types._float: "float({raw})",
    pg_types._bool: "{raw} == b't'",
}


def _column_lines(i: int, kept: bool, conv: Any) -> list[str]:
    """Lines reading column ``i`` at ``p`` into ``v{i}`` (only skipping it when not kept).

    An integer column's text is at most 20 bytes ("-9223372036854775808"), so its Int32
    length is its last byte alone: one index instead of an unpack.
    """
    length = "msg[p + 4]" if conv is int else "I32(msg, p + 1)[0]"
    lines = [
        "    t = msg[p]",
        "    if t == 116:",  # 't': Int32 length, then the text
        f"        n = {length}",
        "        p += 5 + n",
    ]
    if kept:
        raw = "msg[p - n : p]"
        inline = _INLINE.get(conv)
        expr = inline.format(raw=raw) if inline else f"c{i}({raw}.decode())"
        lines += [
            f"        v{i} = {expr}",
            "    elif t == 110:",  # 'n': null
            f"        v{i} = None",
            "        p += 1",
            "    elif t == 117:",  # 'u': unchanged TOAST value
            f"        v{i} = ph{i}",
            "        p += 1",
        ]
    else:
        lines += ["    elif t == 110 or t == 117:", "        p += 1"]
    lines += ["    else:", "        return None"]
    return lines


def _tuple_lines(shape: TableShape, ns: dict[str, Any]) -> list[str]:
    """The lines of ``read(msg)`` that read a new tuple into ``v<i>`` (or return None).

    Binds each kept column's converter (``c<i>``) and TOAST placeholder (``ph<i>``) in
    ``ns``; the message must be a new tuple alone ('N') with one value per column.
    """
    count = len(shape.names)
    body = [
        "def read(msg):",
        f"    if len(msg) < 33 or msg[30] != 78 or msg[31] != {count >> 8} "
        f"or msg[32] != {count & 0xFF}:",
        "        return None",
        "    p = 33",
    ]
    kept = set(shape.kept)
    for i, conv in enumerate(shape.converters):
        if i in kept:
            ns[f"c{i}"] = conv
            ns[f"ph{i}"] = shape.placeholders[i]
        body += _column_lines(i, i in kept, conv)
    return [*body, "    if p != len(msg):", "        return None"]


def compile_row_reader(shape: TableShape) -> RowReader:
    """The function reading an Insert/Update of ``shape``'s table as a row tuple.

    ``(lsn, value of each kept column...)``: exactly the values the generic path's record
    holds (``TableShape.value``), or None for a message in any other form.
    """
    ns: dict[str, Any] = {"I32": _I32, "I64": _I64}
    body = _tuple_lines(shape, ns)
    body.append(f"    return (I64(msg, 1)[0], {''.join(f'v{i}, ' for i in shape.kept)})")
    # names are never in the source (values are read by position): nothing can become code
    exec(compile("\n".join(body) + "\n", f"<stream rows of {shape.topic}>", "exec"), ns)
    reader: RowReader = ns["read"]
    return reader


__all__ = ["RowReader", "compile_row_reader"]
