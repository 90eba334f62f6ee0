"""Cast: change the type of fields or of the whole key/value (Kafka's ``Cast$Key`` / ``$Value``).

``spec`` is either one type (cast the whole key/value) or ``field:type`` pairs. Target types:
int8, int16, int32, int64, float32, float64, boolean, string. Numbers narrow like Java
(integers wrap, floats saturate then wrap), strings parse, booleans map to 1/0 and back
(non-zero is true), bytes become base64 strings, dates become ISO strings, and the logical
types Decimal/Date/Time/Timestamp cast through their number.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
from typing import Any

from connectors.api import (
    LOGICAL_TYPES,
    ConfigDef,
    ConfigError,
    ConfigType,
    ConnectRecord,
    DataError,
    Importance,
    Schema,
    Struct,
    Type,
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
from connectors.transforms.numbers import java_float_str, narrow_int, to_float32

SPEC = "spec"
PURPOSE = "cast types"
TARGETS = {t.value: t for t in (Type.INT8, Type.INT16, Type.INT32, Type.INT64, Type.FLOAT32,
                                 Type.FLOAT64, Type.BOOLEAN, Type.STRING)}  # fmt: skip
INPUTS = {*TARGETS.values(), Type.BYTES}
_BITS = {Type.INT8: 8, Type.INT16: 16, Type.INT32: 32, Type.INT64: 64}


def parse_spec(items: list[str]) -> tuple[Type | None, dict[str, Type]]:
    """(whole-value type, or None; per-field types). ValueError explains a bad item."""
    if not items:
        msg = "Must specify at least one field to cast."
        raise ValueError(msg)
    if len(items) == 1 and ":" not in items[0]:
        return _target(items[0]), {}
    casts: dict[str, Type] = {}
    for item in items:
        name, sep, type_name = item.partition(":")
        if not sep or not name:
            msg = f"Invalid cast mapping: {item}; use field:type"
            raise ValueError(msg)
        casts[name.strip()] = _target(type_name.strip())
    return None, casts


def _target(name: str) -> Type:
    t = TARGETS.get(name.lower())
    if t is None:
        msg = f"Invalid type found in casting spec: {name}; use one of {', '.join(TARGETS)}"
        raise ValueError(msg)  # fmt: skip
    return t


def _valid_spec(name: str, value: Any) -> None:
    parse_spec(value)


CONFIG_DEF = define_replace_null(
    ConfigDef().define(SPEC, ConfigType.LIST, validator=_valid_spec, importance=Importance.HIGH,
                       documentation="Either field:type pairs (a:int32,b:string) to cast "
                       "fields of a struct/map, or one type to cast the whole key/value.")
)  # fmt: skip


def cast_value(schema: Schema | None, value: Any, target: Type) -> Any:
    """Cast one value (Kafka's ``castValueToType``); DataError if it cannot be."""
    if value is None:
        return None
    if target is Type.STRING:
        if isinstance(value, float) and schema is not None and schema.type is Type.FLOAT32:
            return java_float_str(value, float32=True)
        return _to_string(value)
    logical = LOGICAL_TYPES.get(schema.name or "") if schema is not None else None
    if logical is not None and schema is not None and not isinstance(value, decimal.Decimal):
        value = logical.from_logical(schema, value)
    if isinstance(value, dt.date | dt.time):
        msg = (
            f"Cast cannot turn a {type(value).__name__} without a schema into "
            f"{target.name}; cast it to string instead."
        )
        raise DataError(msg)  # fmt: skip
    try:
        return _CASTS[target](value)
    except (ValueError, decimal.InvalidOperation, TypeError) as exc:
        msg = f"Cannot cast {value!r:.60} to {target.name}: {exc}"
        raise DataError(msg) from None


def _number(value: Any) -> int | float | decimal.Decimal:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float | decimal.Decimal):
        return value
    if isinstance(value, str):
        msg = "not a number"
        raise ValueError(msg)
    msg = f"{type(value).__name__} is not supported by Cast"
    raise TypeError(msg)


def _to_int(bits: int) -> Any:
    def cast(value: Any) -> int:
        if isinstance(value, str):
            n = int(value.strip())
            if not -(2 ** (bits - 1)) <= n < 2 ** (bits - 1):
                msg = f"Value out of range for int{bits}"
                raise ValueError(msg)
            return n
        return narrow_int(_number(value), bits)

    return cast


def _to_float(value: Any) -> float:
    return float(value.strip()) if isinstance(value, str) else float(_number(value))


def _to_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return int(_number(value)) != 0


def _to_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return java_float_str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(value).decode()
    if isinstance(value, dt.datetime):
        utc = value.astimezone(dt.UTC) if value.tzinfo else value
        return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    if isinstance(value, dict | list | Struct):
        msg = f"Cast does not support casting {type(value).__name__} values."
        raise DataError(msg)
    return str(value)


_CASTS = {
    Type.INT8: _to_int(8),
    Type.INT16: _to_int(16),
    Type.INT32: _to_int(32),
    Type.INT64: _to_int(64),
    Type.FLOAT32: lambda v: to_float32(_to_float(v)),
    Type.FLOAT64: _to_float,
    Type.BOOLEAN: _to_bool,
}


def target_schema(original: Schema, target: Type) -> Schema:
    """The schema of a cast field/value: target type, same optionality, default cast too."""
    if original.type not in INPUTS:
        msg = (
            f"Cast transformation does not support casting from {original.type.name}"
            f"; supported types are {', '.join(t.name for t in INPUTS)}."
        )
        raise DataError(msg)  # fmt: skip
    default = cast_value(original, original.default, target)
    if original.name in LOGICAL_TYPES:
        return Schema(target, optional=original.optional, default=default)
    return Schema(target, optional=original.optional, default=default, name=original.name,
                  version=original.version, doc=original.doc,
                  parameters=original.parameters)  # fmt: skip


class Cast(KeyValueTransform):
    """Cast fields (or the whole key/value) to other primitive types."""

    VALUE_ONLY = True

    CONFIG_DEF = CONFIG_DEF
    PURPOSE = PURPOSE

    def setup(self, config: dict[str, Any]) -> None:
        try:
            self.whole, self.casts = parse_spec(config[SPEC])
        except ValueError as exc:  # pragma: no cover - the validator already checked
            raise ConfigError.from_errors({SPEC: [str(exc)]}) from None
        self.replace_null = config[REPLACE_NULL_WITH_DEFAULT]

    def apply_schemaless(self, record: ConnectRecord, value: Any) -> tuple[Schema | None, Any]:
        if self.whole is not None:
            return None, cast_value(None, value, self.whole)
        updated = require_map(value, PURPOSE)
        for name, target in self.casts.items():
            updated[name] = cast_value(None, updated.get(name), target)
        return None, updated

    def apply_with_schema(
        self, record: ConnectRecord, schema: Schema, value: Any
    ) -> tuple[Schema | None, Any]:
        if self.whole is not None:
            whole = self.whole
            new_schema = self.schema_cache.get_or_build(
                schema, lambda: target_schema(schema, whole)
            )
            return new_schema, cast_value(schema, value, whole)
        struct = require_struct(value, PURPOSE)
        new_schema = self.schema_cache.get_or_build(schema, lambda: self._build_schema(schema))
        updated = Struct(new_schema)
        for f in schema.fields:
            original = field_value(struct, f.name, self.replace_null)
            target = self.casts.get(f.name)
            updated.put(f.name, original if target is None else cast_value(f.schema, original,
                                                                           target))  # fmt: skip
        return new_schema, updated

    def _build_schema(self, schema: Schema) -> Schema:
        if schema.type is not Type.STRUCT:
            msg = (
                f"Cast of fields needs a struct value, got {schema.type.name}; "
                "use a single type in 'spec' to cast the whole value."
            )
            raise DataError(msg)  # fmt: skip
        builder = copy_struct_basics(schema)
        for f in schema.fields:
            target = self.casts.get(f.name)
            builder.field(f.name, f.schema if target is None else target_schema(f.schema, target))
        return builder.build()


class CastKey(Cast):
    """``Cast$Key``."""

    target = "key"


class CastValue(Cast):
    """``Cast$Value``."""

    target = "value"
