"""Topic configuration: Kafka's names, types, defaults and validation, declared as one table.

A topic stores only its overrides; the effective configuration is the table's
defaults, then the log-wide defaults given to :class:`~hub.core_log.log.Log`,
then the topic's overrides.  Every value is validated by name and type so a typo
fails at ``create_topic`` instead of silently doing nothing.

cdchub departs from Kafka's defaults in one place: ``flush.ms`` defaults to
1000, so a background flusher fsyncs every second (Kafka leaves it to the OS).
``fsync.on.append`` is cdchub's own key: fsync before acknowledging an append.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from hub.core_log.errors import InvalidConfigurationError, InvalidTopicError

LONG_MAX = 9223372036854775807
INT_MAX = 2147483647
MAX_TOPIC_NAME_LENGTH = 249
_LEGAL_TOPIC = re.compile(r"^[a-zA-Z0-9._-]+$")


@dataclass(frozen=True, slots=True)
class ConfigKey:
    """One topic config: its type, default and allowed range or values."""

    name: str
    type: str  # "long" | "int" | "double" | "boolean" | "enum" | "list"
    default: str
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    doc: str = ""


def _long(name: str, default: int, minimum: int, doc: str, maximum: int = LONG_MAX) -> ConfigKey:
    return ConfigKey(name, "long", str(default), minimum, maximum, doc=doc)


def _int(name: str, default: int, minimum: int, doc: str) -> ConfigKey:
    return ConfigKey(name, "int", str(default), minimum, INT_MAX, doc=doc)


TOPIC_CONFIGS: dict[str, ConfigKey] = {
    key.name: key
    for key in (
        ConfigKey(
            "cleanup.policy",
            "list",
            "delete",
            choices=("delete", "compact"),
            doc="delete old segments by retention, compact by key, or both",
        ),
        ConfigKey(
            "compression.type",
            "enum",
            "producer",
            choices=("producer", "none", "gzip", "snappy", "lz4", "zstd"),
            doc="codec of batches built by the log; 'producer' keeps the producer's",
        ),
        _long("retention.ms", 604800000, -1, "age after which old segments go; -1 = forever"),
        _long("retention.bytes", -1, -1, "partition size above which old segments go; -1 = none"),
        _int("segment.bytes", 1073741824, 14, "size at which the active segment rolls"),
        _long("segment.ms", 604800000, 1, "age at which the active segment rolls"),
        _int("segment.index.bytes", 10485760, 8, "maximum size of one offset index"),
        _int("index.interval.bytes", 4096, 0, "bytes of log between two index entries"),
        _long("flush.messages", LONG_MAX, 1, "fsync after this many unflushed records"),
        _long("flush.ms", 1000, 0, "fsync data older than this (background flusher)"),
        _int("max.message.bytes", 1048588, 0, "largest batch accepted"),
        _long("delete.retention.ms", 86400000, 0, "how long tombstones survive compaction"),
        _long("min.compaction.lag.ms", 0, 0, "records younger than this are not compacted"),
        ConfigKey(
            "min.cleanable.dirty.ratio",
            "double",
            "0.5",
            0.0,
            1.0,
            doc="share of uncompacted bytes that triggers compaction",
        ),
        ConfigKey(
            "message.timestamp.type",
            "enum",
            "CreateTime",
            choices=("CreateTime", "LogAppendTime"),
            doc="keep the producer's timestamps or stamp the append time",
        ),
        _long("file.delete.delay.ms", 60000, 0, "grace period before deleted files are closed"),
        ConfigKey(
            "fsync.on.append",
            "boolean",
            "false",
            choices=("true", "false"),
            doc="fsync before acknowledging each append (cdchub)",
        ),
    )
}


def _fail(key: ConfigKey, value: str, expected: str) -> InvalidConfigurationError:
    return InvalidConfigurationError(
        f"Invalid value {value!r} for topic config {key.name!r}: expected {expected}."
    )


def _check_number(key: ConfigKey, value: str, parse: Callable[[str], float]) -> str:
    kind = "an integer" if key.type in ("int", "long") else "a number"
    bounds = f"{kind} between {key.minimum:g} and {key.maximum:g}"
    try:
        number = parse(value.strip())
    except ValueError:
        raise _fail(key, value, bounds) from None
    lo = key.minimum if key.minimum is not None else float("-inf")
    hi = key.maximum if key.maximum is not None else float("inf")
    if not lo <= number <= hi:
        raise _fail(key, value, bounds)
    return str(number)


def _check_choices(key: ConfigKey, value: str) -> str:
    if key.type == "list":
        parts = [p.strip() for p in value.split(",") if p.strip()]
        if not parts or any(p not in key.choices for p in parts):
            allowed = ", ".join(key.choices)
            raise _fail(key, value, f"a comma-separated list of: {allowed}")
        return ",".join(c for c in key.choices if c in parts)
    normalized = value.strip().lower() if key.type == "boolean" else value.strip()
    if normalized not in key.choices:
        raise _fail(key, value, "one of " + ", ".join(key.choices))
    return normalized


def check_config_name(name: str) -> ConfigKey:
    """The table row for ``name``; InvalidConfigurationError listing the known keys if none."""
    key = TOPIC_CONFIGS.get(name)
    if key is None:
        known = ", ".join(sorted(TOPIC_CONFIGS))
        msg = f"Unknown topic config {name!r}. Known topic configs: {known}."
        raise InvalidConfigurationError(msg)
    return key


def validate_config(name: str, value: object) -> str:
    """Return ``value`` normalized to its canonical string, or raise InvalidConfigurationError."""
    key = check_config_name(name)
    text = str(value).lower() if isinstance(value, bool) else str(value)
    if key.type in ("int", "long"):
        return _check_number(key, text, int)
    if key.type == "double":
        return _check_number(key, text, float)
    return _check_choices(key, text)


def validate_configs(configs: Mapping[str, object] | None) -> dict[str, str]:
    """Validate a mapping of overrides; every key and value is checked."""
    return {name: validate_config(name, value) for name, value in (configs or {}).items()}


def effective_configs(
    overrides: Mapping[str, str], defaults: Mapping[str, str] | None = None
) -> dict[str, str]:
    """All keys with their effective values: table defaults < log defaults < topic overrides."""
    result = {name: key.default for name, key in TOPIC_CONFIGS.items()}
    result.update(defaults or {})
    result.update(overrides)
    return result


def validate_topic_name(name: str) -> None:
    """Apply Kafka's topic-name rules so every topic can also live on a real cluster."""
    if not isinstance(name, str) or not name:
        msg = "Topic name must be a non-empty string."
        raise InvalidTopicError(msg)
    if name in (".", ".."):
        msg = f"Topic name {name!r} is not allowed; pick a name other than '.' or '..'."
        raise InvalidTopicError(msg)
    if len(name) > MAX_TOPIC_NAME_LENGTH:
        msg = f"Topic name is {len(name)} characters long; the maximum is {MAX_TOPIC_NAME_LENGTH}."
        raise InvalidTopicError(msg)
    if not _LEGAL_TOPIC.match(name):
        msg = (
            f"Topic name {name!r} contains illegal characters; "
            "use only ASCII letters, digits, '.', '_' and '-'."
        )
        raise InvalidTopicError(msg)


@dataclass(frozen=True, slots=True)
class TopicConfig:
    """The effective configuration parsed into typed fields the hot paths read."""

    cleanup_delete: bool
    cleanup_compact: bool
    compression: str
    retention_ms: int
    retention_bytes: int
    segment_bytes: int
    segment_ms: int
    index_interval_bytes: int
    segment_index_bytes: int
    flush_messages: int
    flush_ms: int
    max_message_bytes: int
    delete_retention_ms: int
    min_compaction_lag_ms: int
    min_cleanable_dirty_ratio: float
    log_append_time: bool
    file_delete_delay_ms: int
    fsync_on_append: bool

    @classmethod
    def parse(cls, effective: Mapping[str, str]) -> TopicConfig:
        """Build from an effective mapping (see :func:`effective_configs`)."""
        policy = set(effective["cleanup.policy"].split(","))

        def num(name: str) -> int:
            return int(effective[name])

        return cls(
            cleanup_delete="delete" in policy,
            cleanup_compact="compact" in policy,
            compression=effective["compression.type"],
            retention_ms=num("retention.ms"),
            retention_bytes=num("retention.bytes"),
            segment_bytes=num("segment.bytes"),
            segment_ms=num("segment.ms"),
            index_interval_bytes=num("index.interval.bytes"),
            segment_index_bytes=num("segment.index.bytes"),
            flush_messages=num("flush.messages"),
            flush_ms=num("flush.ms"),
            max_message_bytes=num("max.message.bytes"),
            delete_retention_ms=num("delete.retention.ms"),
            min_compaction_lag_ms=num("min.compaction.lag.ms"),
            min_cleanable_dirty_ratio=float(effective["min.cleanable.dirty.ratio"]),
            log_append_time=effective["message.timestamp.type"] == "LogAppendTime",
            file_delete_delay_ms=num("file.delete.delay.ms"),
            fsync_on_append=effective["fsync.on.append"] == "true",
        )


def describe_keys(names: Iterable[str] | None = None) -> list[ConfigKey]:
    """The table rows for ``names`` (all by default), for CLI and docs."""
    return [TOPIC_CONFIGS[n] for n in (names or sorted(TOPIC_CONFIGS))]
