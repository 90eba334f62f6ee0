"""TimestampConverter: convert timestamps between string, unix, Date, Time and Timestamp.

Kafka's ``TimestampConverter$Key`` / ``$Value``. ``format`` is a Java ``SimpleDateFormat``
pattern (formatted in UTC); ``unix.precision`` sets the unit of unix numbers. Inputs are
recognised by schema (logical name, STRING, INT64) or, schemaless, by Python type.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from connectors.api import (
    DATE_NAME,
    TIME_NAME,
    TIMESTAMP_NAME,
    ConfigDef,
    ConfigError,
    ConfigType,
    ConnectRecord,
    DataError,
    Date,
    Importance,
    Schema,
    Struct,
    Time,
    Timestamp,
    Type,
    ValidString,
)
from connectors.transforms.base import (
    REPLACE_NULL_WITH_DEFAULT,
    KeyValueTransform,
    copy_struct_basics,
    define_replace_null,
    field_value,
    require_map,
    require_struct,
)
from connectors.transforms.java_time import JavaDateFormat, validate_pattern

FIELD, TARGET_TYPE, FORMAT, UNIX_PRECISION = "field", "target.type", "format", "unix.precision"
STRING, UNIX, DATE, TIME, TIMESTAMP = "string", "unix", "Date", "Time", "Timestamp"
PURPOSE = "converting timestamp formats"
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_PRECISIONS = ("seconds", "milliseconds", "microseconds", "nanoseconds")

CONFIG_DEF = define_replace_null(
    ConfigDef()
    .define(FIELD, ConfigType.STRING, "", importance=Importance.HIGH,
            documentation="Field holding the timestamp; empty when the whole key/value is one.")
    .define(TARGET_TYPE, ConfigType.STRING, validator=ValidString.in_(STRING, UNIX, DATE, TIME,
            TIMESTAMP), importance=Importance.HIGH,
            documentation="Representation to convert to: string, unix, Date, Time or Timestamp.")
    .define(FORMAT, ConfigType.STRING, "", validate_pattern, Importance.MEDIUM,
            "Java SimpleDateFormat pattern: how strings are written (target.type=string) and "
            "how string inputs are read.")
    .define(UNIX_PRECISION, ConfigType.STRING, "milliseconds",
            ValidString.in_(*_PRECISIONS), Importance.LOW,
            "Unit of unix numbers, read and written: seconds, milliseconds, microseconds "
            "or nanoseconds.")
)  # fmt: skip


def _to_micros(value: int | float, precision: str) -> int:
    if precision == "nanoseconds":
        return int(value) // 1000
    factor = {"seconds": 10**6, "milliseconds": 1000, "microseconds": 1}[precision]
    return int(value * factor) if isinstance(value, float) else value * factor


def _from_micros(micros: int, precision: str) -> int:
    """Truncating toward zero, like Java's ``TimeUnit`` conversions."""
    if precision == "nanoseconds":
        return micros * 1000
    divisor = {"seconds": 10**6, "milliseconds": 1000, "microseconds": 1}[precision]
    quotient = abs(micros) // divisor
    return quotient if micros >= 0 else -quotient


def _as_utc(value: dt.datetime) -> dt.datetime:
    return value.astimezone(dt.UTC) if value.tzinfo else value.replace(tzinfo=dt.UTC)


class TimestampConverter(KeyValueTransform):
    """Convert a timestamp field (or the whole key/value) to another representation."""

    VALUE_ONLY = True

    CONFIG_DEF = CONFIG_DEF
    PURPOSE = PURPOSE
    PASS_NULL = False

    def setup(self, config: dict[str, Any]) -> None:
        self.field: str = config[FIELD]
        self.target_type: str = config[TARGET_TYPE]
        self.format = JavaDateFormat(config[FORMAT]) if config[FORMAT] else None
        self.precision: str = config[UNIX_PRECISION]
        self.replace_null = config[REPLACE_NULL_WITH_DEFAULT]
        if self.target_type == STRING and self.format is None:
            raise ConfigError.from_errors({FORMAT: [
                "TimestampConverter requires format option to be specified when using "
                "string timestamps"
            ]})  # fmt: skip

    # -- raw instant <-> representations
    def to_raw(self, value: Any, kind: str) -> dt.datetime:
        if kind == STRING:
            if self.format is None:
                msg = (
                    "TimestampConverter needs the 'format' option to parse string "
                    f"timestamps like {value!r}."
                )
                raise DataError(msg)  # fmt: skip
            try:
                return self.format.parse(value)
            except ValueError as exc:
                msg = f"Could not parse timestamp: {exc}"
                raise DataError(msg) from None
        if kind == UNIX:
            return _EPOCH + dt.timedelta(microseconds=_to_micros(value, self.precision))
        if kind == DATE:
            return dt.datetime.combine(value, dt.time(0), tzinfo=dt.UTC)
        if kind == TIME:
            return dt.datetime.combine(_EPOCH.date(), value, tzinfo=dt.UTC)
        return _as_utc(value)

    def to_target(self, raw: dt.datetime) -> Any:
        if self.target_type == STRING:
            assert self.format is not None
            return self.format.format(raw)
        if self.target_type == UNIX:
            delta = raw - _EPOCH
            micros = (delta.days * 86_400 + delta.seconds) * 10**6 + delta.microseconds
            return _from_micros(micros, self.precision)
        if self.target_type == DATE:
            return raw.date()
        if self.target_type == TIME:
            return raw.time().replace(tzinfo=None)
        return raw

    def target_schema(self, optional: bool) -> Schema:
        base = {STRING: Schema.STRING_SCHEMA, UNIX: Schema.INT64_SCHEMA, DATE: Date.SCHEMA,
                TIME: Time.SCHEMA, TIMESTAMP: Timestamp.SCHEMA}[self.target_type]  # fmt: skip
        if not optional:
            return base
        return Schema(base.type, optional=True, name=base.name, version=base.version)

    def convert(self, value: Any, kind: str | None) -> Any:
        if value is None:
            return None
        return self.to_target(self.to_raw(value, kind or infer_kind(value)))

    # -- record handling
    def apply_schemaless(self, record: ConnectRecord, value: Any) -> tuple[Schema | None, Any]:
        if value is None or not self.field:
            return None, self.convert(value, None)
        updated = require_map(value, PURPOSE)
        updated[self.field] = self.convert(updated.get(self.field), None)
        return None, updated

    def apply_with_schema(
        self, record: ConnectRecord, schema: Schema, value: Any
    ) -> tuple[Schema | None, Any]:
        if not self.field:
            return self.target_schema(schema.optional), self.convert(value, kind_of_schema(schema))
        new_schema = self.schema_cache.get_or_build(schema, lambda: self._build_schema(schema))
        if value is None:
            return new_schema, None
        struct = require_struct(value, PURPOSE)
        updated = Struct(new_schema)
        for f in schema.fields:
            original = field_value(struct, f.name, self.replace_null)
            if f.name == self.field:
                original = self.convert(original, kind_of_schema(f.schema))
            updated.put(f.name, original)
        return new_schema, updated

    def _build_schema(self, schema: Schema) -> Schema:
        if schema.type is not Type.STRUCT or schema.field(self.field) is None:
            msg = f"Field {self.field!r} does not exist in the record schema."
            raise DataError(msg)
        builder = copy_struct_basics(schema)
        for f in schema.fields:
            kept = f.schema if f.name != self.field else self.target_schema(f.schema.optional)
            builder.field(f.name, kept)
        return builder.build()


def kind_of_schema(schema: Schema) -> str:
    """Which representation a schema holds; DataError for schemas that hold no timestamp."""
    by_name = {TIMESTAMP_NAME: TIMESTAMP, DATE_NAME: DATE, TIME_NAME: TIME}.get(schema.name or "")
    if by_name:
        return by_name
    if schema.type is Type.STRING:
        return STRING
    if schema.type is Type.INT64:
        return UNIX
    msg = f"Schema {schema!r} does not correspond to a known timestamp type format."
    raise DataError(msg)


def infer_kind(value: Any) -> str:
    """Which representation a schemaless value is in."""
    if isinstance(value, dt.datetime):
        return TIMESTAMP
    if isinstance(value, dt.date):
        return DATE
    if isinstance(value, dt.time):
        return TIME
    if isinstance(value, int | float) and not isinstance(value, bool):
        return UNIX
    if isinstance(value, str):
        return STRING
    msg = f"TimestampConverter does not support {type(value).__name__} objects as timestamps."
    raise DataError(msg)  # fmt: skip


class TimestampConverterKey(TimestampConverter):
    """``TimestampConverter$Key``."""

    target = "key"


class TimestampConverterValue(TimestampConverter):
    """``TimestampConverter$Value``."""

    target = "value"
