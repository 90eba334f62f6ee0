"""JsonConverter: Kafka Connect's ``org.apache.kafka.connect.json.JsonConverter`` in Python.

With ``schemas.enable=true`` (the default, as in Kafka) each message is an envelope
``{"schema": <Connect schema JSON>, "payload": <value>}``; with ``false`` it is the bare value.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping, Sequence
from operator import itemgetter
from typing import Any

import orjson

from connectors.api import (
    ConfigDef,
    ConfigType,
    DataError,
    DataHeaderConverter,
    Headers,
    Importance,
    Range,
    Schema,
    SchemaAndValue,
    ValidString,
)
from connectors.converters.json_columns import encode_columns, struct_columns_of
from connectors.converters.json_compiled import (
    Codec,
    compile_decoder,
    compile_encoder,
    decoded_as_is,
)
from connectors.converters.json_data import (
    JsonOptions,
    json_default,
    pairs_for_non_string_keys,
    schema_from_json,
    schema_to_json,
    value_from_json,
    value_to_json,
)

SCHEMAS_ENABLE = "schemas.enable"
SCHEMAS_CACHE_SIZE = "schemas.cache.size"
DECIMAL_FORMAT = "decimal.format"
REPLACE_NULL_WITH_DEFAULT = "replace.null.with.default"

CONFIG_DEF = (
    ConfigDef()
    .define(SCHEMAS_ENABLE, ConfigType.BOOLEAN, True, importance=Importance.HIGH,
            documentation="Include the schema with each message (the schema/payload envelope).",
            group="Schemas", display_name="Enable Schemas")
    .define(SCHEMAS_CACHE_SIZE, ConfigType.INT, 1000, Range.at_least(0), Importance.HIGH,
            "How many schemas to keep converted in each direction.", group="Schemas")
    .define(DECIMAL_FORMAT, ConfigType.STRING, "BASE64",
            ValidString.case_insensitive("BASE64", "NUMERIC"), Importance.LOW,
            "How Decimal values are written: BASE64 bytes (Kafka's default) or NUMERIC numbers.",
            group="Schemas")
    .define(REPLACE_NULL_WITH_DEFAULT, ConfigType.BOOLEAN, True, importance=Importance.LOW,
            documentation="Write a null field as its schema default, when it has one.")
    .define("converter.type", ConfigType.STRING, "value",
            ValidString.in_("key", "value", "header"), Importance.LOW,
            "Set by the runtime: what this instance converts.")
)  # fmt: skip

_ENVELOPE_ERROR = (
    'JsonConverter with schemas.enable=true expects objects with exactly two fields, "schema" '
    'and "payload". For plain JSON without that envelope, set schemas.enable=false in the '
    "converter configuration."
)
_DUMP_OPTS = orjson.OPT_NAIVE_UTC
#: functions mapped over a column that may hold None: they raise for it (TypeError or
#: JSONDecodeError), and the batch is then converted one message at a time
_LAST: Any = itemgetter(-1)
_LOADS: Any = orjson.loads


class _Lru(OrderedDict[Any, Any]):
    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def put(self, key: Any, value: Any) -> Any:
        if self.size > 0:
            self[key] = value
            if len(self) > self.size:
                self.popitem(last=False)
        return value


class JsonConverter(DataHeaderConverter):
    """JSON with or without the schema/payload envelope; also usable as header converter."""

    def __init__(self) -> None:
        self.schemas_enabled = True
        self.options = JsonOptions()
        self._to_json_cache = _Lru(1000)
        self._from_json_cache = _Lru(1000)
        self._cache_size = 1000
        self._encoders: dict[int, tuple[Schema, bytes | None, Codec, JsonOptions]] = {}
        #: (prefix, its length, schema, type decoded as is, decoder) of the last envelope
        self._envelope: tuple[bytes, int, Schema | None, type, Codec] | None = None

    def version(self) -> str:
        return "1.0"

    def config_def(self) -> ConfigDef:
        return CONFIG_DEF

    def configure(self, configs: Mapping[str, Any], is_key: bool = False) -> None:
        parsed = CONFIG_DEF.parse(configs)
        self.schemas_enabled = parsed[SCHEMAS_ENABLE]
        self.options = JsonOptions(
            decimal_numeric=parsed[DECIMAL_FORMAT].upper() == "NUMERIC",
            replace_null_with_default=parsed[REPLACE_NULL_WITH_DEFAULT],
        )
        self._to_json_cache = _Lru(parsed[SCHEMAS_CACHE_SIZE])
        self._from_json_cache = _Lru(parsed[SCHEMAS_CACHE_SIZE])
        self._cache_size = parsed[SCHEMAS_CACHE_SIZE]
        self._encoders = {}
        self._envelope = None

    def from_connect_data(
        self, topic: str, schema: Schema | None, value: Any, headers: Headers | None = None
    ) -> bytes | None:
        if schema is None:
            if value is None:
                return None
        elif self._cache_size > 0:
            # the generic path below, with the schema's encoder and prefix cached by the
            # schema object's identity (each entry holds its schema, so the id cannot be
            # reused while cached): no hashing or comparing of schemas per record
            entry = self._encoders.get(id(schema))
            if entry is None or entry[0] is not schema or entry[3] is not self.options:
                entry = self._compile(schema)
            tree = entry[2](value)
            try:
                payload = orjson.dumps(tree, default=json_default, option=_DUMP_OPTS)
            except TypeError:
                payload = self._dumps(tree)
            if not self.schemas_enabled:
                return payload
            prefix = entry[1]
            if prefix is not None:
                return prefix + payload + b"}"
            # the schema cannot be written as JSON: _schema_bytes raises the generic error
            return b'{"schema":' + self._schema_bytes(schema) + b',"payload":' + payload + b"}"
        payload = self._dumps(value_to_json(schema, value, self.options))
        if not self.schemas_enabled:
            return payload
        return b'{"schema":' + self._schema_bytes(schema) + b',"payload":' + payload + b"}"

    def from_connect_batch(
        self, topic: str, schema: Schema | None, values: Sequence[Any]
    ) -> list[bytes | None]:
        """The bytes of :meth:`from_connect_data` for each value, with one schema lookup.

        Anything unusual (no schema, no cache, a value orjson cannot write directly, a
        schema that cannot be written) takes the one-value method, which gives the same
        bytes or the same error.
        """
        if schema is None or self._cache_size <= 0:
            return super().from_connect_batch(topic, schema, values)
        entry = self._entry(schema)
        prefix, codec = entry[1], entry[2]
        if self.schemas_enabled and prefix is None:
            return super().from_connect_batch(topic, schema, values)
        as_is = decoded_as_is(schema)  # str, bool, float: the value is its own JSON tree
        envelope = None if prefix is None else prefix.replace(b"%", b"%%") + b"%b}"
        payloads: Any
        try:
            columns = struct_columns_of(values, schema)
            if columns is not None:
                payloads = encode_columns(columns, self._codec_for)
            elif values and set(map(type, values)) == {as_is}:
                payloads = map(orjson.dumps, values)  # options change none of these
            else:
                dumps, opts = orjson.dumps, _DUMP_OPTS
                payloads = [dumps(codec(v), default=json_default, option=opts) for v in values]
            if not self.schemas_enabled:
                return list(payloads)
            assert envelope is not None
            return list(map(envelope.__mod__, payloads))  # <prefix><payload>} in one C call
        except TypeError:  # non-string map keys: written as pairs by the one-value method
            return super().from_connect_batch(topic, schema, values)

    def _entry(self, schema: Schema) -> tuple[Schema, bytes | None, Codec, JsonOptions]:
        """The cached (schema, envelope prefix, encoder, options) of ``schema``."""
        entry = self._encoders.get(id(schema))
        if entry is None or entry[0] is not schema or entry[3] is not self.options:
            entry = self._compile(schema)
        return entry

    def _codec_for(self, schema: Schema) -> Codec:
        """The compiled encoder of a field's schema (for StructColumns, see json_columns)."""
        return self._entry(schema)[2]

    def _compile(self, schema: Schema) -> tuple[Schema, bytes | None, Codec, JsonOptions]:
        prefix: bytes | None = None
        if self.schemas_enabled:
            try:
                prefix = b'{"schema":' + self._schema_bytes(schema) + b',"payload":'
            except Exception:  # raised again, in order, by the generic path below
                prefix = None
        entry = (schema, prefix, compile_encoder(schema, self.options), self.options)
        if len(self._encoders) >= self._cache_size:
            del self._encoders[next(iter(self._encoders))]
        self._encoders[id(schema)] = entry
        return entry

    def _schema_bytes(self, schema: Schema | None) -> bytes:
        if schema is None:
            return b"null"
        cached: bytes | None = self._to_json_cache.get(schema)
        if cached is None:
            cached = self._to_json_cache.put(
                schema, self._dumps(schema_to_json(schema, self.options))
            )
        return cached

    @staticmethod
    def _dumps(tree: Any) -> bytes:
        try:
            return orjson.dumps(tree, default=json_default, option=_DUMP_OPTS)
        except TypeError:
            pass  # a map with non-string keys (rare): Kafka writes it as [key, value] pairs
        try:
            return orjson.dumps(pairs_for_non_string_keys(tree), default=json_default,
                                option=_DUMP_OPTS)  # fmt: skip
        except TypeError as exc:
            msg = f"Cannot write the value as JSON: {exc}."
            raise DataError(msg) from exc

    def to_connect_data(
        self, topic: str, data: bytes | None, headers: Headers | None = None
    ) -> SchemaAndValue:
        if data is None:
            return SchemaAndValue.NULL
        envelope = self._envelope
        if (
            envelope is not None
            and self.schemas_enabled
            and type(data) is bytes
            and data.startswith(envelope[0])
            and data.endswith(b"}")
        ):
            # <prefix><payload>}: when the payload part is one valid JSON value, the whole
            # message is exactly {"schema": <that schema>, "payload": <payload>}; when it
            # is not, the full parse below reports the problem as it always did
            try:
                node = orjson.loads(data[envelope[1] : -1])
            except orjson.JSONDecodeError:
                pass
            else:
                if type(node) is envelope[3]:
                    return SchemaAndValue(envelope[2], node)
                return SchemaAndValue(envelope[2], envelope[4](node))
        try:
            tree = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            msg = f"Converting byte[] to Kafka Connect data failed: {exc}"
            raise DataError(msg) from exc
        if not self.schemas_enabled:
            return SchemaAndValue(None, tree)
        if not isinstance(tree, dict) or len(tree) != 2 or not {"schema", "payload"} <= tree.keys():
            raise DataError(_ENVELOPE_ERROR)
        key = orjson.dumps(tree["schema"])
        schema = self._schema_from(tree["schema"], key)
        found = SchemaAndValue(schema, value_from_json(schema, tree["payload"]))
        self._remember_envelope(data, key, schema)
        return found

    def to_connect_batch(
        self, topic: str, data: Sequence[bytes | None]
    ) -> tuple[list[Schema | None], list[Any]]:
        """:meth:`to_connect_data` for many messages, parsing only each one's payload.

        The fast path needs every message to be ``<the remembered envelope prefix><one JSON
        value>}`` (what this converter writes); a batch with anything else goes through the
        one-message method, which gives the same results or the same error.
        """
        envelope = self._envelope
        if not self.schemas_enabled:
            try:
                trees = list(map(_LOADS, data))
            except (TypeError, orjson.JSONDecodeError):  # a null, or bad JSON: one by one
                return super().to_connect_batch(topic, data)
            return [None] * len(trees), trees
        if envelope is None:
            return super().to_connect_batch(topic, data)
        prefix, start, schema, as_is, decoder = envelope
        count = len(data)
        try:  # every loop below runs in C: no Python frame per message
            # each message's first len(prefix) bytes, joined, are the prefix count times
            # over only if every message starts with it (none can be shorter)
            heads: Any = itemgetter(slice(0, start))
            if b"".join(map(heads, data)) != prefix * count:
                return super().to_connect_batch(topic, data)
            if bytes(map(_LAST, data)) != b"}" * count:
                return super().to_connect_batch(topic, data)
            payload: Any = itemgetter(slice(start, -1))  # bytes[start:-1]
            nodes = list(map(_LOADS, map(payload, data)))
            values = nodes if set(map(type, nodes)) == {as_is} else list(map(decoder, nodes))
        except (TypeError, IndexError, orjson.JSONDecodeError, DataError):  # None, b""
            return super().to_connect_batch(topic, data)
        return [schema] * len(values), values

    def _remember_envelope(self, data: Any, key: bytes, schema: Schema | None) -> None:
        """Keep the schema part of a message written the canonical (compact) way.

        Only a prefix the message really starts with is kept, so later messages that share
        it byte for byte are known to carry this very schema.
        """
        if self._cache_size <= 0 or type(data) is not bytes:
            return
        prefix = b'{"schema":' + key + b',"payload":'
        if data.startswith(prefix):
            as_is = decoded_as_is(schema)
            self._envelope = (prefix, len(prefix), schema, as_is, compile_decoder(schema))

    def _schema_from(self, node: Any, key: bytes | None = None) -> Schema | None:
        if node is None:
            return None
        if key is None:
            key = orjson.dumps(node)
        schema = self._from_json_cache.get(key)
        if schema is None:
            schema = self._from_json_cache.put(key, schema_from_json(node))
        return schema  # type: ignore[no-any-return]

    def as_json_schema(self, schema: Schema) -> dict[str, Any]:
        """The ``schema`` half of an envelope for ``schema`` (Kafka's ``asJsonSchema``)."""
        return schema_to_json(schema, self.options)

    def as_connect_schema(self, node: Mapping[str, Any]) -> Schema | None:
        """Parse the ``schema`` half of an envelope (Kafka's ``asConnectSchema``)."""
        return schema_from_json(node)
