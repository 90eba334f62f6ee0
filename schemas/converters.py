"""Schema-registry converters for connectors: ``JsonSchemaConverter`` and ``AvroConverter``.

Usable as ``key.converter`` / ``value.converter`` in connector configs, with
Confluent's keys (``schema.registry.url``, ``auto.register.schemas``,
``use.latest.version``, ``key|value.subject.name.strategy``,
``basic.auth.user.info``).  The registry can be this hub (its own URL) or an
external Confluent Schema Registry.

Per record, the only work is: find the cached writer for the record's Connect
schema object (a dict lookup by identity), turn the value into a JSON tree or
Avro datum with a function compiled for that schema, and encode it behind the
5-byte header.  The registry is consulted once per new schema or id.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from connectors.api import (
    ConfigDef,
    ConfigType,
    ConnectError,
    Converter,
    DataError,
    Headers,
    Importance,
    Schema,
    SchemaAndValue,
)
from schemas.canonical import ParsedSchema, parse
from schemas.client import RegistryClient
from schemas.connect_avro import compile_to_avro, from_avro_datum, from_avro_schema, to_avro_schema
from schemas.connect_json import compile_to_json, from_json_schema, from_json_value, to_json_schema
from schemas.errors import RegistryError, SerializationError
from schemas.models import Schema as RegistrySchema
from schemas.models import SchemaType
from schemas.serde import AvroSerde, JsonSchemaSerde, unframe

URL = "schema.registry.url"
AUTO_REGISTER = "auto.register.schemas"
USE_LATEST = "use.latest.version"
KEY_STRATEGY = "key.subject.name.strategy"
VALUE_STRATEGY = "value.subject.name.strategy"
BASIC_AUTH = "basic.auth.user.info"
VALIDATE = "validate"

SubjectNameStrategy = Callable[[str, bool, str | None], str]


def topic_name_strategy(topic: str, is_key: bool, record_name: str | None) -> str:
    """``<topic>-key`` / ``<topic>-value`` (Confluent's default)."""
    return f"{topic}-{'key' if is_key else 'value'}"


def record_name_strategy(topic: str, is_key: bool, record_name: str | None) -> str:
    """The record's fully qualified name, so one subject spans every topic carrying it."""
    if not record_name:
        msg = (
            "RecordNameStrategy needs a named record schema (a Connect schema with a name); "
            "name the schema or use TopicNameStrategy."
        )
        raise DataError(msg)
    return record_name


def topic_record_name_strategy(topic: str, is_key: bool, record_name: str | None) -> str:
    """``<topic>-<record name>``: several record types per topic, each evolving apart."""
    return f"{topic}-{record_name_strategy(topic, is_key, record_name)}"


STRATEGIES: dict[str, SubjectNameStrategy] = {
    "TopicNameStrategy": topic_name_strategy,
    "RecordNameStrategy": record_name_strategy,
    "TopicRecordNameStrategy": topic_record_name_strategy,
}


def strategy_named(name: str) -> SubjectNameStrategy:
    """Accept the short name or Confluent's class name (``io.confluent...TopicNameStrategy``)."""
    short = name.rsplit(".", 1)[-1]
    if short not in STRATEGIES:
        msg = f"Unknown subject name strategy {name!r}; use one of {', '.join(STRATEGIES)}."
        raise ConnectError(msg)
    return STRATEGIES[short]


CONFIG_DEF = (
    ConfigDef()
    .define(URL, ConfigType.STRING, importance=Importance.HIGH,
            documentation="Schema registry URL: this hub's own URL or a Confluent registry.")
    .define(AUTO_REGISTER, ConfigType.BOOLEAN, True, importance=Importance.MEDIUM,
            documentation="Register new schemas; when false they must already be registered.")
    .define(USE_LATEST, ConfigType.BOOLEAN, False, importance=Importance.MEDIUM,
            documentation="Write with the subject's latest schema instead of the record's.")
    .define(KEY_STRATEGY, ConfigType.STRING, "TopicNameStrategy", importance=Importance.MEDIUM,
            documentation="Subject for keys: TopicNameStrategy, RecordNameStrategy, "
            "TopicRecordNameStrategy.")
    .define(VALUE_STRATEGY, ConfigType.STRING, "TopicNameStrategy", importance=Importance.MEDIUM,
            documentation="Subject for values (same choices as the key strategy).")
    .define(BASIC_AUTH, ConfigType.PASSWORD, "", importance=Importance.LOW,
            documentation="user:password for the registry's basic auth.")
    .define(VALIDATE, ConfigType.BOOLEAN, True, importance=Importance.LOW,
            documentation="JSON Schema only: validate each value against its schema on write.")
)  # fmt: skip

Writer = tuple[Schema, Callable[[Any], bytes]]
Reader = Callable[[memoryview], SchemaAndValue]


class _RegistryConverter(Converter):
    """What both converters share: config, subject naming, registry calls, caches."""

    schema_type: SchemaType

    def __init__(self, client: RegistryClient | None = None) -> None:
        self._client = client
        self._is_key = False
        self._auto_register = True
        self._use_latest = False
        self._validate = True
        self._strategy: SubjectNameStrategy = topic_name_strategy
        self._writers: dict[str, dict[int, Writer]] = {}
        self._readers: dict[int, Reader] = {}

    def config_def(self) -> ConfigDef:
        return CONFIG_DEF

    def configure(self, configs: Mapping[str, Any], is_key: bool = False) -> None:
        parsed = CONFIG_DEF.parse(configs)
        self._is_key = is_key
        self._auto_register = parsed[AUTO_REGISTER]
        self._use_latest = parsed[USE_LATEST]
        self._validate = parsed[VALIDATE]
        self._strategy = strategy_named(parsed[KEY_STRATEGY if is_key else VALUE_STRATEGY])
        auth = parsed[BASIC_AUTH]
        secret = getattr(auth, "value", auth) or None
        if self._client is None:
            self._client = RegistryClient(parsed[URL], basic_auth=secret)

    @property
    def client(self) -> RegistryClient:
        if self._client is None:
            msg = f"The converter is not configured; set {URL} in its config."
            raise ConnectError(msg)
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    # -- writing ------------------------------------------------------------------
    def from_connect_data(
        self, topic: str, schema: Schema | None, value: Any, headers: Headers | None = None
    ) -> bytes | None:
        if value is None:
            return None
        if schema is None:
            msg = f"{type(self).__name__} needs a schema for every value; the record has none."
            raise DataError(msg)
        entry = self._writers.get(topic, {}).get(id(schema))
        if entry is None or entry[0] is not schema:
            entry = (schema, self._build_writer(topic, schema))
            self._writers.setdefault(topic, {})[id(schema)] = entry
        try:
            return entry[1](value)
        except SerializationError as exc:
            msg = f"Topic {topic}: {exc}"
            raise DataError(msg) from exc

    def _resolve_id(self, topic: str, schema: RegistrySchema, record_name: str | None) -> int:
        subject = self._strategy(topic, self._is_key, record_name)
        try:
            if self._use_latest:
                return self.client.latest(subject)[0]
            if self._auto_register:
                return self.client.register(subject, schema)
            return self.client.lookup(subject, schema)
        except RegistryError as exc:
            hint = "" if self._auto_register else f" (with {AUTO_REGISTER}=false it must exist)"
            msg = f"Schema registry refused the schema for subject {subject!r}{hint}: {exc.message}"
            raise DataError(msg) from exc

    def _parsed(self, schema_id: int, schema: RegistrySchema) -> ParsedSchema:
        refs = {}
        for ref in schema.references:
            ref_id, ref_schema = self.client.version(ref.subject, ref.version)
            refs[ref.name] = self._parsed(ref_id, ref_schema)
        return parse(schema, refs)

    # -- reading ------------------------------------------------------------------
    def to_connect_data(
        self, topic: str, data: bytes | None, headers: Headers | None = None
    ) -> SchemaAndValue:
        if data is None:
            return SchemaAndValue.NULL
        try:
            schema_id, payload = unframe(data)
            reader = self._readers.get(schema_id)
            if reader is None:
                reader = self._readers[schema_id] = self._build_reader(schema_id)
            return reader(payload)
        except (SerializationError, RegistryError) as exc:
            msg = f"Topic {topic}: {exc}"
            raise DataError(msg) from exc

    def _build_writer(self, topic: str, schema: Schema) -> Callable[[Any], bytes]:
        raise NotImplementedError

    def _build_reader(self, schema_id: int) -> Reader:
        raise NotImplementedError


class JsonSchemaConverter(_RegistryConverter):
    """Confluent's ``io.confluent.connect.json.JsonSchemaConverter`` for cdchub."""

    schema_type = SchemaType.JSON

    def _build_writer(self, topic: str, schema: Schema) -> Callable[[Any], bytes]:
        document = to_json_schema(schema)
        text = RegistrySchema(json.dumps(document), SchemaType.JSON)
        schema_id = self._resolve_id(topic, text, schema.name)
        serde = JsonSchemaSerde(
            schema_id,
            self._parsed(schema_id, self.client.schema_by_id(schema_id)),
            validate=self._validate,
        )
        to_json = compile_to_json(schema)
        serialize = serde.serialize
        return lambda value: serialize(to_json(value))

    def _build_reader(self, schema_id: int) -> Reader:
        parsed = self._parsed(schema_id, self.client.schema_by_id(schema_id))
        serde = JsonSchemaSerde(schema_id, parsed, validate=False)
        connect_schema = from_json_schema(parsed.document)

        def read(payload: memoryview) -> SchemaAndValue:
            tree = serde.deserialize(payload)
            return SchemaAndValue(connect_schema, from_json_value(connect_schema, tree))

        return read


class AvroConverter(_RegistryConverter):
    """Confluent's ``io.confluent.connect.avro.AvroConverter`` for cdchub."""

    schema_type = SchemaType.AVRO

    def _build_writer(self, topic: str, schema: Schema) -> Callable[[Any], bytes]:
        avro = to_avro_schema(schema)
        text = RegistrySchema(json.dumps(avro), SchemaType.AVRO)
        record_name = avro.get("name") if isinstance(avro, dict) else None
        schema_id = self._resolve_id(topic, text, record_name)
        serde = AvroSerde(schema_id, self._parsed(schema_id, self.client.schema_by_id(schema_id)))
        to_datum = compile_to_avro(schema)
        serialize = serde.serialize
        return lambda value: serialize(to_datum(value))

    def _build_reader(self, schema_id: int) -> Reader:
        parsed = self._parsed(schema_id, self.client.schema_by_id(schema_id))
        serde = AvroSerde(schema_id, parsed)
        try:
            connect_schema: Schema | None = from_avro_schema(parsed.avro, parsed.named)
        except (TypeError, KeyError):
            connect_schema = None

        def read(payload: memoryview) -> SchemaAndValue:
            datum = serde.deserialize(payload)
            if connect_schema is None:
                return SchemaAndValue(None, datum)
            return SchemaAndValue(connect_schema, from_avro_datum(connect_schema, datum))

        return read
