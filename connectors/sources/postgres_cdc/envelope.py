"""Debezium's change-event envelope: key/value Connect schemas per table and the records.

Names follow Debezium exactly so consumers and SMTs written for it work unchanged:
topic ``<prefix>.<schema>.<table>``, schemas ``<prefix>.<schema>.<table>.Key/.Value/.Envelope``,
source block ``io.debezium.connector.postgresql.Source``. A :class:`TableShape` is built from a
table's columns once (per Relation message or snapshot) and then turns text rows into Structs.
"""

from __future__ import annotations

import decimal
import functools
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from connectors.api import DECIMAL_NAME, Headers, Schema, SchemaBuilder, SourceRecord, Struct, Type
from connectors.sources.postgres_cdc.pgoutput import UNCHANGED_TOAST, TupleValue
from connectors.sources.postgres_cdc.types import ColumnType, Convert, TypeMapper

VERSION = "2.7.0.cdchub"
CONNECTOR = "postgresql"
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9_]")
_UNSAFE_TOPIC = re.compile(r"[^A-Za-z0-9._-]")


def schema_name(*parts: str) -> str:
    """Avro-safe dotted name: other characters become '_', no leading digit."""
    out = []
    for part in parts:
        safe = _UNSAFE_NAME.sub("_", part)
        out.append("_" + safe if safe[:1].isdigit() else safe)
    return ".".join(out)


def topic_name(prefix: str, schema: str, table: str) -> str:
    """``<prefix>.<schema>.<table>`` with characters Kafka refuses replaced by '_'."""
    return _UNSAFE_TOPIC.sub("_", f"{prefix}.{schema}.{table}")


_OPT_STR = Schema.OPTIONAL_STRING_SCHEMA
_OPT_I64 = Schema.OPTIONAL_INT64_SCHEMA
SNAPSHOT_ENUM = (
    SchemaBuilder.string()
    .name("io.debezium.data.Enum")
    .version(1)
    .parameter(
        "allowed",
        "true,first,first_in_data_collection,last_in_data_collection,last,false,incremental",
    )
    .default_value("false")
    .optional()
    .build()
)
SOURCE_SCHEMA = (
    SchemaBuilder.struct()
    .name("io.debezium.connector.postgresql.Source")
    .field("version", Schema.STRING_SCHEMA)
    .field("connector", Schema.STRING_SCHEMA)
    .field("name", Schema.STRING_SCHEMA)
    .field("ts_ms", Schema.INT64_SCHEMA)
    .field("snapshot", SNAPSHOT_ENUM)
    .field("db", Schema.STRING_SCHEMA)
    .field("sequence", _OPT_STR)
    .field("ts_us", _OPT_I64)
    .field("ts_ns", _OPT_I64)
    .field("schema", Schema.STRING_SCHEMA)
    .field("table", Schema.STRING_SCHEMA)
    .field("txId", _OPT_I64)
    .field("lsn", _OPT_I64)
    .field("xmin", _OPT_I64)
    .build()
)
TRANSACTION_BLOCK = (
    SchemaBuilder.struct()
    .name("event.block")
    .version(1)
    .optional()
    .field("id", Schema.STRING_SCHEMA)
    .field("total_order", Schema.INT64_SCHEMA)
    .field("data_collection_order", Schema.INT64_SCHEMA)
    .build()
)


def fast_struct(schema: Schema, values: dict[str, Any]) -> Struct:
    """A Struct whose values are valid by construction, without per-field validation.

    Why: ``Struct.put`` validates every value against its schema; our converters already
    produce values of the column's schema, and validating ~10 fields per event would
    dominate the streaming cost. Tests validate a sample of events with ``Struct.validate``.
    """
    s = Struct.__new__(Struct)
    s.schema = schema
    s._values = values
    return s


@dataclass(frozen=True)
class ColumnInfo:
    """A column as the catalog or a Relation message describes it."""

    name: str
    type_oid: int
    typmod: int
    not_null: bool
    key_position: int  # 0 = not a key column; 1.. = position in the key


@dataclass
class TableShape:
    """Schemas and converters of one captured table, in the order of its columns."""

    schema: str
    table: str
    topic: str
    names: list[str]
    converters: list[Convert]
    placeholders: list[Any]
    kept: list[int]
    key_idx: list[int]
    key_schema: Schema | None
    value_schema: Schema
    envelope_schema: Schema
    fallbacks: list[Any]

    def value(self, row: list[TupleValue], *, identity_only: bool = False) -> Struct:
        """The Value struct of a text row; unchanged TOAST -> the placeholder.

        ``identity_only``: the row is a replica-identity ('K') old tuple, where only key
        columns are set; NOT NULL columns then get their type's zero value (as Debezium's
        before image does), since null would break the required field.
        """
        values: dict[str, Any] = {}
        names, conv, ph = self.names, self.converters, self.placeholders
        for i in self.kept:
            text = row[i]
            if text is None:
                values[names[i]] = self.fallbacks[i] if identity_only else None
            elif text is UNCHANGED_TOAST:
                values[names[i]] = ph[i]
            else:
                values[names[i]] = conv[i](text)  # type: ignore[arg-type]
        return fast_struct(self.value_schema, values)

    def key_of(self, value: Struct) -> Struct | None:
        """The Key struct from an already converted Value (key columns are always kept)."""
        if self.key_schema is None:
            return None
        values = value._values
        names = self.key_names
        if len(names) == 1:
            name = names[0]
            return fast_struct(self.key_schema, {name: values[name]})
        return fast_struct(self.key_schema, {n: values[n] for n in names})

    @functools.cached_property
    def key_names(self) -> list[str]:
        """Names of the key columns (computed once; shapes never change)."""
        return [self.names[i] for i in self.key_idx]

    def key(self, row: list[TupleValue]) -> Struct | None:
        """The Key struct (primary key columns), or None for a table without a key."""
        if self.key_schema is None:
            return None
        names, conv = self.names, self.converters
        values = {
            names[i]: None if row[i] is None else conv[i](row[i])  # type: ignore[arg-type]
            for i in self.key_idx
        }
        return fast_struct(self.key_schema, values)


def build_shape(
    prefix: str,
    schema: str,
    table: str,
    columns: list[ColumnInfo],
    mapper: TypeMapper,
    keep: Any,
    key_override: list[str] | None = None,
    mask: Callable[[str], Callable[[Any], Any] | None] | None = None,
) -> TableShape:
    """Build a table's schemas; ``keep(column)`` applies the column filters (keys always kept)."""
    where = f"{schema}.{table}"
    mapped = [
        mapper.column(c.type_oid, c.typmod, not c.not_null, f"{where}.{c.name}") for c in columns
    ]
    if key_override:
        key_idx = [i for name in key_override for i, c in enumerate(columns) if c.name == name]
    else:
        keyed = sorted((c.key_position, i) for i, c in enumerate(columns) if c.key_position)
        key_idx = [i for _, i in keyed]
    kept = [i for i, c in enumerate(columns) if i in key_idx or keep(c.name)]
    if mask is not None:
        mapped = [_masked(m, mask(c.name)) for m, c in zip(mapped, columns, strict=True)]
    base = schema_name(prefix, schema, table)
    value_b = SchemaBuilder.struct().name(base + ".Value").optional()
    for i in kept:
        value_b = value_b.field(columns[i].name, mapped[i].schema)
    value_schema = value_b.build()
    key_schema = None
    if key_idx:
        key_b = SchemaBuilder.struct().name(base + ".Key")
        for i in key_idx:
            col_schema = mapped[i].schema
            if col_schema.optional:
                col_schema = SchemaBuilder.of(col_schema).required().build()
            key_b = key_b.field(columns[i].name, col_schema)
        key_schema = key_b.build()
    envelope = (
        SchemaBuilder.struct()
        .name(base + ".Envelope")
        .version(2)
        .field("before", value_schema)
        .field("after", value_schema)
        .field("source", SOURCE_SCHEMA)
        .field("transaction", TRANSACTION_BLOCK)
        .field("op", Schema.STRING_SCHEMA)
        .field("ts_ms", _OPT_I64)
        .field("ts_us", _OPT_I64)
        .field("ts_ns", _OPT_I64)
        .build()
    )
    return TableShape(
        schema, table, topic_name(prefix, schema, table), [c.name for c in columns],
        [m.convert for m in mapped], [m.placeholder for m in mapped], kept, key_idx,
        key_schema, value_schema, envelope, [_zero(m.schema) for m in mapped],
    )  # fmt: skip


def _masked(col: ColumnType, fn: Callable[[Any], Any] | None) -> ColumnType:
    """A string column whose values pass through a column.mask.* function."""
    if fn is None or col.schema.type is not Type.STRING:
        return col
    inner = col.convert
    return ColumnType(col.schema, lambda text: fn(inner(text)), col.placeholder)


_ZEROS: dict[Type, Any] = {
    Type.INT8: 0, Type.INT16: 0, Type.INT32: 0, Type.INT64: 0, Type.FLOAT32: 0.0,
    Type.FLOAT64: 0.0, Type.BOOLEAN: False, Type.STRING: "", Type.BYTES: b"", Type.ARRAY: [],
}  # fmt: skip


def _zero(schema: Schema) -> Any:
    """A required column's stand-in when its value is unknown (null for optional ones)."""
    if schema.optional:
        return None
    if schema.default is not None:
        return schema.default
    if schema.name == DECIMAL_NAME:
        return decimal.Decimal(0).scaleb(-int((schema.parameters or {}).get("scale", "0")))
    return _ZEROS.get(schema.type)


def source_block(
    prefix: str, db: str, shape_schema: str, table: str, ts_us: int, **extra: Any
) -> Struct:
    """The ``source`` struct; ``extra`` sets snapshot, sequence, txId, lsn, xmin."""
    values = {
        "version": VERSION,
        "connector": CONNECTOR,
        "name": prefix,
        "ts_ms": ts_us // 1000,
        "snapshot": "false",
        "db": db,
        "sequence": None,
        "ts_us": ts_us,
        "ts_ns": ts_us * 1000,
        "schema": shape_schema,
        "table": table,
        "txId": None,
        "lsn": None,
        "xmin": None,
    }
    values.update(extra)
    return fast_struct(SOURCE_SCHEMA, values)


def envelope(
    shape: TableShape,
    op: str,
    before: Struct | None,
    after: Struct | None,
    source: Struct,
    transaction: Struct | None = None,
) -> Struct:
    """The Envelope value; ts_* = now (when the event was processed), as Debezium does."""
    now_us = time.time_ns() // 1000
    return fast_struct(
        shape.envelope_schema,
        {
            "before": before,
            "after": after,
            "source": source,
            "transaction": transaction,
            "op": op,
            "ts_ms": now_us // 1000,
            "ts_us": now_us,
            "ts_ns": now_us * 1000,
        },
    )


def change_record(
    shape: TableShape,
    key: Struct | None,
    value: Struct | None,
    partition: dict[str, Any],
    offset: dict[str, Any],
    timestamp_ms: int,
    headers: Headers | None = None,
) -> SourceRecord:
    """A data record (value None = tombstone, whose value schema is null too)."""
    return SourceRecord(
        shape.topic,
        None,
        shape.key_schema,
        key,
        shape.envelope_schema if value is not None else None,
        value,
        timestamp=timestamp_ms,
        headers=headers,
        source_partition=partition,
        source_offset=offset,
    )
