"""Topic-to-topic sink: re-publish records (after the connector's transforms) to other topics.

The stream-processing stage of a pipeline: a sink connector reads ``topics``, its transform
chain filters/reshapes/routes each record, and this task writes the result back to the hub
through the runtime's :class:`~connectors.api.RecordProducer` (serialised with this
connector's own key/value converters). The destination is ``topic.format`` with ``${topic}``
replaced by the record's topic after the transforms (so RegexRouter/TimestampRouter work as
routing), or the fixed ``topic``.

Offsets: :meth:`TopicSinkTask.pre_commit` waits until every record sent so far is durable
before the runtime commits the consumer offsets, so a crash re-publishes at most the records
since the last commit (at-least-once).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from connectors.api import (
    ConfigDef,
    ConfigType,
    ConfiguredConnector,
    ConfigValue,
    ConnectError,
    DataError,
    Importance,
    Range,
    RecordMetadata,
    RecordProducer,
    RetriableError,
    SinkConnector,
    SinkRecord,
    SinkTask,
    TopicPartition,
)

VERSION = "1.0.0"

CONFIG_DEF = (
    ConfigDef()
    .define("topic", ConfigType.STRING, "", None, Importance.HIGH,
            "The destination topic for every record. Empty: use ``topic.format``.",
            group="Destination", order=1)
    .define("topic.format", ConfigType.STRING, "${topic}", None, Importance.HIGH,
            "Destination template; ``${topic}`` is the record's topic after the transforms "
            "(e.g. ``${topic}-clean``). Used when ``topic`` is empty.",
            group="Destination", order=2)
    .define("partition.preserve", ConfigType.BOOLEAN, False, None, Importance.LOW,
            "Write each record to the same partition number it was read from (the "
            "destination needs at least as many partitions). Default: partition by key.",
            group="Destination", order=3)
    .define("flush.timeout.ms", ConfigType.LONG, 30000, Range.at_least(1), Importance.LOW,
            "How long a commit waits for the re-published records to become durable before "
            "giving up (the batch is then redelivered).", group="Destination", order=4)
)  # fmt: skip


def _sink_topics(config: Mapping[str, Any]) -> set[str]:
    raw = str(config.get("topics") or "")
    return {t.strip() for t in raw.split(",") if t.strip()}


def _check_loops(values: Mapping[str, ConfigValue], config: Mapping[str, Any]) -> None:
    """The loop check: the sink must not write into a topic it reads."""
    topic, fmt = values["topic"], values["topic.format"]
    if not topic.value and not fmt.value:
        fmt.errors.append("Set 'topic' or a non-empty 'topic.format'.")
    if topic.value and topic.value in _sink_topics(config):
        topic.errors.append(
            f"'{topic.value}' is also in 'topics': records would be re-published into the "
            "topic they are read from, forever. Pick another destination topic."
        )
    if not topic.value and fmt.value == "${topic}" and not config.get("transforms"):
        fmt.errors.append(
            "With topic.format=${topic} and no transforms every record would go back to the "
            "topic it came from. Set 'topic', change 'topic.format', or add a routing transform."
        )


class TopicSinkTask(SinkTask):
    """Sends each record through the runtime's producer; commits wait for durability."""

    def __init__(self) -> None:
        self._pending: list[Future[RecordMetadata]] = []
        self._producer: RecordProducer | None = None

    def version(self) -> str:
        return VERSION

    def start(self, config: Mapping[str, str]) -> None:
        cfg = TopicSinkConnector.parse_config(config)
        self._topic: str = cfg["topic"]
        self._format: str = cfg["topic.format"]
        self._preserve: bool = cfg["partition.preserve"]
        self._timeout_s = cfg["flush.timeout.ms"] / 1000
        self._sources = _sink_topics(config)
        producer = self.context.producer() if self.context is not None else None
        if producer is None:
            msg = (
                "This worker offers no RecordProducer to sink tasks, so the topic-to-topic "
                "sink cannot write; upgrade the hub or use another sink."
            )
            raise ConnectError(msg)
        self._producer = producer

    def destination(self, record: SinkRecord) -> str:
        """Where a record goes: ``topic``, or ``topic.format`` filled with its topic."""
        target = self._topic or self._format.replace("${topic}", record.topic)
        if target == record.original_topic or target in self._sources:
            msg = (
                f"Record from {record.original_topic}-{record.original_kafka_partition}@"
                f"{record.original_kafka_offset} would be re-published into '{target}', a topic "
                "this connector reads: fix the routing (topic.format or the transforms)."
            )
            raise DataError(msg)
        return target

    def put(self, records: Sequence[SinkRecord]) -> None:
        assert self._producer is not None
        self._raise_failed()
        for record in records:
            partition = record.kafka_partition if self._preserve else None
            out = record.new_record(topic=self.destination(record), kafka_partition=partition)
            self._pending.append(self._producer.send(out))

    def _raise_failed(self) -> None:
        for future in self._pending:
            if future.done() and future.exception() is not None:
                msg = f"Re-publishing failed: {future.exception()}"
                raise RetriableError(msg) from future.exception()

    def pre_commit(
        self, current_offsets: Mapping[TopicPartition, int]
    ) -> dict[TopicPartition, int]:
        self.flush(current_offsets)
        return dict(current_offsets)

    def flush(self, current_offsets: Mapping[TopicPartition, int]) -> None:
        """Wait until everything sent so far is durable; raise if any record failed."""
        pending, self._pending = self._pending, []
        if self._producer is not None:
            self._producer.flush()
        try:
            for future in pending:
                future.result(timeout=self._timeout_s)
        except FutureTimeout:
            msg = f"Re-published records not durable after {self._timeout_s:g}s; will retry."
            raise RetriableError(msg) from None
        except Exception as exc:
            msg = f"Re-publishing failed: {exc}"
            raise RetriableError(msg) from exc

    def stop(self) -> None:
        self._pending = []


class TopicSinkConnector(ConfiguredConnector, SinkConnector):
    """Any number of tasks: each re-publishes the partitions assigned to it."""

    CONFIG_DEF = CONFIG_DEF
    TASK_CLASS = TopicSinkTask
    VERSION = VERSION
    check_config = staticmethod(_check_loops)
