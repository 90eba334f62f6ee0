"""Typed configuration of the Redis sink: the Redis Kafka sink's keys, plus cdchub's.

Keys shared with ``com.redis.kafka.connect.RedisSinkConnector`` (``redis.uri``,
``redis.cluster``, ``redis.type``, ``redis.keyspace``, ``redis.separator``,
``redis.multiexec``, ``redis.username``/``redis.password``, ``redis.tls``/``redis.insecure``)
mean the same here, so its configs work unchanged. Secrets are PASSWORD-typed and never
shown. :class:`RedisSinkSettings` is the parsed, typed view the task works with.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from connectors.api import (
    ConfigDef,
    ConfigError,
    ConfigType,
    Importance,
    NonEmptyString,
    Password,
    Range,
    ValidString,
)
from connectors.sinks._cdc import NULL_BEHAVIORS, TOAST_PLACEHOLDER

TYPES = ("HASH", "STRING", "STREAM")
VALUE_FORMATS = ("json", "raw")
_CONN, _DATA, _WRITE, _RETRY = "Connection", "Data", "Writes", "Retries"

CONFIG_DEF = (
    ConfigDef()
    .define("redis.uri", ConfigType.STRING, "redis://localhost:6379", NonEmptyString(),
            Importance.HIGH, "Redis URI: redis://[user:password@]host:port[/db], rediss:// for "
            "TLS. With redis.cluster=true, any node of the cluster (several: comma-separated).",
            group=_CONN, order=1)
    .define("redis.cluster", ConfigType.BOOLEAN, False, None, Importance.MEDIUM,
            "Connect to a Redis Cluster (keys are routed to their hash slot's master).",
            group=_CONN, order=2)
    .define("redis.username", ConfigType.STRING, None, None, Importance.MEDIUM,
            "ACL user name (overrides the URI's).", group=_CONN, order=3)
    .define("redis.password", ConfigType.PASSWORD, None, None, Importance.MEDIUM,
            "Password of the ACL user, or the requirepass password (overrides the URI's).",
            group=_CONN, order=4)
    .define("redis.tls", ConfigType.BOOLEAN, False, None, Importance.MEDIUM,
            "Use TLS (same as a rediss:// URI).", group=_CONN, order=5)
    .define("redis.insecure", ConfigType.BOOLEAN, False, None, Importance.LOW,
            "With TLS, do not verify the server certificate (tests only).", group=_CONN,
            order=6)
    .define("redis.tls.ca.file", ConfigType.STRING, None, None, Importance.LOW,
            "PEM file of the CA that signed the server certificate (default: system CAs).",
            group=_CONN, order=7)
    .define("redis.tls.cert.file", ConfigType.STRING, None, None, Importance.LOW,
            "PEM client certificate, for servers that require mutual TLS.", group=_CONN,
            order=8)
    .define("redis.tls.key.file", ConfigType.STRING, None, None, Importance.LOW,
            "PEM private key of redis.tls.cert.file.", group=_CONN, order=9)
    .define("redis.command.timeout.ms", ConfigType.LONG, 10_000, Range.at_least(100),
            Importance.LOW, "Socket timeout of one round trip (a whole pipeline).",
            group=_CONN, order=10)
    .define("redis.type", ConfigType.STRING, "STREAM", ValidString.case_insensitive(*TYPES),
            Importance.HIGH, "Data shape: HASH (one field per column), STRING (the row as JSON, "
            "or the raw value) or STREAM (XADD of each change to one stream).",
            group=_DATA, order=1)
    .define("redis.keyspace", ConfigType.STRING, "${topic}", None, Importance.MEDIUM,
            "Key prefix; ${topic} is the record's topic. Key = keyspace + separator + record "
            "key. For STREAM, the stream's key. Empty: the record key alone.",
            group=_DATA, order=2)
    .define("redis.separator", ConfigType.STRING, ":", None, Importance.LOW,
            "Between the keyspace and the record key, and between the parts of a compound "
            "key.", group=_DATA, order=3)
    .define("redis.key.template", ConfigType.STRING, "", None, Importance.MEDIUM,
            "Build keys from a template instead, e.g. orders:{id}; {name} is a key field, "
            "else a row field; {topic} the topic.", group=_DATA, order=4)
    .define("redis.value.format", ConfigType.STRING, "json", ValidString.in_(*VALUE_FORMATS),
            Importance.LOW, "STRING type: json writes rows as JSON objects; raw writes the "
            "value's string/bytes unchanged.", group=_DATA, order=5)
    .define("redis.key.ttl", ConfigType.LONG, 0, Range.at_least(0), Importance.MEDIUM,
            "Seconds each written key lives (EXPIRE); 0 keeps keys forever.", group=_DATA,
            order=6)
    .define("redis.stream.maxlen", ConfigType.LONG, 0, Range.at_least(0), Importance.LOW,
            "STREAM type: cap streams at about this many entries (XADD MAXLEN ~); 0: no cap.",
            group=_DATA, order=7)
    .define("redis.cache.invalidate", ConfigType.BOOLEAN, False, None, Importance.MEDIUM,
            "Cache-invalidation mode: delete the key on every change instead of writing it; "
            "the application reloads it from the database on its next miss.",
            group=_DATA, order=8)
    .define("behavior.on.null.values", ConfigType.STRING, "delete",
            ValidString.case_insensitive(*NULL_BEHAVIORS), Importance.MEDIUM,
            "What a tombstone (null value) does: delete the key, ignore it, or fail the task.",
            group=_DATA, order=9)
    .define("unavailable.value.placeholder", ConfigType.STRING, TOAST_PLACEHOLDER, None,
            Importance.LOW, "Debezium's marker for an unchanged TOAST column; such columns "
            "are left as stored, never written.", group=_DATA, order=10)
    .define("redis.transactional", ConfigType.BOOLEAN, False, None, Importance.MEDIUM,
            "Wrap each batch's pipeline in MULTI/EXEC, so readers see all of a batch or none "
            "of it (standalone Redis only).", group=_WRITE, order=1)
    .define("redis.multiexec", ConfigType.BOOLEAN, False, None, Importance.LOW,
            "The Redis Kafka sink's name for redis.transactional.", group=_WRITE, order=2)
    .define("redis.retry.timeout.ms", ConfigType.LONG, 120_000, Range.at_least(0),
            Importance.MEDIUM, "How long one batch is retried after connection loss or "
            "READONLY/LOADING/CLUSTERDOWN/TRYAGAIN before the task gives up.", group=_RETRY,
            order=1)
    .define("redis.retry.backoff.ms", ConfigType.LONG, 100, Range.at_least(1), Importance.LOW,
            "First wait between retries; doubles each time, with jitter.", group=_RETRY,
            order=2)
    .define("redis.retry.backoff.max.ms", ConfigType.LONG, 5_000, Range.at_least(1),
            Importance.LOW, "Longest wait between two retries.", group=_RETRY, order=3)
)  # fmt: skip

#: What the sink can do, as data (shown in docs and checked by the conformance suite).
CAPABILITIES: dict[str, Any] = {
    "types": TYPES,
    "deletes": True,
    "toast_placeholders": "left as stored",
    "ordering": "log order per key (one ordered pipeline per batch)",
    "transactions": "MULTI/EXEC per batch (standalone)",
    "cluster": True,
    "tls": True,
    "dead_letter": "WRONGTYPE and unconvertible records",
}


@dataclass(frozen=True)
class RedisSinkSettings:
    """The parsed configuration, typed (see :data:`CONFIG_DEF` for each key's meaning)."""

    uri: str
    cluster: bool
    username: str | None
    password: str | None
    tls: bool
    insecure: bool
    ca_file: str | None
    cert_file: str | None
    key_file: str | None
    timeout_s: float
    type: str
    keyspace: str
    separator: str
    key_template: str
    value_format: str
    ttl_s: int
    stream_maxlen: int
    invalidate: bool
    on_null: str
    placeholder: str
    transactional: bool
    retry_timeout_s: float
    backoff_s: float
    backoff_max_s: float

    @classmethod
    def parse(cls, props: Mapping[str, Any]) -> RedisSinkSettings:
        """Parse and cross-check; ConfigError lists every problem."""
        c = CONFIG_DEF.parse(props)
        password: Password | None = c["redis.password"]
        settings = cls(
            c["redis.uri"], c["redis.cluster"], c["redis.username"],
            password.value if password is not None else None, c["redis.tls"],
            c["redis.insecure"], c["redis.tls.ca.file"], c["redis.tls.cert.file"],
            c["redis.tls.key.file"], c["redis.command.timeout.ms"] / 1000,
            c["redis.type"].upper(), c["redis.keyspace"], c["redis.separator"],
            c["redis.key.template"], c["redis.value.format"], c["redis.key.ttl"],
            c["redis.stream.maxlen"], c["redis.cache.invalidate"],
            c["behavior.on.null.values"].lower(), c["unavailable.value.placeholder"],
            c["redis.transactional"] or c["redis.multiexec"],
            c["redis.retry.timeout.ms"] / 1000, c["redis.retry.backoff.ms"] / 1000,
            c["redis.retry.backoff.max.ms"] / 1000,
        )  # fmt: skip
        settings.check()
        return settings

    def check(self) -> None:
        """Cross-key rules a per-key validator cannot see."""
        errors: dict[str, list[str]] = {}
        if self.cluster and self.transactional:
            errors["redis.transactional"] = [
                "MULTI/EXEC cannot span the hash slots of a Redis Cluster; set "
                "redis.transactional=false with redis.cluster=true"
            ]
        if self.invalidate and self.type == "STREAM":
            errors["redis.cache.invalidate"] = [
                "cache invalidation deletes keys; it needs redis.type=HASH or STRING"
            ]
        if errors:
            raise ConfigError.from_errors(errors, "Redis sink configuration")
