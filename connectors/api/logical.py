"""Kafka Connect's logical types: Decimal, Date, Time and Timestamp.

A logical type is a physical schema plus a well-known ``name``; converters and transforms
look the name up in :data:`LOGICAL_TYPES` to move between the Python value
(``decimal.Decimal``, ``datetime.*``) and the physical one (bytes, int).
"""

from __future__ import annotations

import datetime as _dt
import decimal as _decimal
from typing import Any, ClassVar, Protocol

from connectors.api.data import (
    DATE_NAME,
    DECIMAL_NAME,
    TIME_NAME,
    TIMESTAMP_NAME,
    Schema,
    SchemaBuilder,
)
from connectors.api.errors import DataError

SCALE_FIELD = "scale"
_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.UTC)
_EPOCH_DATE = _dt.date(1970, 1, 1)
_MIDNIGHT = _dt.datetime(2000, 1, 1, tzinfo=_dt.UTC)
_MS_PER_DAY = 86_400_000


class Decimal:
    """Kafka's Decimal: BYTES holding the two's-complement big-endian unscaled integer."""

    LOGICAL_NAME = DECIMAL_NAME

    @staticmethod
    def builder(scale: int) -> SchemaBuilder:
        return (
            SchemaBuilder.bytes().name(DECIMAL_NAME).parameter(SCALE_FIELD, str(scale)).version(1)
        )

    @staticmethod
    def schema(scale: int) -> Schema:
        return Decimal.builder(scale).build()

    @staticmethod
    def scale(schema: Schema) -> int:
        raw = (schema.parameters or {}).get(SCALE_FIELD)
        if raw is None:
            msg = "Invalid Decimal schema: the 'scale' parameter is missing."
            raise DataError(msg)
        return int(raw)

    @staticmethod
    def from_logical(schema: Schema, value: _decimal.Decimal) -> bytes:
        """Encode at the schema's scale; DataError if that would round the value."""
        scale = Decimal.scale(schema)
        unscaled = value.scaleb(scale)
        if unscaled != unscaled.to_integral_value():
            msg = f"Decimal {value} does not fit the schema's scale {scale}."
            raise DataError(msg)
        n = int(unscaled)
        bits = n.bit_length() if n >= 0 else (~n).bit_length()
        return n.to_bytes(bits // 8 + 1, "big", signed=True)

    @staticmethod
    def to_logical(schema: Schema, value: bytes) -> _decimal.Decimal:
        n = int.from_bytes(value, "big", signed=True)
        return _decimal.Decimal(n).scaleb(-Decimal.scale(schema))


class Date:
    """Kafka's Date logical type: INT32 days since the Unix epoch."""

    LOGICAL_NAME = DATE_NAME
    SCHEMA: ClassVar[Schema]

    @staticmethod
    def builder() -> SchemaBuilder:
        return SchemaBuilder.int32().name(DATE_NAME).version(1)

    @staticmethod
    def from_logical(schema: Schema, value: _dt.date) -> int:
        if isinstance(value, _dt.datetime):
            value = _as_utc(value).date()
        return (value - _EPOCH_DATE).days

    @staticmethod
    def to_logical(schema: Schema, value: int) -> _dt.date:
        return _EPOCH_DATE + _dt.timedelta(days=value)


class Time:
    """Kafka's Time logical type: INT32 milliseconds since midnight."""

    LOGICAL_NAME = TIME_NAME
    SCHEMA: ClassVar[Schema]

    @staticmethod
    def builder() -> SchemaBuilder:
        return SchemaBuilder.int32().name(TIME_NAME).version(1)

    @staticmethod
    def from_logical(schema: Schema, value: _dt.time) -> int:
        return ((value.hour * 60 + value.minute) * 60 + value.second) * 1000 + (
            value.microsecond // 1000
        )

    @staticmethod
    def to_logical(schema: Schema, value: int) -> _dt.time:
        if not 0 <= value < _MS_PER_DAY:
            msg = f"Time value {value} ms is outside one day (0..86399999)."
            raise DataError(msg)
        return (_MIDNIGHT + _dt.timedelta(milliseconds=value)).time()


class Timestamp:
    """Kafka's Timestamp logical type: INT64 milliseconds since the Unix epoch (UTC)."""

    LOGICAL_NAME = TIMESTAMP_NAME
    SCHEMA: ClassVar[Schema]

    @staticmethod
    def builder() -> SchemaBuilder:
        return SchemaBuilder.int64().name(TIMESTAMP_NAME).version(1)

    @staticmethod
    def from_logical(schema: Schema, value: _dt.datetime) -> int:
        delta = _as_utc(value) - _EPOCH
        return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000

    @staticmethod
    def to_logical(schema: Schema, value: int) -> _dt.datetime:
        return _EPOCH + _dt.timedelta(milliseconds=value)


def _as_utc(value: _dt.datetime) -> _dt.datetime:
    return value.replace(tzinfo=_dt.UTC) if value.tzinfo is None else value


Date.SCHEMA = Date.builder().build()
Time.SCHEMA = Time.builder().build()
Timestamp.SCHEMA = Timestamp.builder().build()


class LogicalType(Protocol):
    """What every logical type class provides (used through :data:`LOGICAL_TYPES`)."""

    LOGICAL_NAME: str

    @staticmethod
    def from_logical(schema: Schema, value: Any) -> Any: ...

    @staticmethod
    def to_logical(schema: Schema, value: Any) -> Any: ...


#: logical type name -> the class converting between logical and physical values
LOGICAL_TYPES: dict[str, type[LogicalType]] = {
    DECIMAL_NAME: Decimal,
    DATE_NAME: Date,
    TIME_NAME: Time,
    TIMESTAMP_NAME: Timestamp,
}
