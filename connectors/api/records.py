"""The records connectors produce and consume: ConnectRecord, SourceRecord and SinkRecord.

A record is treated as immutable by convention: transforms derive a changed copy with
:meth:`ConnectRecord.new_record` (which also copies the headers) rather than mutating it, so
the runtime can still report the original record (e.g. to a dead letter queue) when a later
stage fails.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import IntEnum
from typing import Any, ClassVar, NamedTuple, TypeVar

from connectors.api.data import Schema
from connectors.api.headers import Headers

R = TypeVar("R", bound="ConnectRecord")
S = TypeVar("S", bound="SourceRecord")


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


class RecordMetadata(NamedTuple):
    """Where the runtime wrote a source record (given to ``SourceTask.commit_record``).

    A NamedTuple, not a frozen dataclass: the runtime builds one per record for sources
    that acknowledge upstream per record, and the dataclass cost twice as much (~0.5 µs).
    """

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

    SourceRecord and SinkRecord assign these fields in their own ``__init__`` instead of
    calling ``super().__init__``: every record of every connector is built once, and the
    extra call cost about 150 ns (~45%) per construction when measured.
    """

    __slots__ = ("_headers", "kafka_partition", "key", "key_schema", "timestamp", "topic",
                 "value", "value_schema")  # fmt: skip

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
        self._headers = headers

    @property
    def headers(self) -> Headers:
        """The record's headers (created on first use: most records never carry any)."""
        if self._headers is None:
            self._headers = Headers()
        return self._headers

    @headers.setter
    def headers(self, headers: Headers) -> None:
        self._headers = headers

    def _copy_extras(self, copy: Any) -> None:
        """Subclasses copy their own attributes into a :meth:`new_record` copy."""

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
        never touches this record's. This is on every transform's path, hence the plain code.
        """
        copy = object.__new__(type(self))
        copy.topic = self.topic if topic is KEEP else topic
        copy.kafka_partition = self.kafka_partition if kafka_partition is KEEP else kafka_partition
        copy.key_schema = self.key_schema if key_schema is KEEP else key_schema
        copy.key = self.key if key is KEEP else key
        copy.value_schema = self.value_schema if value_schema is KEEP else value_schema
        copy.value = self.value if value is KEEP else value
        copy.timestamp = self.timestamp if timestamp is KEEP else timestamp
        if headers is KEEP:
            own = self._headers
            copy._headers = None if own is None else own.duplicate()
        else:
            copy._headers = headers
        self._copy_extras(copy)
        return copy

    def with_value(self: R, value_schema: Schema | None, value: Any) -> R:
        """``new_record(value_schema=..., value=...)``, without the keyword handling.

        Every value transform of a chain derives one copy per record; this is the same copy
        (headers duplicated, subclass extras kept) at about two thirds of the cost. A
        subclass that overrides :meth:`new_record` gets its own method called instead.
        """
        cls = type(self)
        if cls.new_record is not ConnectRecord.new_record:
            return self.new_record(value_schema=value_schema, value=value)
        copy = object.__new__(cls)
        copy.topic = self.topic
        copy.kafka_partition = self.kafka_partition
        copy.key_schema = self.key_schema
        copy.key = self.key
        copy.value_schema = value_schema
        copy.value = value
        copy.timestamp = self.timestamp
        own = self._headers
        copy._headers = None if own is None else own.duplicate()
        self._copy_extras(copy)
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
        self.topic = topic
        self.kafka_partition = kafka_partition
        self.key_schema = key_schema
        self.key = key
        self.value_schema = value_schema
        self.value = value
        self.timestamp = timestamp
        self._headers = headers
        self.source_partition: dict[str, Any] = {} if source_partition is None else source_partition
        self.source_offset: dict[str, Any] = {} if source_offset is None else source_offset

    @classmethod
    def for_values(
        cls: type[S],
        topic: str,
        value_schema: Schema | None,
        values: Iterable[Any],
        source_partition: dict[str, Any],
        source_offsets: Iterable[dict[str, Any]],
    ) -> list[S]:
        """One record per value (null key, no partition, timestamp or headers), in order.

        The same records as calling the constructor once per value, for sources that emit
        batches of plain values (lines of a file): the constructor's keyword handling costs
        about as much as everything else such a source does per record.
        """
        new = object.__new__
        out: list[S] = []
        append = out.append
        for value, offset in zip(values, source_offsets, strict=True):
            record = new(cls)
            record.topic = topic
            record.kafka_partition = None
            record.key_schema = None
            record.key = None
            record.value_schema = value_schema
            record.value = value
            record.timestamp = None
            record._headers = None
            record.source_partition = source_partition
            record.source_offset = offset
            append(record)
        return out

    def _copy_extras(self, copy: Any) -> None:
        copy.source_partition = self.source_partition
        copy.source_offset = self.source_offset


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
        self.topic = topic
        self.kafka_partition = kafka_partition
        self.key_schema = key_schema
        self.key = key
        self.value_schema = value_schema
        self.value = value
        self.timestamp = timestamp
        self._headers = headers
        self.kafka_offset = kafka_offset
        self.timestamp_type = timestamp_type
        self.original_topic = topic if original_topic is None else original_topic
        self.original_kafka_partition = (
            kafka_partition if original_kafka_partition is None else original_kafka_partition
        )
        self.original_kafka_offset = (
            kafka_offset if original_kafka_offset is None else original_kafka_offset
        )

    def _copy_extras(self, copy: Any) -> None:
        copy.kafka_offset = self.kafka_offset
        copy.timestamp_type = self.timestamp_type
        copy.original_topic = self.original_topic
        copy.original_kafka_partition = self.original_kafka_partition
        copy.original_kafka_offset = self.original_kafka_offset

    @property
    def original_topic_partition(self) -> TopicPartition:
        """Where the record was read, whatever transforms did to topic/partition."""
        return TopicPartition(self.original_topic, self.original_kafka_partition or 0)
