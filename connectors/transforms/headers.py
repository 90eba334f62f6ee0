"""Header transforms: HeaderFrom, InsertHeader and DropHeaders (Kafka names and options)."""

from __future__ import annotations

from typing import Any

from connectors.api import (
    ConfigDef,
    ConfigError,
    ConfigType,
    ConnectRecord,
    DataError,
    Headers,
    Importance,
    NonEmptyString,
    Schema,
    Struct,
    Transformation,
    ValidString,
)
from connectors.converters.header import infer_literal
from connectors.transforms.base import (
    REPLACE_NULL_WITH_DEFAULT,
    KeyValueTransform,
    copy_struct_basics,
    define_replace_null,
    field_value,
    non_empty_list,
    require_map,
    require_struct,
)

FIELDS, HEADERS, OPERATION = "fields", "headers", "operation"
HEADER, VALUE_LITERAL = "header", "value.literal"


_NON_EMPTY = non_empty_list("give at least one name")


HEADER_FROM_CONFIG = define_replace_null(
    ConfigDef()
    .define(FIELDS, ConfigType.LIST, validator=_NON_EMPTY, importance=Importance.HIGH,
            documentation="Key/value fields whose values go into headers.")
    .define(HEADERS, ConfigType.LIST, validator=_NON_EMPTY, importance=Importance.HIGH,
            documentation="Header names, one per entry of 'fields', in the same order.")
    .define(OPERATION, ConfigType.STRING, validator=ValidString.in_("move", "copy"),
            importance=Importance.HIGH,
            documentation="copy: the fields stay in the key/value; move: they are removed "
            "from it once copied into headers.")
)  # fmt: skip


class HeaderFrom(KeyValueTransform):
    """Copy or move key/value fields into headers (``HeaderFrom$Key`` / ``$Value``)."""

    CONFIG_DEF = HEADER_FROM_CONFIG
    PURPOSE = "header from"

    def setup(self, config: dict[str, Any]) -> None:
        self.fields: list[str] = config[FIELDS]
        self.headers: list[str] = config[HEADERS]
        if len(self.fields) != len(self.headers):
            raise ConfigError.from_errors({FIELDS: [
                "'fields' config must have the same number of elements as 'headers' config."
            ]})  # fmt: skip
        self.move = config[OPERATION] == "move"
        self.replace_null = config[REPLACE_NULL_WITH_DEFAULT]

    def apply(self, record: ConnectRecord) -> ConnectRecord | None:
        schema, value = self.operating(record)
        if value is None:
            return record
        headers = record.headers.duplicate()
        if schema is None:
            fields = require_map(value, self.PURPOSE)
            for field, header in zip(self.fields, self.headers, strict=True):
                headers.add(header, fields.get(field))
                if self.move:
                    fields.pop(field, None)
            new_schema, new_value = None, fields
        else:
            new_schema, new_value = self._with_schema(schema, require_struct(value, self.PURPOSE),
                                                      headers)  # fmt: skip
        updated = self.updated(record, new_schema, new_value)
        updated.headers = headers
        return updated

    def _with_schema(self, schema: Schema, struct: Struct, headers: Any) -> tuple[Schema, Any]:
        for field, header in zip(self.fields, self.headers, strict=True):
            f = schema.field(field)
            if f is None:
                msg = f"Field does not exist: {field}"
                raise DataError(msg)
            headers.add(header, field_value(struct, field, self.replace_null), f.schema)
        if not self.move:
            return schema, struct
        new_schema = self.schema_cache.get_or_build(schema, lambda: self._moved_schema(schema))
        updated = Struct(new_schema)
        for f in new_schema.fields:
            updated.put(f.name, field_value(struct, f.name, self.replace_null))
        return new_schema, updated

    def _moved_schema(self, schema: Schema) -> Schema:
        builder = copy_struct_basics(schema)
        for f in schema.fields:
            if f.name not in self.fields:
                builder.field(f.name, f.schema)
        return builder.build()


class HeaderFromKey(HeaderFrom):
    """``HeaderFrom$Key``."""

    target = "key"


class HeaderFromValue(HeaderFrom):
    """``HeaderFrom$Value``."""

    target = "value"


INSERT_HEADER_CONFIG = (
    ConfigDef()
    .define(HEADER, ConfigType.STRING, validator=NonEmptyString(), importance=Importance.HIGH,
            documentation="Name of the header to add.")
    .define(VALUE_LITERAL, ConfigType.STRING, validator=NonEmptyString(),
            importance=Importance.HIGH,
            documentation="Value given to the header on every record; its type is inferred "
            "(true/false, numbers, JSON, else string).")
)  # fmt: skip


class InsertHeader(Transformation[ConnectRecord]):
    """Add a header with a literal value to every record (``InsertHeader``)."""

    def version(self) -> str:
        return "1.0"

    def config_def(self) -> ConfigDef:
        return INSERT_HEADER_CONFIG

    def configure(self, configs: Any) -> None:
        config = INSERT_HEADER_CONFIG.parse(configs)
        self.header: str = config[HEADER]
        self.literal = infer_literal(config[VALUE_LITERAL])

    def apply(self, record: ConnectRecord) -> ConnectRecord | None:
        headers = record.headers.duplicate().add(
            self.header, self.literal.value, self.literal.schema
        )
        return record.new_record(headers=headers)


DROP_HEADERS_CONFIG = ConfigDef().define(
    HEADERS, ConfigType.LIST, validator=_NON_EMPTY, importance=Importance.HIGH,
    documentation="Names of the headers to remove.",
)  # fmt: skip


class DropHeaders(Transformation[ConnectRecord]):
    """Remove every header with one of the configured names (``DropHeaders``)."""

    def version(self) -> str:
        return "1.0"

    def config_def(self) -> ConfigDef:
        return DROP_HEADERS_CONFIG

    def configure(self, configs: Any) -> None:
        self.names = set(DROP_HEADERS_CONFIG.parse(configs)[HEADERS])

    def apply(self, record: ConnectRecord) -> ConnectRecord | None:
        kept = Headers(h for h in record.headers if h.key not in self.names)
        return record.new_record(headers=kept)
