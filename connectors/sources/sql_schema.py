"""Connect schemas and values for SQL rows (what Kafka's JDBC source derives from column types).

Tables: the schema comes from the reflected column types (nullability included), named after
the table. Free-form queries: SQLAlchemy knows no types for them, so the schema follows the
Python types of the values seen (every field optional).

Mapping (SQL -> Connect): booleans BOOLEAN; SMALLINT INT16; INTEGER INT32; BIGINT INT64;
REAL FLOAT32; other floats FLOAT64; NUMERIC(p, s) Decimal(s) (unconstrained NUMERIC: STRING,
since Decimal needs one scale); DATE/TIME/TIMESTAMP the logical types (naive timestamps read
as UTC); binary BYTES; text, UUID, JSON, arrays, intervals and the rest STRING.
"""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import orjson
from sqlalchemy import types as sqltypes
from sqlalchemy.sql.schema import Column

from connectors.api import Date, Decimal, Schema, SchemaBuilder, Struct, Time, Timestamp

Convert = Callable[[Any], Any]


def _identity(value: Any) -> Any:
    return value


def _as_text(value: Any) -> Any:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, dict | list):
        return orjson.dumps(value, default=str).decode()
    return str(value)


def _as_bytes(value: Any) -> Any:
    return None if value is None else bytes(value)


def _as_utc_naive(value: Any) -> Any:
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def _as_time(value: Any) -> Any:
    return value.replace(tzinfo=None) if isinstance(value, dt.time) else value


def _decimal_at(scale: int) -> Convert:
    quantum = decimal.Decimal(1).scaleb(-scale)

    def convert(value: Any) -> Any:
        return None if value is None else decimal.Decimal(value).quantize(quantum)

    return convert


def _float(value: Any) -> Any:
    return None if value is None else float(value)


def _sql_type_schema(t: Any) -> tuple[SchemaBuilder, Convert]:
    """The Connect schema builder and value converter for one SQLAlchemy type."""
    if isinstance(t, sqltypes.Boolean):
        return SchemaBuilder.bool(), _identity
    if isinstance(t, sqltypes.SmallInteger):
        return SchemaBuilder.int16(), _identity
    if isinstance(t, sqltypes.BigInteger):
        return SchemaBuilder.int64(), _identity
    if isinstance(t, sqltypes.Integer):
        return SchemaBuilder.int32(), _identity
    if isinstance(t, sqltypes.REAL) or (
        isinstance(t, sqltypes.Float) and t.precision is not None and t.precision <= 24
    ):
        return SchemaBuilder.float32(), _float
    if isinstance(t, sqltypes.Float):
        return SchemaBuilder.float64(), _float
    if isinstance(t, sqltypes.Numeric):
        if t.scale is None:
            return SchemaBuilder.string(), _as_text
        return Decimal.builder(t.scale), _decimal_at(t.scale)
    if isinstance(t, sqltypes.DateTime):
        return Timestamp.builder(), _as_utc_naive
    if isinstance(t, sqltypes.Date):
        return Date.builder(), _identity
    if isinstance(t, sqltypes.Time):
        return Time.builder(), _as_time
    if isinstance(t, sqltypes._Binary):
        return SchemaBuilder.bytes(), _as_bytes
    return SchemaBuilder.string(), _as_text


def _value_schema(value: Any) -> tuple[SchemaBuilder, Convert]:
    """Schema for a query column from a Python value (queries carry no SQL types)."""
    if isinstance(value, bool):
        return SchemaBuilder.bool(), _identity
    if isinstance(value, int):
        return SchemaBuilder.int64(), _identity
    if isinstance(value, float):
        return SchemaBuilder.float64(), _identity
    if isinstance(value, decimal.Decimal):
        scale = max(0, -int(value.as_tuple().exponent))
        return Decimal.builder(scale), _decimal_at(scale)
    if isinstance(value, dt.datetime):
        return Timestamp.builder(), _as_utc_naive
    if isinstance(value, dt.date):
        return Date.builder(), _identity
    if isinstance(value, dt.time):
        return Time.builder(), _as_time
    if isinstance(value, bytes | bytearray | memoryview):
        return SchemaBuilder.bytes(), _as_bytes
    if isinstance(value, uuid.UUID | str) or value is None:
        return SchemaBuilder.string(), _as_text
    return SchemaBuilder.string(), _as_text


class RowSchema:
    """A struct schema plus one converter per column; turns rows into Structs."""

    def __init__(self, schema: Schema, converters: Sequence[Convert]) -> None:
        self.schema = schema
        self._converters = list(converters)
        self._names = [f.name for f in schema.fields]

    @classmethod
    def for_columns(cls, name: str, columns: Sequence[Column[Any]]) -> RowSchema:
        builder = SchemaBuilder.struct().name(name)
        converters = []
        for col in columns:
            field, convert = _sql_type_schema(col.type)
            builder.field(col.name, field.optional() if col.nullable else field)
            converters.append(convert)
        return cls(builder.build(), converters)

    @classmethod
    def for_values(cls, name: str, keys: Sequence[str], rows: Sequence[Sequence[Any]]) -> RowSchema:
        builder = SchemaBuilder.struct().name(name)
        converters = []
        for i, key in enumerate(keys):
            sample = next((row[i] for row in rows if row[i] is not None), None)
            field, convert = _value_schema(sample)
            builder.field(key, field.optional())
            converters.append(convert)
        return cls(builder.build(), converters)

    def matches(self, keys: Sequence[str]) -> bool:
        return list(keys) == self._names

    def struct(self, row: Sequence[Any]) -> Struct:
        values = {n: c(v) for n, c, v in zip(self._names, self._converters, row, strict=True)}
        return Struct(self.schema, values)
