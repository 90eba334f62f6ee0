"""Flatten: nested structs/maps become top-level fields named ``parent<delimiter>child``.

Kafka's ``Flatten$Key`` / ``$Value``. Arrays (and, with schemas, maps) are kept as they
are. A field under an optional struct becomes optional, and parent defaults flow down.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Mapping
from typing import Any

from connectors.api import (
    ConfigDef,
    ConfigType,
    ConnectRecord,
    DataError,
    Importance,
    Schema,
    SchemaBuilder,
    Struct,
    Type,
)
from connectors.transforms.base import (
    KeyValueTransform,
    copy_basics,
    copy_struct_basics,
    require_map,
    require_struct,
)

DELIMITER = "delimiter"
PURPOSE = "flattening"
CONFIG_DEF = ConfigDef().define(
    DELIMITER, ConfigType.STRING, ".", importance=Importance.MEDIUM,
    documentation="Text placed between a parent and a child field name in flattened names.",
)  # fmt: skip
_LEAVES = (str, int, float, bool, bytes, bytearray, list, tuple, decimal.Decimal, dt.date, dt.time)


class Flatten(KeyValueTransform):
    """Flatten nested structures into one level."""

    VALUE_ONLY = True

    CONFIG_DEF = CONFIG_DEF
    PURPOSE = PURPOSE

    def setup(self, config: dict[str, Any]) -> None:
        self.delimiter: str = config[DELIMITER]

    def name(self, prefix: str, field: str) -> str:
        return field if not prefix else f"{prefix}{self.delimiter}{field}"

    def apply_schemaless(self, record: ConnectRecord, value: Any) -> tuple[Schema | None, Any]:
        flat: dict[str, Any] = {}
        self._flatten_map(require_map(value, PURPOSE), "", flat)
        return None, flat

    def _flatten_map(self, value: Mapping[str, Any], prefix: str, out: dict[str, Any]) -> None:
        for key, item in value.items():
            name = self.name(prefix, key)
            if item is None or isinstance(item, _LEAVES):
                out[name] = item
            elif isinstance(item, Mapping):
                self._flatten_map(item, name, out)
            else:
                msg = (
                    f"Flatten transformation does not support {type(item).__name__} "
                    f"for record without schemas (for field {name})."
                )
                raise DataError(msg)  # fmt: skip

    def apply_with_schema(
        self, record: ConnectRecord, schema: Schema, value: Any
    ) -> tuple[Schema | None, Any]:
        new_schema = self.schema_cache.get_or_build(schema, lambda: self._build_schema(schema))
        flat = Struct(new_schema)
        self._flatten_struct(require_struct(value, PURPOSE), "", flat)
        return new_schema, flat

    def _build_schema(self, schema: Schema) -> Schema:
        if schema.type is not Type.STRUCT:
            msg = f"Flatten needs a struct, got {schema.type.name}."
            raise DataError(msg)
        builder = copy_struct_basics(schema)
        self._add_fields(schema, "", builder, schema.optional, schema.default)
        return builder.build()

    def _add_fields(
        self, schema: Schema, prefix: str, builder: SchemaBuilder, optional: bool, parent: Any
    ) -> None:
        for f in schema.fields:
            name = self.name(prefix, f.name)
            is_optional = optional or f.schema.optional
            default = f.schema.default
            if default is None and isinstance(parent, Struct):
                default = parent.get(f.name)
            if f.schema.type is Type.STRUCT:
                self._add_fields(f.schema, name, builder, is_optional, default)
            else:
                builder.field(name, _field_schema(f.schema, is_optional, default))

    def _flatten_struct(self, value: Struct | None, prefix: str, out: Struct) -> None:
        if value is None:
            return
        for f in value.schema.fields:
            name = self.name(prefix, f.name)
            if f.schema.type is Type.STRUCT:
                self._flatten_struct(value.get(f.name), name, out)
            else:
                out.put(name, value.get(f.name))


def _field_schema(original: Schema, optional: bool, default: Any) -> Schema:
    builder = copy_basics(original)
    if optional:
        builder.optional()
    if default is not None:
        builder.default_value(default)
    return builder.build()


class FlattenKey(Flatten):
    """``Flatten$Key``."""

    target = "key"


class FlattenValue(Flatten):
    """``Flatten$Value``."""

    target = "value"
