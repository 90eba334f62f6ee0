"""Per-table generated code that turns a streamed Insert/Update message into its record.

Why generated: the generic path decodes a message into a :class:`~.pgoutput.Message` and a
list of column texts, converts them through per-column tables (:meth:`TableShape.value`,
``key_of``), then builds the source block, the envelope and the record with helpers. Each
step is cheap, but together they cost several times the work they select, per event. One
straight-line function per table, compiled when its Relation message arrives, reads the
column values straight from the message bytes and builds the same Structs, offset and
record with every per-table constant (schemas, names, topic, source fields) bound once.

The results are exactly those of the generic path: each column goes through the shape's own
converter, except where the converter is known (``int``, ``str``, the float and boolean
parsers), where the same value is computed inline. A message in any other form than the
common one (an old tuple, binary values, another column count) makes the function return
None before any side effect, and the caller takes the generic path. Column and table names
appear in the generated source only as ``repr()`` literals, never as code.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from connectors.api import SourceRecord, Struct
from connectors.sources.postgres_cdc import types as pg_types
from connectors.sources.postgres_cdc.envelope import SOURCE_SCHEMA, TableShape, source_block

if TYPE_CHECKING:
    from connectors.sources.postgres_cdc.stream import StreamSettings, _Tx

#: (message as received, transaction, event index in it, now in us, op) -> record or None
EventBuilder = Callable[[bytes, "_Tx", int, int, str], SourceRecord | None]

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
    """Lines reading column ``i`` at ``p`` into ``v{i}`` (only skipping it when not kept)."""
    lines = [
        "    t = msg[p]",
        "    if t == 116:",  # 't': Int32 length, then the text
        "        n = I32(msg, p + 1)[0]",
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


def compile_event_builder(shape: TableShape, settings: StreamSettings) -> EventBuilder:
    """The function building the change record of an Insert/Update of ``shape``'s table.

    It takes the XLogData message as received ('w', 24-byte header, pgoutput payload at
    byte 25) and returns None unless the payload is a new tuple alone ('N') with text or
    null/unchanged values, one per column of the shape.
    """
    ns: dict[str, Any] = {
        "new": object.__new__, "Struct": Struct, "SourceRecord": SourceRecord, "I32": _I32,
        "I64": _I64, "VS": shape.value_schema, "KS": shape.key_schema,
        "ES": shape.envelope_schema, "SS": SOURCE_SCHEMA, "PARTITION": settings.partition,
        # the source block of every event of the table, in field order (the rest is set
        # per event); built by the same function as the generic path's
        "SOURCE": source_block(settings.prefix, settings.db, shape.schema, shape.table, 0,
                               txId=0, lsn=0, sequence="")._values,
    }  # fmt: skip
    count = len(shape.names)
    body = [
        "def build(msg, tx, index, now_us, op):",
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
    names = shape.names
    value_items = ", ".join(f"{names[i]!r}: v{i}" for i in shape.kept)
    key_items = ", ".join(f"{names[i]!r}: v{i}" for i in shape.key_idx)
    body += [
        "    if p != len(msg):",
        "        return None",
        "    lsn = I64(msg, 1)[0]",
        "    final_lsn = tx.final_lsn",
        "    xid = tx.xid",
        "    ts_us = tx.ts_us",
        "    ts_ms = ts_us // 1000",
        "    after = new(Struct)",
        "    after.schema = VS",
        f"    after._values = {{{value_items}}}",
    ]
    if shape.key_schema is not None:
        body += ["    key = new(Struct)", "    key.schema = KS"]
        body += [f"    key._values = {{{key_items}}}"]
    else:
        body += ["    key = None"]
    body += [
        "    source = new(Struct)",
        "    source.schema = SS",
        "    source._values = src = SOURCE.copy()",  # a copy + 6 stores beat a 14-key display
        "    src['ts_ms'] = ts_ms",
        "    src['sequence'] = f'[\"{final_lsn}\",\"{lsn}\"]'",
        "    src['ts_us'] = ts_us",
        "    src['ts_ns'] = ts_us * 1000",
        "    src['txId'] = xid",
        "    src['lsn'] = lsn",
        "    value = new(Struct)",
        "    value.schema = ES",
        "    value._values = {'before': None, 'after': after, 'source': source, "
        "'transaction': None, 'op': op, 'ts_ms': now_us // 1000, 'ts_us': now_us, "
        "'ts_ns': now_us * 1000}",
        "    r = new(SourceRecord)",
        f"    r.topic = {shape.topic!r}",
        "    r.kafka_partition = None",
        "    r.key_schema = KS",
        "    r.key = key",
        "    r.value_schema = ES",
        "    r.value = value",
        "    r.timestamp = ts_ms",
        "    r._headers = None",
        "    r.source_partition = PARTITION",
        "    r.source_offset = {'lsn': lsn, 'lsn_proc': lsn, 'lsn_commit': final_lsn, "
        "'txId': xid, 'ts_usec': ts_us, 'events': index}",
        "    return r",
    ]
    source = "\n".join(body) + "\n"
    # names are only repr() literals in the source: no column or table name can become code
    exec(compile(source, f"<stream events of {shape.topic}>", "exec"), ns)
    builder: EventBuilder = ns["build"]
    return builder


__all__ = ["EventBuilder", "compile_event_builder"]
