"""Per-table generated code that turns a snapshot chunk's COPY rows into records.

Why generated: building one ``op=r`` record means a text -> value conversion per column,
the Value, Key and Envelope Structs, the offset and the SourceRecord. Done with loops over
per-column tables and generic helpers (:meth:`TableShape.value`, ``key_of``, ``fast_struct``,
the record constructor) that costs several times the work it selects. One straight-line loop
per table, compiled once per snapshot table, does the same with every per-table constant
(schemas, topic, column names, offset parts) bound once.

The results are exactly those of the generic code: each column goes through the shape's own
converter, except where the converter is known and the value is in its common form (``int``,
``str``, UTC ``timestamptz``), where the same result is computed inline; anything unusual
(NULLs, escapes, ``infinity``, BC dates, other offsets) takes the converter's own path.
Column names appear in the generated source only as ``repr()`` literals, never as code.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from connectors.api import Schema, SourceRecord, Struct
from connectors.sources.postgres_cdc import types as pg_types
from connectors.sources.postgres_cdc.envelope import TableShape

#: (rows, now_us, source block, partition, lsn) -> records; rows are field sequences.
ChunkBuilder = Callable[[Any, int, Struct, dict[str, Any], int], list[SourceRecord]]


def _guarded_code() -> Any:
    """The code object of the ``guarded`` wrapper types.py puts around fallible converters."""
    mapper = pg_types.TypeMapper(pg_types.Catalog(), pg_types.Modes())
    col = pg_types.ColumnType(Schema.OPTIONAL_STRING_SCHEMA, str)
    return getattr(mapper._guarded(col, "probe"), "__code__", None)


_GUARDED = _guarded_code()


def guarded_inner(conv: Any) -> Any:
    """The converter inside a ``guarded`` wrapper, else None."""
    code = getattr(conv, "__code__", None)
    if code is None or code is not _GUARDED or "convert" not in code.co_freevars:
        return None
    return conv.__closure__[code.co_freevars.index("convert")].cell_contents


def _zoned_inline(var: str, field: str, conv: str) -> list[str]:
    """``_zoned_timestamp``'s UTC fast path inline (same tests, same result), else the call."""
    return [
        f"    if {field}[-3:] == '+00' and len({field}) >= 22 and {field}[10] == ' ' "
        f"and {field}[4] == '-':",
        f"        if {field}[19] == '.' and {field}[-4] != '0' and len({field}) > 23:",
        f"            {var} = {field}[:10] + 'T' + {field}[11:-3] + 'Z'",  # nothing to strip
        f"        elif {field}[19] == '.' and (fr := {field}[20:-3].rstrip('0')):",
        f"            {var} = {field}[:10] + 'T' + {field}[11:19] + '.' + fr + 'Z'",
        "        else:",
        f"            {var} = {field}[:10] + 'T' + {field}[11:19] + 'Z'",
        "    else:",
        f"        {var} = {conv}({field})",
    ]


def _convert_lines(i: int, conv: Any, field: str, *, nulls: bool) -> list[str]:
    """Source lines setting ``v{i}`` from the text in ``field``."""
    var, name = f"v{i}", f"c{i}"
    if conv is int:
        expr = f"int({field})"
    elif conv is str:
        expr = field
    else:
        expr = f"{name}({field})"
    if conv is not str and guarded_inner(conv) is pg_types._zoned_timestamp:
        lines = _zoned_inline(var, field, name)
        if nulls:
            head = [f"    if {field} is None:", f"        {var} = None", "    else:"]
            return head + ["    " + line for line in lines]
        return lines
    if nulls:
        return [f"    {var} = None if {field} is None else {expr}"]
    return [f"    {var} = {expr}"]


def compile_chunk_builder(
    shape: TableShape, *, table: str, key_columns: list[str], nulls: bool
) -> ChunkBuilder:
    """A function building the ``op=r`` records of rows of ``shape``'s table.

    Rows hold the COPY fields of ``shape.names`` (after the ``ctid`` when ``key_columns`` is
    empty); ``nulls``: fields may be None (else none is). Every record gets ``source`` as its
    source block and an offset naming ``table`` and its row's key text (the caller patches the
    first and last records' snapshot markers).
    """
    no_pk = not key_columns
    offset = 1 if no_pk else 0
    width = len(shape.names) + offset
    fields = [f"f{j}" for j in range(width)]
    ns: dict[str, Any] = {
        "new": object.__new__, "Struct": Struct, "SourceRecord": SourceRecord,
        "VS": shape.value_schema, "KS": shape.key_schema, "ES": shape.envelope_schema,
        "TOPIC": shape.topic, "TABLE": table,
    }  # fmt: skip
    body = [
        "def build(rows, now_us, source, partition, lsn):",
        "    out = []",
        "    append = out.append",
        "    now_ms = now_us // 1000",
        "    now_ns = now_us * 1000",
        # offsets are copies of one template (cheaper than a dict display of six items)
        "    copy = {'lsn': lsn, 'snapshot': 'INITIAL', 'snapshot_table': TABLE, "
        "'snapshot_key': None, 'last_snapshot_record': False, 'ts_usec': now_us}.copy",
        f"    for {', '.join(fields)}{',' if width == 1 else ''} in rows:",
    ]
    loop: list[str] = []
    for i in shape.kept:
        ns[f"c{i}"] = shape.converters[i]
        loop += _convert_lines(i, shape.converters[i], fields[i + offset], nulls=nulls)
    names = shape.names
    value_items = ", ".join(f"{names[i]!r}: v{i}" for i in shape.kept)
    key_items = ", ".join(f"{names[i]!r}: v{i}" for i in shape.key_idx)
    snapshot_key = "[f0]" if no_pk else "[" + ", ".join(
        fields[names.index(k)] for k in key_columns) + "]"  # fmt: skip
    loop += [
        "    after = new(Struct)",
        "    after.schema = VS",
        f"    after._values = {{{value_items}}}",
    ]
    if shape.key_schema is not None:
        loop += [
            "    key = new(Struct)",
            "    key.schema = KS",
            f"    key._values = {{{key_items}}}",
        ]
    else:
        loop += ["    key = None"]
    loop += [
        "    value = new(Struct)",
        "    value.schema = ES",
        "    value._values = {'before': None, 'after': after, 'source': source, "
        "'transaction': None, 'op': 'r', 'ts_ms': now_ms, 'ts_us': now_us, 'ts_ns': now_ns}",
        "    r = new(SourceRecord)",
        "    r.topic = TOPIC",
        "    r.kafka_partition = None",
        "    r.key_schema = KS",
        "    r.key = key",
        "    r.value_schema = ES",
        "    r.value = value",
        "    r.timestamp = now_ms",
        "    r._headers = None",
        "    r.source_partition = partition",
        "    r.source_offset = offset = copy()",
        f"    offset['snapshot_key'] = {snapshot_key}",
        "    append(r)",
    ]
    body += ["    " + line for line in loop]
    body.append("    return out")
    source = "\n".join(body) + "\n"
    # column names are only repr() literals in the source: no name can become code
    exec(compile(source, f"<snapshot rows of {shape.topic}>", "exec"), ns)
    builder: ChunkBuilder = ns["build"]
    return builder


__all__ = ["ChunkBuilder", "compile_chunk_builder", "guarded_inner"]
