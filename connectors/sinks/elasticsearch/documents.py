"""From a decided change to a bulk operation: index name, document id, version, body.

Rules (Confluent's sink where it has one):

* id = the record key as text (``key.ignore=false``) or ``topic+partition+offset``;
* ``write.method=insert`` indexes the whole row with ``version_type=external`` and the log
  offset as version (or a header / change-event field), so Elasticsearch itself refuses an
  older event replayed after a newer one (409, counted and ignored);
* ``write.method=upsert`` - and any row with TOAST placeholders - is a partial ``update``
  with ``doc_as_upsert``: the fields not sent stay as stored;
* deletes are versioned like inserts; data streams get one ``create`` per event (id
  topic+partition+offset) with ``@timestamp``, and no deletes (append-only).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import orjson

from connectors.api import DataError, Schema, SinkRecord, Struct, Type
from connectors.sinks._cdc import Action, Change, dumps, key_string
from connectors.sinks.elasticsearch.config import EsSinkSettings

_BAD_INDEX_CHARS = re.compile(r'[\\/*?"<>| ,#:]')
_SIMPLE = {
    Type.INT8: "byte", Type.INT16: "short", Type.INT32: "integer", Type.INT64: "long",
    Type.FLOAT32: "float", Type.FLOAT64: "double", Type.BOOLEAN: "boolean", Type.BYTES: "binary",
}  # fmt: skip
_LOGICAL = {
    "org.apache.kafka.connect.data.Decimal": {"type": "double"},
    "org.apache.kafka.connect.data.Date": {"type": "date"},
    "org.apache.kafka.connect.data.Timestamp": {"type": "date"},
    "org.apache.kafka.connect.data.Time": {"type": "keyword"},
    "io.debezium.time.Timestamp": {"type": "date", "format": "epoch_millis"},
    "io.debezium.time.ZonedTimestamp": {"type": "date"},
    "io.debezium.data.Json": {"type": "text"},
}
_TEXT = {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 256}}}


@dataclass(slots=True)
class Op:
    """One bulk operation: the NDJSON lines and what they belong to."""

    record: SinkRecord
    action: str
    index: str
    doc_id: str | None
    lines: bytes


def index_name(name: str) -> str:
    """A valid index name from a topic: lowercase, invalid characters as '_'."""
    name = _BAD_INDEX_CHARS.sub("_", name.lower()).lstrip("_-+")
    return name or "default"


class OpBuilder:
    """Builds bulk operations with one task's settings."""

    def __init__(self, settings: EsSinkSettings) -> None:
        self.s = settings
        self._indexes: dict[str, str] = {}
        #: (index, new id) -> the row stored under the old id of a primary-key change; its
        #: create event fills the columns it lacks (TOAST) from here.
        self.carried: dict[tuple[str, str], dict[str, Any]] = {}

    def index_for(self, topic: str) -> str:
        found = self._indexes.get(topic)
        if found is None:
            if self.s.stream_type != "none":
                namespace = self.s.stream_namespace.replace("${topic}", topic)
                raw = f"{self.s.stream_type}-{self.s.stream_dataset}-{namespace}"
            else:
                raw = self.s.index_format.replace("${topic}", topic)
            found = self._indexes[topic] = index_name(raw)
        return found

    def build(self, change: Change) -> Op | None:
        """The operation of a change, or None when nothing is written (skip)."""
        record = change.record
        if change.action is Action.SKIP:
            return None
        index = self.index_for(record.topic)
        stream = self.s.stream_type != "none"
        if change.action is Action.DELETE and stream:
            return None  # data streams are append-only
        doc_id = self._doc_id(record)
        meta: dict[str, Any] = {"_index": index}
        if doc_id is not None:
            meta["_id"] = doc_id
        if change.action is Action.DELETE:
            if doc_id is None:
                return None  # nothing addresses the document to delete
            self._version(meta, record)
            return Op(record, "delete", index, doc_id, b'{"delete":%b}\n' % orjson.dumps(meta))
        row, missing = self._document(change), change.missing
        if missing and doc_id is not None:
            row, missing = self._fill(index, doc_id, row, missing)
        if stream:
            row = {**row, "@timestamp": self._timestamp(row, record)}
            action = "create"
        elif self.s.upsert or missing:
            body = dumps({"doc": row, "doc_as_upsert": True})
            return Op(record, "update", index, doc_id,
                      b'{"update":%b}\n%b\n' % (orjson.dumps(meta), body))  # fmt: skip
        else:
            action = "index"
            self._version(meta, record)
        head = orjson.dumps({action: meta})
        return Op(record, action, index, doc_id, b"%b\n%b\n" % (head, dumps(row)))

    def _fill(
        self, index: str, doc_id: str, row: dict[str, Any], missing: tuple[str, ...]
    ) -> tuple[dict[str, Any], tuple[str, ...]]:
        """Columns a moved row's create event lacks, taken from the row under its old id."""
        old = self.carried.pop((index, doc_id), None)
        if old is None:
            return row, missing
        filled = {name: old[name] for name in missing if name in old}
        return {**row, **filled}, tuple(name for name in missing if name not in filled)

    def doc_id(self, record: SinkRecord) -> str | None:
        """The document id of a record (see :meth:`_doc_id`)."""
        return self._doc_id(record)

    def _doc_id(self, record: SinkRecord) -> str | None:
        """The record key as text, or topic+partition+offset.

        The latter with key.ignore, and for data streams: there every event is its own
        document, and a retried create of it is a harmless 409.
        """
        ignored = self.s.key_ignore or record.topic in self.s.topic_key_ignore
        if ignored or self.s.stream_type != "none":
            return f"{record.topic}+{record.kafka_partition}+{record.kafka_offset}"
        if record.key is None:
            msg = (
                f"Record at {record.topic}-{record.kafka_partition}@{record.kafka_offset} has a "
                "null key, which is the document id with key.ignore=false; set key.ignore=true "
                "(ids from topic+partition+offset) or drop.invalid.message=true"
            )
            raise DataError(msg)
        return key_string(record.key)

    def _version(self, meta: dict[str, Any], record: SinkRecord) -> None:
        if self.s.key_ignore or record.topic in self.s.topic_key_ignore:
            return
        version = self._external_version(record)
        if version is not None:
            meta["version"] = version
            meta["version_type"] = "external"

    def _external_version(self, record: SinkRecord) -> int | None:
        if self.s.version_header:
            header = record.headers.last_with_name(self.s.version_header)
            return _as_int(header.value) if header is not None else None
        if self.s.version_field:
            return _as_int(_path(record.value, self.s.version_field))
        return record.kafka_offset

    def _document(self, change: Change) -> dict[str, Any]:
        if change.row is not None:
            return change.row
        raw = change.raw
        if isinstance(raw, str | bytes | bytearray):
            try:
                parsed = orjson.loads(raw)
            except orjson.JSONDecodeError:
                parsed = None
            if isinstance(parsed, dict):
                return parsed
        msg = (
            f"Record at {change.record.topic}@{change.record.kafka_offset} has a "
            f"{type(raw).__name__} value; Elasticsearch documents are JSON objects (use a "
            "JsonConverter, or HoistField to wrap the value in an object)"
        )
        raise DataError(msg)

    def _timestamp(self, row: dict[str, Any], record: SinkRecord) -> Any:
        for name in self.s.stream_timestamp_fields:
            if row.get(name) is not None:
                return row[name]
        millis = record.timestamp if record.timestamp is not None else 0
        moment = dt.datetime.fromtimestamp(millis / 1000, tz=dt.UTC)
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _as_int(value: Any) -> int | None:
    if isinstance(value, bytes):
        value = value.decode()
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _path(value: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        if isinstance(value, Struct):
            value = value.get(part) if value.schema.field(part) else None
        elif isinstance(value, dict):
            value = value.get(part)
        else:
            return None
    return value


def mapping_for(schema: Schema | None) -> dict[str, Any] | None:
    """Index mappings from a record's value schema (the row's, for an envelope)."""
    if schema is None or schema.type is not Type.STRUCT:
        return None
    after = schema.field("after")
    if schema.field("op") is not None and after is not None:
        schema = after.schema
    return {"properties": {f.name: _field_mapping(f.schema) for f in schema.fields}}


def _field_mapping(schema: Schema) -> dict[str, Any]:
    if schema.name in _LOGICAL:
        return dict(_LOGICAL[schema.name])
    if schema.type is Type.STRUCT:
        return {"properties": {f.name: _field_mapping(f.schema) for f in schema.fields}}
    if schema.type is Type.ARRAY and schema.value_schema is not None:
        return _field_mapping(schema.value_schema)
    if schema.type is Type.MAP:
        return {"type": "object"}
    if schema.type is Type.STRING:
        return dict(_TEXT)
    return {"type": _SIMPLE.get(schema.type, "keyword")}
