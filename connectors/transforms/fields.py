"""Field-moving transforms: ValueToKey, ExtractField and HoistField (Kafka names and options)."""

from __future__ import annotations

from itertools import repeat
from typing import Any

from connectors.api import (
    ConfigDef,
    ConfigType,
    ConnectRecord,
    DataError,
    Importance,
    NonEmptyString,
    Schema,
    SchemaBuilder,
    Struct,
    Type,
    validate_value,
)
from connectors.transforms.base import (
    REPLACE_NULL_WITH_DEFAULT,
    KeyValueTransform,
    define_replace_null,
    field_value,
    non_empty_list,
    require_map,
    require_struct,
    structs_of,
)

FIELDS, FIELD = "fields", "field"


_NON_EMPTY = non_empty_list("name at least one field")


VALUE_TO_KEY_CONFIG = define_replace_null(
    ConfigDef().define(FIELDS, ConfigType.LIST, validator=_NON_EMPTY,
                       importance=Importance.HIGH,
                       documentation="Value fields to extract as the record key.")
)  # fmt: skip


class ValueToKey(KeyValueTransform):
    """Replace the key with a struct/map of some value fields (``ValueToKey``)."""

    CONFIG_DEF = VALUE_TO_KEY_CONFIG
    PURPOSE = "copying fields from value to key"

    def setup(self, config: dict[str, Any]) -> None:
        self.fields: list[str] = config[FIELDS]
        self.replace_null = config[REPLACE_NULL_WITH_DEFAULT]

    def apply(self, record: ConnectRecord) -> ConnectRecord | None:
        if record.value is None:
            return record
        if record.value_schema is None:
            value = require_map(record.value, self.PURPOSE)
            return record.new_record(key_schema=None, key={f: value.get(f) for f in self.fields})
        struct = require_struct(record.value, self.PURPOSE)
        key_schema = self.schema_cache.get_or_build(
            struct.schema, lambda: self._key_schema(struct.schema)
        )
        key = Struct(key_schema)
        for name in self.fields:
            key.put(name, field_value(struct, name, self.replace_null))
        return record.new_record(key_schema=key_schema, key=key)

    def _key_schema(self, value_schema: Schema) -> Schema:
        builder = SchemaBuilder.struct()
        for name in self.fields:
            f = value_schema.field(name)
            if f is None:
                msg = f"Field does not exist: {name}"
                raise DataError(msg)
            builder.field(name, f.schema)
        return builder.build()


EXTRACT_CONFIG = define_replace_null(
    ConfigDef().define(FIELD, ConfigType.STRING, validator=NonEmptyString(),
                       importance=Importance.MEDIUM,
                       documentation="Name of the field that replaces the whole key/value.")
)  # fmt: skip


class ExtractField(KeyValueTransform):
    """Replace the key/value with one of its fields (``ExtractField$Key`` / ``$Value``)."""

    VALUE_ONLY = True

    CONFIG_DEF = EXTRACT_CONFIG
    PURPOSE = "field extraction"
    PASS_NULL = False

    def setup(self, config: dict[str, Any]) -> None:
        self.field: str = config[FIELD]
        self.replace_null = config[REPLACE_NULL_WITH_DEFAULT]

    def apply_schemaless(self, record: ConnectRecord, value: Any) -> tuple[Schema | None, Any]:
        if value is None:
            return None, None
        return None, require_map(value, self.PURPOSE).get(self.field)

    def apply_with_schema(
        self, record: ConnectRecord, schema: Schema, value: Any
    ) -> tuple[Schema | None, Any]:
        f = schema.field(self.field) if schema.type is Type.STRUCT else None
        if f is None:
            msg = f"Unknown field: {self.field} (schema {schema.name or schema.type.name})"
            raise DataError(msg)
        if value is None:
            return f.schema, None
        return f.schema, field_value(require_struct(value, self.PURPOSE), self.field,
                                     self.replace_null)  # fmt: skip


class ExtractFieldKey(ExtractField):
    """``ExtractField$Key``."""

    target = "key"


class ExtractFieldValue(ExtractField):
    """``ExtractField$Value``."""

    target = "value"


HOIST_CONFIG = ConfigDef().define(
    FIELD, ConfigType.STRING, validator=NonEmptyString(), importance=Importance.MEDIUM,
    documentation="Name of the one field of the struct or map that wraps the key/value.",
)  # fmt: skip


class HoistField(KeyValueTransform):
    """Wrap the key/value in a struct/map with one field (``HoistField$Key`` / ``$Value``)."""

    VALUE_ONLY = True

    CONFIG_DEF = HOIST_CONFIG
    PURPOSE = "field hoisting"
    PASS_NULL = False

    def setup(self, config: dict[str, Any]) -> None:
        self.field: str = config[FIELD]
        self._where = f"field {self.field!r}"  # Struct.put's wording, built once

    def apply_schemaless(self, record: ConnectRecord, value: Any) -> tuple[Schema | None, Any]:
        return None, {self.field: value}

    def apply_with_schema(
        self, record: ConnectRecord, schema: Schema, value: Any
    ) -> tuple[Schema | None, Any]:
        hoisted = self._hoisted(schema)
        validate_value(schema, value, self._where)  # what Struct.put checks
        return hoisted, Struct.from_validated(hoisted, {self.field: value})

    def _hoisted(self, schema: Schema) -> Schema:
        """The one-field struct schema wrapping ``schema`` (built once per schema)."""
        return self.schema_cache.get_or_build(
            schema, lambda: SchemaBuilder.struct().field(self.field, schema).build()
        )

    def apply_to_values(
        self, schema: Schema | None, values: list[Any]
    ) -> tuple[Schema | None, list[Any]] | None:
        """Each value wrapped, with the value checks of :meth:`apply_with_schema`."""
        if self.target != "value":
            return None
        field = self.field
        if schema is None:
            return None, [{field: v} for v in values]
        hoisted = self._hoisted(schema)
        plain_text = schema.type is Type.STRING and schema.name is None
        if not (plain_text and values and set(map(type, values)) == {str}):
            for value in values:
                validate_value(schema, value, self._where)
        return hoisted, structs_of(hoisted, list(map(dict.fromkeys, repeat((field,)), values)))


class HoistFieldKey(HoistField):
    """``HoistField$Key``."""

    target = "key"


class HoistFieldValue(HoistField):
    """``HoistField$Value``."""

    target = "value"
