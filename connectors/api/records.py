"""The records connectors produce and consume: ConnectRecord, SourceRecord and SinkRecord.

A record is treated as immutable by convention: transforms derive a changed copy with
:meth:`ConnectRecord.new_record` (which also copies the headers) rather than mutating it, so
the runtime can still report the original record (e.g. to a dead letter queue) when a later
stage fails.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any, ClassVar, NamedTuple, TypeVar

from connectors.api.data import Schema
from connectors.api.headers import Headers

R = TypeVar("R", bound="ConnectRecord")


class _Keep:
    """Marker for "leave this attribute as it is" in :meth:`ConnectRecord.new_record`."""

    def __repr__(self) -> str:
        return "KEEP"


KEEP: Any = _Keep()


class TimestampType(IntEnum):
    """How a record's timestamp was set; numbers match Kafka's record batch attribute."""

    NO_TIMESTAMP_TYPE = -1
    CREATE_TIME = 0
    LOG_APPEND_TIME = 1


class TopicPartition(NamedTuple):
    """A partition of a topic; sink offsets and open/close use it as the key."""

    topic: str
    partition: int


@dataclass(frozen=True, slots=True)
class RecordMetadata:
    """Where the runtime wrote a source record (given to ``SourceTask.commit_record``)."""

    topic: str
    partition: int
    offset: int
    timestamp: int | None = None


class ConnectRecord:
    """Fields shared by source and sink records (Kafka's ``ConnectRecord``).

    Attributes:
        topic: destination (source) or origin (sink) topic. kafka_partition: partition or
        None to let the key decide. key_schema/key, value_schema/value: Connect data (schema
        None = schemaless). timestamp: ms since epoch or None. headers: :class:`Headers`.
    """

    __slots__ = ("headers", "kafka_partition", "key", "key_schema", "timestamp", "topic", "value",
                 "value_schema")  # fmt: skip

    _FIELDS: ClassVar[tuple[str, ...]] = (
        "topic", "kafka_partition", "key_schema", "key", "value_schema", "value", "timestamp",
        "headers",
    )  # fmt: skip

    def __init__(
        self,
        topic: str,
        kafka_partition: int | None = None,
        key_schema: Schema | None = None,
        key: Any = None,
        value_schema: Schema | None = None,
        value: Any = None,
        *,
        timestamp: int | None = None,
        headers: Headers | None = None,
    ) -> None:
        self.topic = topic
        self.kafka_partition = kafka_partition
        self.key_schema = key_schema
        self.key = key
        self.value_schema = value_schema
        self.value = value
        self.timestamp = timestamp
        self.headers = Headers() if headers is None else headers

    def new_record(
        self: R,
        *,
        topic: str = KEEP,
        kafka_partition: int | None = KEEP,
        key_schema: Schema | None = KEEP,
        key: Any = KEEP,
        value_schema: Schema | None = KEEP,
        value: Any = KEEP,
        timestamp: int | None = KEEP,
        headers: Headers | None = KEEP,
    ) -> R:
        """A copy of this record with the given attributes changed (same class, same extras).

        Headers are duplicated unless new ones are given, so changing the copy's headers
        never touches this record's.
        """
        copy = object.__new__(type(self))
        for name in self._FIELDS:
            object.__setattr__(copy, name, getattr(self, name))
        changes = {"topic": topic, "kafka_partition": kafka_partition, "key_schema": key_schema,
                   "key": key, "value_schema": value_schema, "value": value,
                   "timestamp": timestamp}  # fmt: skip
        for name, val in changes.items():
            if val is not KEEP:
                object.__setattr__(copy, name, val)
        copy.headers = self.headers.duplicate() if headers is KEEP else (headers or Headers())
        return copy

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(getattr(self, n) == getattr(other, n) for n in self._FIELDS)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        inner = ", ".join(f"{n}={getattr(self, n)!r}" for n in self._FIELDS if n != "headers")
        return f"{type(self).__name__}({inner}, headers={list(self.headers)!r})"


class SourceRecord(ConnectRecord):
    """A record from a source task, with the position it came from.

    ``source_partition`` names the stream (e.g. ``{"filename": "/var/log/a.log"}``) and
    ``source_offset`` is the whole position in it (e.g. ``{"position": 1024}``); both must be
    JSON-serialisable. The runtime persists the offset only after the record is durable, and
    gives it back through ``OffsetStorageReader`` after a restart.
    """

    __slots__ = ("source_offset", "source_partition")
    _FIELDS = (*ConnectRecord._FIELDS, "source_partition", "source_offset")

    def __init__(
        self,
        topic: str,
        kafka_partition: int | None = None,
        key_schema: Schema | None = None,
        key: Any = None,
        value_schema: Schema | None = None,
        value: Any = None,
        *,
        timestamp: int | None = None,
        headers: Headers | None = None,
        source_partition: dict[str, Any] | None = None,
        source_offset: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(topic, kafka_partition, key_schema, key, value_schema, value,
                         timestamp=timestamp, headers=headers)  # fmt: skip
        self.source_partition: dict[str, Any] = source_partition or {}
        self.source_offset: dict[str, Any] = source_offset or {}


class SinkRecord(ConnectRecord):
    """A record read from the log for a sink task.

    ``kafka_offset`` is the record's offset in ``topic``/``kafka_partition``. Transforms may
    rewrite topic and partition; ``original_topic``/``original_kafka_partition``/
    ``original_kafka_offset`` keep where the record was really read (KIP-793), which is what
    offsets in ``flush``/``pre_commit`` refer to.
    """

    __slots__ = ("kafka_offset", "original_kafka_offset", "original_kafka_partition",
                 "original_topic", "timestamp_type")  # fmt: skip
    _FIELDS = (*ConnectRecord._FIELDS, "kafka_offset", "timestamp_type", "original_topic",
               "original_kafka_partition", "original_kafka_offset")  # fmt: skip

    def __init__(
        self,
        topic: str,
        kafka_partition: int | None = None,
        key_schema: Schema | None = None,
        key: Any = None,
        value_schema: Schema | None = None,
        value: Any = None,
        *,
        kafka_offset: int,
        timestamp: int | None = None,
        timestamp_type: TimestampType = TimestampType.NO_TIMESTAMP_TYPE,
        headers: Headers | None = None,
        original_topic: str | None = None,
        original_kafka_partition: int | None = None,
        original_kafka_offset: int | None = None,
    ) -> None:
        super().__init__(topic, kafka_partition, key_schema, key, value_schema, value,
                         timestamp=timestamp, headers=headers)  # fmt: skip
        self.kafka_offset = kafka_offset
        self.timestamp_type = timestamp_type
        self.original_topic = topic if original_topic is None else original_topic
        self.original_kafka_partition = (
            kafka_partition if original_kafka_partition is None else original_kafka_partition
        )
        self.original_kafka_offset = (
            kafka_offset if original_kafka_offset is None else original_kafka_offset
        )

    @property
    def original_topic_partition(self) -> TopicPartition:
        """Where the record was read, whatever transforms did to topic/partition."""
        return TopicPartition(self.original_topic, self.original_kafka_partition or 0)
