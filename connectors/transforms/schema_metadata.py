"""SetSchemaMetadata: set the schema name and/or version (Kafka's ``SetSchemaMetadata``)."""

from __future__ import annotations

from typing import Any

from connectors.api import (
    ConfigDef,
    ConfigError,
    ConfigType,
    ConnectRecord,
    DataError,
    Importance,
    Schema,
    SchemaBuilder,
    Struct,
)
from connectors.transforms.base import KeyValueTransform

NAME, VERSION = "schema.name", "schema.version"
CONFIG_DEF = (
    ConfigDef()
    .define(NAME, ConfigType.STRING, None, importance=Importance.HIGH,
            documentation="Schema name to set.")
    .define(VERSION, ConfigType.INT, None, importance=Importance.HIGH,
            documentation="Schema version to set.")
)  # fmt: skip


class SetSchemaMetadata(KeyValueTransform):
    """Rename/re-version the key or value schema; structs are re-bound to the new schema."""

    VALUE_ONLY = True

    CONFIG_DEF = CONFIG_DEF
    PURPOSE = "updating schema metadata"
    PASS_NULL = False

    def setup(self, config: dict[str, Any]) -> None:
        self.name: str | None = config[NAME]
        self.version_number: int | None = config[VERSION]
        if self.name is None and self.version_number is None:
            msg = "Neither schema name nor version configured; set schema.name and/or version."
            raise ConfigError.from_errors({NAME: [msg]})

    def apply_schemaless(self, record: ConnectRecord, value: Any) -> tuple[Schema | None, Any]:
        msg = (
            f"Schema required for [{self.PURPOSE}]; this record has no {self.target} "
            "schema (use a schemaful converter, or drop this transform)."
        )
        raise DataError(msg)  # fmt: skip

    def apply_with_schema(
        self, record: ConnectRecord, schema: Schema, value: Any
    ) -> tuple[Schema | None, Any]:
        builder = SchemaBuilder.of(schema)
        if self.name is not None:
            builder.name(self.name)
        if self.version_number is not None:
            builder.version(self.version_number)
        updated = self.schema_cache.get_or_build(schema, builder.build)
        if isinstance(value, Struct):
            value = Struct(updated, {f.name: value.get_without_default(f.name)
                                     for f in schema.fields})  # fmt: skip
        return updated, value


class SetSchemaMetadataKey(SetSchemaMetadata):
    """``SetSchemaMetadata$Key``."""

    target = "key"


class SetSchemaMetadataValue(SetSchemaMetadata):
    """``SetSchemaMetadata$Value``."""

    target = "value"
