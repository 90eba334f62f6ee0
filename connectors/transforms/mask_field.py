"""MaskField: replace field values with a type-appropriate empty value or a replacement.

Kafka's ``MaskField$Key`` / ``$Value``. Without ``replacement`` a field becomes 0, false,
"", an empty list/map, the epoch (dates) or zero (decimals). With ``replacement`` the
string is converted to the field's type (numbers and strings only, as in Kafka).
"""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

from connectors.api import (
    ConfigDef,
    ConfigType,
    ConnectRecord,
    DataError,
    Importance,
    NonEmptyString,
    Schema,
    Struct,
)
from connectors.transforms.base import (
    REPLACE_NULL_WITH_DEFAULT,
    KeyValueTransform,
    define_replace_null,
    field_value,
    non_empty_list,
    require_map,
    require_struct,
)

FIELDS, REPLACEMENT = "fields", "replacement"
PURPOSE = "mask fields"
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


_NON_EMPTY = non_empty_list("name at least one field to mask")


CONFIG_DEF = define_replace_null(
    ConfigDef()
    .define(FIELDS, ConfigType.LIST, validator=_NON_EMPTY, importance=Importance.HIGH,
            documentation="Fields whose values are masked.")
    .define(REPLACEMENT, ConfigType.STRING, None, NonEmptyString(), Importance.LOW,
            "Value to write instead of the type's empty value; converted to each field's "
            "type (numbers and strings only).")
)  # fmt: skip


def empty_value_for(value: Any) -> Any:
    """The masked value of ``value``'s type (Kafka's primitive/collection null values)."""
    if isinstance(value, bool):
        return False
    for kind, empty in _EMPTY:
        if isinstance(value, kind):
            return empty
    msg = f"Cannot mask value of type: {type(value).__name__}"
    raise DataError(msg)


_EMPTY: list[tuple[type | tuple[type, ...], Any]] = [
    (int, 0),
    (float, 0.0),
    (decimal.Decimal, decimal.Decimal(0)),
    (dt.datetime, _EPOCH),
    (dt.date, _EPOCH.date()),
    (dt.time, dt.time(0)),
    (str, ""),
    ((bytes, bytearray), b""),
    ((list, tuple), []),
    (dict, {}),
]


def replacement_for(value: Any, replacement: str) -> Any:
    """``replacement`` converted to ``value``'s type; DataError when that is not possible."""
    if isinstance(value, bool) or not isinstance(value, int | float | decimal.Decimal | str):
        msg = f"Cannot mask value of type {type(value).__name__} with custom replacement."
        raise DataError(msg)
    if isinstance(value, str):
        return replacement
    try:
        return type(value)(replacement)
    except (ValueError, decimal.InvalidOperation):
        msg = f"Unable to convert {replacement} (str) to number"
        raise DataError(msg) from None


class MaskField(KeyValueTransform):
    """Mask the listed fields of a struct or map."""

    VALUE_ONLY = True

    CONFIG_DEF = CONFIG_DEF
    PURPOSE = PURPOSE

    def setup(self, config: dict[str, Any]) -> None:
        self.fields = set(config[FIELDS])
        self.replacement: str | None = config[REPLACEMENT]
        self.replace_null = config[REPLACE_NULL_WITH_DEFAULT]

    def masked(self, value: Any) -> Any:
        if value is None:
            return None
        if self.replacement is None:
            return empty_value_for(value)
        return replacement_for(value, self.replacement)

    def apply_schemaless(self, record: ConnectRecord, value: Any) -> tuple[Schema | None, Any]:
        updated = require_map(value, PURPOSE)
        for name in self.fields:
            updated[name] = self.masked(updated.get(name))
        return None, updated

    def apply_with_schema(
        self, record: ConnectRecord, schema: Schema, value: Any
    ) -> tuple[Schema | None, Any]:
        struct = require_struct(value, PURPOSE)
        updated = Struct(struct.schema)
        for f in struct.schema.fields:
            original = field_value(struct, f.name, self.replace_null)
            masked = self.masked(original) if f.name in self.fields else original
            try:
                updated.put(f.name, masked)
            except DataError as exc:
                msg = f"Cannot mask field {f.name!r}: {exc}"
                raise DataError(msg) from exc
        return schema, updated


class MaskFieldKey(MaskField):
    """``MaskField$Key``."""

    target = "key"


class MaskFieldValue(MaskField):
    """``MaskField$Value``."""

    target = "value"
