"""Debezium's ExtractNewRecordState ("unwrap"): replace a change event by its row.

``io.debezium.transforms.ExtractNewRecordState`` with its options (see COMPAT 2.13):
``delete.tombstone.handling.mode`` (drop | tombstone | rewrite | rewrite-with-tombstone |
delete-to-tombstone) or the legacy ``delete.handling.mode`` + ``drop.tombstones``;
``add.fields`` / ``add.headers`` (+ prefixes), ``route.by.field``,
``drop.fields.header.name`` / ``drop.fields.from.key`` / ``drop.fields.keep.schema.compatible``,
``replace.null.with.default``. Records that are not envelopes (heartbeats, schema changes,
transaction events, truncate and message events) pass through unchanged. Besides structs,
schemaless envelopes (dicts with ``op`` and ``before``/``after``) are unwrapped too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from connectors.api import (
    ConfigDef,
    ConfigError,
    ConfigType,
    ConnectRecord,
    Importance,
    Schema,
    SchemaBuilder,
    Struct,
    Transformation,
    Type,
    ValidString,
)
from connectors.transforms.base import SchemaCache, copy_struct_basics, optional_copy

MODE = "delete.tombstone.handling.mode"
LEGACY_DELETE = "delete.handling.mode"
LEGACY_TOMBSTONES = "drop.tombstones"
ADD_FIELDS, ADD_FIELDS_PREFIX = "add.fields", "add.fields.prefix"
ADD_HEADERS, ADD_HEADERS_PREFIX = "add.headers", "add.headers.prefix"
ROUTE_BY_FIELD = "route.by.field"
DROP_FIELDS_HEADER = "drop.fields.header.name"
DROP_FIELDS_FROM_KEY = "drop.fields.from.key"
DROP_FIELDS_KEEP_COMPATIBLE = "drop.fields.keep.schema.compatible"
REPLACE_NULL = "replace.null.with.default"
DELETED_FIELD = "__deleted"
MODES = ("drop", "tombstone", "rewrite", "rewrite-with-tombstone", "delete-to-tombstone")
ENVELOPE_FIELDS = ("op", "ts_ms", "ts_us", "ts_ns")
TRANSACTION_FIELDS = ("id", "total_order", "data_collection_order")
DATA_OPS = ("c", "u", "r", "d")

CONFIG_DEF = (
    ConfigDef()
    .define(MODE, ConfigType.STRING, None, ValidString.in_(*MODES), Importance.MEDIUM,
            "How deletes and tombstones are handled: drop (both removed), tombstone (a delete "
            "becomes a null-value record, tombstones dropped), rewrite (delete -> 'before' row "
            "with __deleted=true), rewrite-with-tombstone (rewrite, tombstones kept), "
            "delete-to-tombstone (delete -> real tombstone).", group="Deletes")
    .define(LEGACY_DELETE, ConfigType.STRING, None, ValidString.in_("drop", "none", "rewrite"),
            Importance.LOW, "Deprecated; use delete.tombstone.handling.mode.", group="Deletes")
    .define(LEGACY_TOMBSTONES, ConfigType.BOOLEAN, None, importance=Importance.LOW,
            documentation="Deprecated; use delete.tombstone.handling.mode.", group="Deletes")
    .define(ADD_FIELDS, ConfigType.LIST, "", importance=Importance.LOW,
            documentation="Envelope or source fields to add to the value, e.g. "
            "op,table,lsn,source.ts_ms; field:NEWNAME renames.")
    .define(ADD_FIELDS_PREFIX, ConfigType.STRING, "__", importance=Importance.LOW,
            documentation="Prefix of the names of added fields.")
    .define(ADD_HEADERS, ConfigType.LIST, "", importance=Importance.LOW,
            documentation="Envelope or source fields to add as headers (same syntax).")
    .define(ADD_HEADERS_PREFIX, ConfigType.STRING, "__", importance=Importance.LOW,
            documentation="Prefix of the names of added headers.")
    .define(ROUTE_BY_FIELD, ConfigType.STRING, "", importance=Importance.LOW,
            documentation="A row field whose value becomes the topic name.")
    .define(DROP_FIELDS_HEADER, ConfigType.STRING, None, importance=Importance.LOW,
            documentation="Header holding a list of field names to drop from the value.")
    .define(DROP_FIELDS_FROM_KEY, ConfigType.BOOLEAN, False, importance=Importance.LOW,
            documentation="Also drop those fields from the key.")
    .define(DROP_FIELDS_KEEP_COMPATIBLE, ConfigType.BOOLEAN, True, importance=Importance.LOW,
            documentation="Only drop optional fields, so the schema stays compatible.")
    .define(REPLACE_NULL, ConfigType.BOOLEAN, True, importance=Importance.LOW,
            documentation="Replace null field values by the field default.")
)  # fmt: skip


class FieldRef(NamedTuple):
    """An ``add.fields``/``add.headers`` entry: where to read and what to call it."""

    struct: str | None
    field: str
    new_name: str

    @classmethod
    def parse(cls, raw: str, prefix: str) -> FieldRef:
        spec, _, rename = raw.partition(":")
        struct, dot, field = spec.partition(".")
        if not dot:
            struct, field = _home_of(spec), spec
        default_name = f"{struct}_{field}" if dot else field
        return cls(struct or None, field, prefix + (rename or default_name))

    def read(self, envelope: Any) -> tuple[Schema | None, Any]:
        """(optional schema, value) of the field, from its struct or else the envelope.

        The envelope fallback finds fields another transform added at the top level.
        """
        holder = _get(envelope, self.struct) if self.struct else envelope
        if holder is None or not _has(holder, self.field):
            holder = envelope
        return _schema_of(holder, self.field), _get(holder, self.field)


def _home_of(field: str) -> str:
    """The envelope struct holding an unqualified ``add.fields`` name."""
    if field in ENVELOPE_FIELDS:
        return ""
    return "transaction" if field in TRANSACTION_FIELDS else "source"


def _has(container: Any, name: str) -> bool:
    if isinstance(container, Struct):
        return container.schema.field(name) is not None
    return isinstance(container, Mapping) and name in container


def _get(container: Any, name: str) -> Any:
    if isinstance(container, Struct):
        return container.get_without_default(name) if container.schema.field(name) else None
    return container.get(name) if isinstance(container, Mapping) else None


def _schema_of(container: Any, name: str) -> Schema | None:
    if isinstance(container, Struct):
        f = container.schema.field(name)
        return optional_copy(f.schema) if f is not None else None
    return None


def resolve_mode(config: Mapping[str, Any]) -> tuple[str, bool]:
    """(delete handling: drop|none|rewrite|tombstone, keep original tombstones)."""
    mode = config[MODE]
    legacy = config[LEGACY_DELETE] is not None or config[LEGACY_TOMBSTONES] is not None
    if mode is None and legacy:
        drop_tombstones = config[LEGACY_TOMBSTONES] is not False
        return config[LEGACY_DELETE] or "drop", not drop_tombstones
    return {
        None: ("none", False),
        "drop": ("drop", False),
        "tombstone": ("none", False),
        "rewrite": ("rewrite", False),
        "rewrite-with-tombstone": ("rewrite", True),
        "delete-to-tombstone": ("tombstone", False),
    }[mode]


class ExtractNewRecordState(Transformation[ConnectRecord]):
    """Flatten Debezium change events to the row state (``after``, or ``before`` on delete)."""

    def __init__(self) -> None:
        self.cache = SchemaCache(64)

    def version(self) -> str:
        return "1.0"

    def config_def(self) -> ConfigDef:
        return CONFIG_DEF

    def configure(self, configs: Mapping[str, Any]) -> None:
        config = CONFIG_DEF.parse(configs)
        self.delete_mode, self.keep_tombstones = resolve_mode(config)
        fields_prefix, headers_prefix = config[ADD_FIELDS_PREFIX], config[ADD_HEADERS_PREFIX]
        try:
            self.add_fields = [FieldRef.parse(f, fields_prefix) for f in config[ADD_FIELDS]]
            self.add_headers = [FieldRef.parse(f, headers_prefix) for f in config[ADD_HEADERS]]
        except ValueError as exc:  # pragma: no cover - partition never raises
            raise ConfigError.from_errors({ADD_FIELDS: [str(exc)]}) from None
        self.route_by: str = config[ROUTE_BY_FIELD]
        self.drop_header: str | None = config[DROP_FIELDS_HEADER]
        self.drop_from_key: bool = config[DROP_FIELDS_FROM_KEY]
        self.keep_compatible: bool = config[DROP_FIELDS_KEEP_COMPATIBLE]
        self.replace_null: bool = config[REPLACE_NULL]

    def apply(self, record: ConnectRecord) -> ConnectRecord | None:
        if record.value is None:
            return self._tombstone(record) if self.keep_tombstones else None
        op = envelope_op(record.value)
        if op not in DATA_OPS:
            return record
        headers = record.headers.duplicate()
        for ref in self.add_headers:
            schema, value = ref.read(record.value)
            headers.add(ref.new_name, value, schema)
        if op == "d" and self.delete_mode != "rewrite":
            return self._delete(record, headers)
        row = _get(record.value, "before" if op == "d" else "after")
        if row is None:
            return self._delete(record, headers) if op == "d" else record
        new_schema, new_value = self._row(record, row, op)
        out = record.new_record(value_schema=new_schema, value=new_value, headers=headers)
        return self._post(out)

    def _tombstone(self, record: ConnectRecord) -> ConnectRecord:
        """A kept tombstone; an ``op`` header, if asked for, says it is a delete."""
        op_refs = [ref for ref in self.add_headers if ref.struct is None and ref.field == "op"]
        if not op_refs:
            return record
        headers = record.headers.duplicate()
        for ref in op_refs:
            headers.add(ref.new_name, "d", Schema.OPTIONAL_STRING_SCHEMA)
        return record.new_record(headers=headers)

    def _delete(self, record: ConnectRecord, headers: Any) -> ConnectRecord | None:
        if self.delete_mode == "drop":
            return None
        if self.delete_mode == "tombstone":
            return record.new_record(value_schema=None, value=None, headers=headers)
        after = record.value.schema.field("after") if isinstance(record.value, Struct) else None
        row_schema = after.schema if after is not None else None
        return record.new_record(value_schema=row_schema, value=None, headers=headers)

    def _row(self, record: ConnectRecord, row: Any, op: str) -> tuple[Schema | None, Any]:
        extras = [(ref.new_name, *ref.read(record.value)) for ref in self.add_fields]
        if self.delete_mode == "rewrite":
            deleted = "true" if op == "d" else "false"
            extras.append((DELETED_FIELD, Schema.OPTIONAL_STRING_SCHEMA, deleted))
        if not isinstance(row, Struct):
            flat = dict(row)
            flat.update({name: value for name, _, value in extras})
            return None, flat
        if not extras:
            return row.schema, row
        key = (row.schema, tuple((n, s) for n, s, _ in extras))
        schema = self.cache.get_or_build(key, lambda: _extended(row.schema, extras))
        out = Struct(schema)
        for f in row.schema.fields:
            out.put(
                f.name, row.get(f.name) if self.replace_null else row.get_without_default(f.name)
            )
        for name, _, value in extras:
            out.put(name, value)
        return schema, out

    def _post(self, record: ConnectRecord) -> ConnectRecord:
        if self.route_by:
            topic = _get(record.value, self.route_by)
            if topic is not None:
                record = record.new_record(topic=str(topic))
        if self.drop_header:
            record = self._drop_fields(record)
        return record

    def _drop_fields(self, record: ConnectRecord) -> ConnectRecord:
        header = record.headers.last_with_name(self.drop_header or "")
        names = set(header.value or []) if header is not None else set()
        if not names:
            return record
        value_schema, value = _without(record.value_schema, record.value, names,
                                       self.keep_compatible)  # fmt: skip
        record = record.new_record(value_schema=value_schema, value=value)
        if self.drop_from_key:
            key_schema, key = _without(record.key_schema, record.key, names, self.keep_compatible)
            record = record.new_record(key_schema=key_schema, key=key)
        return record


def envelope_op(value: Any) -> str | None:
    """The ``op`` of a Debezium envelope, or None when ``value`` is not one."""
    if isinstance(value, Struct):
        schema = value.schema
        if schema.field("op") is None or (schema.field("after") is None
                                          and schema.field("before") is None):  # fmt: skip
            return None
        op = value.get("op")
    elif isinstance(value, Mapping) and "op" in value and ("after" in value or "before" in value):
        op = value.get("op")
    else:
        return None
    return op if isinstance(op, str) else None


def _extended(schema: Schema, extras: list[tuple[str, Schema | None, Any]]) -> Schema:
    builder = copy_struct_basics(schema)
    for f in schema.fields:
        builder.field(f.name, f.schema)
    for name, field_schema, _ in extras:
        builder.field(name, field_schema or Schema.OPTIONAL_STRING_SCHEMA)
    return builder.build()


def _without(
    schema: Schema | None, value: Any, names: set[str], keep_compatible: bool
) -> tuple[Schema | None, Any]:
    if isinstance(value, Mapping):
        return schema, {k: v for k, v in value.items() if k not in names}
    if not isinstance(value, Struct) or schema is None or schema.type is not Type.STRUCT:
        return schema, value
    dropped = {f.name for f in schema.fields
               if f.name in names and (f.schema.optional or not keep_compatible)}  # fmt: skip
    builder: SchemaBuilder = copy_struct_basics(schema)
    for f in schema.fields:
        if f.name not in dropped:
            builder.field(f.name, f.schema)
    new_schema = builder.build()
    out = Struct(new_schema)
    for f in new_schema.fields:
        out.put(f.name, value.get_without_default(f.name))
    return new_schema, out
