"""InsertField: add record metadata (topic, partition, offset, timestamp) or a constant field.

Kafka's ``org.apache.kafka.connect.transforms.InsertField$Key`` / ``$Value``. A field name
ending in ``!`` is required in the new schema, ``?`` (or nothing) optional.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from connectors.api import (
    ConfigDef,
    ConfigType,
    ConnectRecord,
    DataError,
    Importance,
    Schema,
    SinkRecord,
    Struct,
    Timestamp,
    validate_value,
)
from connectors.transforms.base import (
    REPLACE_NULL_WITH_DEFAULT,
    KeyValueTransform,
    copied_values,
    copied_values_of_many,
    copy_struct_basics,
    define_replace_null,
    field_value,
    require_map,
    require_struct,
    structs_of,
)

TOPIC_FIELD = "topic.field"
PARTITION_FIELD = "partition.field"
OFFSET_FIELD = "offset.field"
TIMESTAMP_FIELD = "timestamp.field"
STATIC_FIELD = "static.field"
STATIC_VALUE = "static.value"
_SUFFIX_DOC = " Suffix with ! to make it a required field, or ? to keep it optional (default)."

CONFIG_DEF = define_replace_null(
    ConfigDef()
    .define(TOPIC_FIELD, ConfigType.STRING, None, importance=Importance.MEDIUM,
            documentation="Name of the field receiving the record topic." + _SUFFIX_DOC)
    .define(PARTITION_FIELD, ConfigType.STRING, None, importance=Importance.MEDIUM,
            documentation="Name of the field receiving the record partition." + _SUFFIX_DOC)
    .define(OFFSET_FIELD, ConfigType.STRING, None, importance=Importance.MEDIUM,
            documentation="Name of the field receiving the record offset (sink records only)."
            + _SUFFIX_DOC)
    .define(TIMESTAMP_FIELD, ConfigType.STRING, None, importance=Importance.MEDIUM,
            documentation="Name of the field receiving the record timestamp." + _SUFFIX_DOC)
    .define(STATIC_FIELD, ConfigType.STRING, None, importance=Importance.MEDIUM,
            documentation="Name of a field receiving static.value." + _SUFFIX_DOC)
    .define(STATIC_VALUE, ConfigType.STRING, None, importance=Importance.MEDIUM,
            documentation="The constant put in static.field.")
)  # fmt: skip

PURPOSE = "field insertion"


class Spec(NamedTuple):
    """A field to insert: its name and whether it is optional in the new schema."""

    name: str
    optional: bool

    @classmethod
    def parse(cls, raw: str | None) -> Spec | None:
        if not raw:
            return None
        if raw.endswith("?"):
            return cls(raw[:-1], True)
        if raw.endswith("!"):
            return cls(raw[:-1], False)
        return cls(raw, True)


class InsertField(KeyValueTransform):
    """Insert topic/partition/offset/timestamp/static fields into a struct or map."""

    CONFIG_DEF = CONFIG_DEF
    PURPOSE = PURPOSE

    def setup(self, config: dict[str, Any]) -> None:
        self.topic = Spec.parse(config[TOPIC_FIELD])
        self.partition = Spec.parse(config[PARTITION_FIELD])
        self.offset = Spec.parse(config[OFFSET_FIELD])
        self.timestamp = Spec.parse(config[TIMESTAMP_FIELD])
        self.static = Spec.parse(config[STATIC_FIELD])
        self.static_value = config[STATIC_VALUE]
        self.replace_null = config[REPLACE_NULL_WITH_DEFAULT]
        specs = (self.topic, self.partition, self.offset, self.timestamp, self.static)
        #: the "where" of Struct.put's messages, built once instead of per record
        self._where = {spec.name: f"field {spec.name!r}" for spec in specs if spec is not None}

    def value_only(self) -> bool:
        """Only a static field leaves the record's topic, partition, offset and time unread."""
        return not (self.topic or self.partition or self.offset or self.timestamp)

    def _offset_of(self, record: ConnectRecord) -> int:
        if not isinstance(record, SinkRecord):
            msg = (
                f"Only SinkRecord supported for [{PURPOSE}], found: {type(record).__name__}; "
                "remove offset.field for source connectors."
            )
            raise DataError(msg)
        return record.kafka_offset

    def _inserted(self, record: ConnectRecord, schemaful: bool) -> list[tuple[Spec, Any]]:
        out: list[tuple[Spec, Any]] = []
        if self.topic:
            out.append((self.topic, record.topic))
        if self.partition:
            out.append((self.partition, record.kafka_partition))
        if self.offset:
            out.append((self.offset, self._offset_of(record)))
        if self.timestamp:
            ts = record.timestamp
            if schemaful and ts is not None:
                out.append((self.timestamp, Timestamp.to_logical(Timestamp.SCHEMA, ts)))
            else:
                out.append((self.timestamp, ts))
        if self.static:
            out.append((self.static, self.static_value))
        return out

    def apply_schemaless(self, record: ConnectRecord, value: Any) -> tuple[Schema | None, Any]:
        updated = require_map(value, PURPOSE)
        for spec, inserted in self._inserted(record, schemaful=False):
            updated[spec.name] = inserted
        return None, updated

    def apply_with_schema(
        self, record: ConnectRecord, schema: Schema, value: Any
    ) -> tuple[Schema | None, Any]:
        struct = require_struct(value, PURPOSE)
        new_schema, plan = self.schema_cache.get_or_build(schema, lambda: self._build_plan(schema))
        if struct.schema is schema:
            values = copied_values(struct, plan, self.replace_null)
            field_map = new_schema._field_map
            for spec, inserted in self._inserted(record, schemaful=True):
                validate_value(field_map[spec.name].schema, inserted, self._where[spec.name])
                values[spec.name] = inserted  # as Struct.put does, minus the name lookup
            return new_schema, Struct.from_validated(new_schema, values)
        updated = Struct(new_schema)
        for f in schema.fields:
            updated.put(f.name, field_value(struct, f.name, self.replace_null))
        for spec, inserted in self._inserted(record, schemaful=True):
            updated.put(spec.name, inserted)
        return new_schema, updated

    def apply_to_values(
        self, schema: Schema | None, values: list[Any]
    ) -> tuple[Schema | None, list[Any]] | None:
        """Structs of one schema get the static field in one loop; else as the base class."""
        static = self.static
        if (
            self.target == "value"
            and self.value_only()
            and static
            and schema is not None
            and values
        ):
            new_schema, plan = self.schema_cache.get_or_build(
                schema, lambda: self._build_plan(schema)
            )
            inserted = {static.name: self.static_value}
            rows = copied_values_of_many(values, schema, plan, inserted)
            if rows is not None:
                field_schema = new_schema._field_map[static.name].schema
                validate_value(field_schema, self.static_value, self._where[static.name])
                return new_schema, structs_of(new_schema, rows)
        return super().apply_to_values(schema, values)

    def _build_plan(self, schema: Schema) -> tuple[Schema, list[tuple[str, str, Schema]]]:
        """The new schema, and which fields to copy for :func:`copied_values`."""
        return self._build_schema(schema), [(f.name, f.name, f.schema) for f in schema.fields]

    def _build_schema(self, schema: Schema) -> Schema:
        builder = copy_struct_basics(schema)
        for f in schema.fields:
            builder.field(f.name, f.schema)
        kinds = (
            (self.topic, Schema.STRING_SCHEMA),
            (self.partition, Schema.INT32_SCHEMA),
            (self.offset, Schema.INT64_SCHEMA),
            (self.timestamp, Timestamp.SCHEMA),
            (self.static, Schema.STRING_SCHEMA),
        )
        for spec, field_schema in kinds:
            if spec is not None:
                builder.field(spec.name, _optional(field_schema) if spec.optional else field_schema)
        return builder.build()


def _optional(schema: Schema) -> Schema:
    return Schema(schema.type, optional=True, name=schema.name, version=schema.version)


class InsertFieldKey(InsertField):
    """``InsertField$Key``."""

    target = "key"


class InsertFieldValue(InsertField):
    """``InsertField$Value``."""

    target = "value"


__all__ = ["InsertField", "InsertFieldKey", "InsertFieldValue"]
