"""Typed configuration of the Elasticsearch sink: Confluent's keys, plus cdchub's.

Keys of ``io.confluent.connect.elasticsearch.ElasticsearchSinkConnector`` (``connection.url``,
``connection.username``/``password``, ``key.ignore``, ``schema.ignore``,
``topic.key.ignore``, ``topic.schema.ignore``, ``behavior.on.null.values``,
``behavior.on.malformed.documents``, ``write.method``, ``batch.size``, ``bulk.size.bytes``,
``max.retries``, ``retry.backoff.ms``, ``read.timeout.ms``,
``connection.compression``, ``drop.invalid.message``, ``external.version.header``,
``data.stream.*``) mean the same here. cdchub adds API-key/bearer auth, CA/verify TLS
options, index settings/mappings for created indexes, ``index.name.format`` and
``external.version.field`` (a version from the change event, e.g. ``source.lsn``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from connectors.api import (
    NO_DEFAULT,
    ConfigDef,
    ConfigError,
    ConfigType,
    Importance,
    Password,
    Range,
)
from connectors.api import ValidString as VS
from connectors.sinks._cdc import NULL_BEHAVIORS, TOAST_PLACEHOLDER

_CONN, _DATA, _WRITE, _INDEX = "Connector", "Data Conversion", "Writes", "Index management"
_SEC = "Security"

CONFIG_DEF = (
    ConfigDef()
    .define("connection.url", ConfigType.LIST, NO_DEFAULT, None, Importance.HIGH,
            "Elasticsearch URLs, e.g. http://es1:9200,http://es2:9200 (https:// for TLS).",
            group=_CONN, order=1)
    .define("connection.username", ConfigType.STRING, None, None, Importance.MEDIUM,
            "User for basic authentication (with connection.password).", group=_CONN, order=2)
    .define("connection.password", ConfigType.PASSWORD, None, None, Importance.MEDIUM,
            "Password for basic authentication.", group=_CONN, order=3)
    .define("connection.api.key", ConfigType.PASSWORD, None, None, Importance.MEDIUM,
            "API key (the base64 'encoded' value Elasticsearch returns), sent as "
            "'Authorization: ApiKey ...'.", group=_CONN, order=4)
    .define("connection.bearer.token", ConfigType.PASSWORD, None, None, Importance.MEDIUM,
            "Bearer token (e.g. a service account token).", group=_CONN, order=5)
    .define("batch.size", ConfigType.INT, 2000, Range.between(1, 1_000_000), Importance.MEDIUM,
            "Records per bulk request.", group=_CONN, order=6)
    .define("bulk.size.bytes", ConfigType.LONG, 5 * 1024 * 1024, Range.at_least(-1),
            Importance.LOW, "Bytes per bulk request (-1: no limit).", group=_CONN, order=7)
    .define("max.retries", ConfigType.INT, 5, Range.at_least(0), Importance.LOW,
            "Retries of a bulk request (429, 5xx, connection failures) before the task fails.",
            group=_CONN, order=9)
    .define("retry.backoff.ms", ConfigType.LONG, 100, Range.at_least(0), Importance.LOW,
            "First wait before a retry; doubles each attempt, with jitter.", group=_CONN,
            order=10)
    .define("read.timeout.ms", ConfigType.INT, 3000, Range.at_least(0), Importance.LOW,
            "Timeout of one HTTP request.", group=_CONN, order=11)
    .define("connection.compression", ConfigType.BOOLEAN, False, None, Importance.LOW,
            "gzip request bodies.", group=_CONN, order=12)
    .define("key.ignore", ConfigType.BOOLEAN, False, None, Importance.HIGH,
            "Use topic+partition+offset as the document id instead of the record key (and no "
            "external versioning).", group=_DATA, order=1)
    .define("schema.ignore", ConfigType.BOOLEAN, False, None, Importance.LOW,
            "Do not derive mappings from the record's Connect schema when creating an index.",
            group=_DATA, order=2)
    .define("topic.key.ignore", ConfigType.LIST, "", None, Importance.LOW,
            "Topics for which key.ignore=true applies.", group=_DATA, order=3)
    .define("topic.schema.ignore", ConfigType.LIST, "", None, Importance.LOW,
            "Topics for which schema.ignore=true applies.", group=_DATA, order=4)
    .define("behavior.on.null.values", ConfigType.STRING, "fail",
            VS.case_insensitive(*NULL_BEHAVIORS), Importance.LOW,
            "What a tombstone (null value) does: delete the document, ignore it, or fail.",
            group=_DATA, order=5)
    .define("behavior.on.malformed.documents", ConfigType.STRING, "fail",
            VS.case_insensitive("ignore", "warn", "fail"), Importance.LOW,
            "Documents Elasticsearch refuses (mapping errors): ignore, warn (log), or fail - "
            "which sends them to the dead letter queue when one is configured.",
            group=_DATA, order=6)
    .define("drop.invalid.message", ConfigType.BOOLEAN, False, None, Importance.LOW,
            "Skip records that cannot become a document (e.g. null key) instead of failing.",
            group=_DATA, order=7)
    .define("unavailable.value.placeholder", ConfigType.STRING, TOAST_PLACEHOLDER, None,
            Importance.LOW, "Debezium's marker for an unchanged TOAST column; such fields "
            "are left as stored, never written.", group=_DATA, order=8)
    .define("write.method", ConfigType.STRING, "insert", VS.case_insensitive("insert", "upsert"),
            Importance.LOW, "insert: index whole documents (with external versioning); "
            "upsert: partial update of the fields present (doc_as_upsert).",
            group=_WRITE, order=1)
    .define("external.version.header", ConfigType.STRING, "", None, Importance.LOW,
            "Header whose (numeric) value is the document version instead of the offset.",
            group=_WRITE, order=2)
    .define("external.version.field", ConfigType.STRING, "", None, Importance.LOW,
            "Dotted path in the change event giving the version, e.g. source.lsn (PostgreSQL) "
            "- instead of the log offset.", group=_WRITE, order=3)
    .define("index.name.format", ConfigType.STRING, "${topic}", None, Importance.LOW,
            "Index name; ${topic} is the record's topic (after transforms). Lowercased.",
            group=_INDEX, order=1)
    .define("index.settings", ConfigType.STRING, "", None, Importance.LOW,
            "JSON settings for indexes the sink creates, e.g. {\"number_of_shards\": 1}.",
            group=_INDEX, order=2)
    .define("index.mappings", ConfigType.STRING, "", None, Importance.LOW,
            "JSON mappings for indexes the sink creates (overrides schema-derived ones).",
            group=_INDEX, order=3)
    .define("data.stream.type", ConfigType.STRING, "none",
            VS.case_insensitive("none", "logs", "metrics", "traces"), Importance.LOW,
            "Write to data streams <type>-<dataset>-<namespace> (append-only: create ops).",
            group=_INDEX, order=4)
    .define("data.stream.dataset", ConfigType.STRING, "", None, Importance.LOW,
            "Dataset part of the data stream name.", group=_INDEX, order=5)
    .define("data.stream.namespace", ConfigType.STRING, "${topic}", None, Importance.LOW,
            "Namespace part of the data stream name; ${topic} is the topic.", group=_INDEX,
            order=6)
    .define("data.stream.timestamp.field", ConfigType.LIST, "", None, Importance.LOW,
            "Fields to copy into @timestamp (first present wins); default: record timestamp.",
            group=_INDEX, order=7)
    .define("elastic.security.protocol", ConfigType.STRING, "PLAINTEXT",
            VS.case_insensitive("PLAINTEXT", "SSL"), Importance.MEDIUM,
            "SSL forces https:// for every URL.", group=_SEC, order=1)
    .define("elastic.https.ssl.ca.file", ConfigType.STRING, None, None, Importance.MEDIUM,
            "PEM file of the CA that signed the cluster's certificate.", group=_SEC, order=2)
    .define("elastic.https.ssl.verify", ConfigType.BOOLEAN, True, None, Importance.LOW,
            "Verify the cluster's certificate (turn off for tests only).", group=_SEC, order=3)
)  # fmt: skip

CAPABILITIES: dict[str, Any] = {
    "write_methods": ("insert", "upsert"),
    "deletes": True,
    "external_versioning": "log offset, a header, or a change-event field",
    "toast_placeholders": "left as stored (partial update)",
    "data_streams": True,
    "auth": ("basic", "api_key", "bearer"),
    "dead_letter": "mapping errors with the Elasticsearch reason",
}


@dataclass(frozen=True)
class EsSinkSettings:
    """The parsed configuration, typed (see :data:`CONFIG_DEF`)."""

    urls: list[str]
    username: str | None
    password: str | None
    api_key: str | None
    bearer: str | None
    batch_size: int
    bulk_bytes: int
    max_retries: int
    backoff_s: float
    timeout_s: float
    compression: bool
    key_ignore: bool
    schema_ignore: bool
    topic_key_ignore: frozenset[str]
    topic_schema_ignore: frozenset[str]
    on_null: str
    on_malformed: str
    drop_invalid: bool
    placeholder: str
    upsert: bool
    version_header: str
    version_field: str
    index_format: str
    index_body: dict[str, Any]
    stream_type: str
    stream_dataset: str
    stream_namespace: str
    stream_timestamp_fields: list[str]
    ca_file: str | None
    verify: bool

    @classmethod
    def parse(cls, props: Mapping[str, Any]) -> EsSinkSettings:
        """Parse and cross-check; ConfigError lists every problem."""
        c = CONFIG_DEF.parse(props)
        errors: dict[str, list[str]] = {}
        if not c["connection.url"]:
            errors["connection.url"] = ["give the cluster's URL, e.g. http://localhost:9200"]
        body = {k: _json(c, f"index.{k}", errors) for k in ("settings", "mappings")}
        stream = c["data.stream.type"].lower()
        if stream != "none" and not c["data.stream.dataset"]:
            errors["data.stream.dataset"] = ["data.stream.type needs data.stream.dataset"]
        if errors:
            raise ConfigError.from_errors(errors, "Elasticsearch sink configuration")
        ssl = c["elastic.security.protocol"].upper() == "SSL"
        urls = [_scheme(u.strip(), ssl) for u in c["connection.url"] if u.strip()]
        return cls(
            urls, c["connection.username"], _secret(c["connection.password"]),
            _secret(c["connection.api.key"]), _secret(c["connection.bearer.token"]),
            c["batch.size"], c["bulk.size.bytes"], c["max.retries"],
            c["retry.backoff.ms"] / 1000, c["read.timeout.ms"] / 1000,
            c["connection.compression"], c["key.ignore"], c["schema.ignore"],
            frozenset(c["topic.key.ignore"]), frozenset(c["topic.schema.ignore"]),
            c["behavior.on.null.values"].lower(), c["behavior.on.malformed.documents"].lower(),
            c["drop.invalid.message"], c["unavailable.value.placeholder"],
            c["write.method"].lower() == "upsert", c["external.version.header"],
            c["external.version.field"], c["index.name.format"],
            {k: v for k, v in body.items() if v}, stream, c["data.stream.dataset"],
            c["data.stream.namespace"], list(c["data.stream.timestamp.field"]),
            c["elastic.https.ssl.ca.file"], c["elastic.https.ssl.verify"],
        )  # fmt: skip


def _secret(value: Password | None) -> str | None:
    return value.value if value is not None and value.value else None


def _scheme(url: str, ssl: bool) -> str:
    if "://" not in url:
        url = "http://" + url
    return "https://" + url.split("://", 1)[1] if ssl else url


def _json(c: Mapping[str, Any], key: str, errors: dict[str, list[str]]) -> dict[str, Any]:
    text = c[key]
    if not text:
        return {}
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        errors[key] = [f"not valid JSON ({exc}); give a JSON object"]
        return {}
    if not isinstance(value, dict):
        errors[key] = ["must be a JSON object"]
        return {}
    return value
