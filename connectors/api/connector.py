"""What a connector author implements: Connector and Task classes and the contexts they get.

The runtime (``workers``) owns threads, offsets, retries and the log; a connector only
splits work (:meth:`Connector.task_configs`) and a task only moves records:

* :class:`SourceTask` - :meth:`~SourceTask.poll` returns records quickly (an empty list when
  there is nothing yet; the runtime calls again), each carrying its source position.
* :class:`SinkTask` - :meth:`~SinkTask.put` receives batches; :meth:`~SinkTask.flush` makes
  everything put so far durable before the runtime commits the consumer offsets.

Raise :class:`~connectors.api.errors.RetriableError` for transient failures (retried with
backoff) and any other :class:`~connectors.api.errors.ConnectError` for terminal ones.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

from connectors.api.config import ConfigDef, ConfigValue
from connectors.api.records import (
    ConnectRecord,
    RecordMetadata,
    SinkRecord,
    SourceRecord,
    TopicPartition,
)

if TYPE_CHECKING:
    from connectors.api.batches import SourceRecordBatch


class OffsetStorageReader(ABC):
    """Reads the source offsets the runtime committed for this connector."""

    @abstractmethod
    def offset(self, partition: Mapping[str, Any]) -> dict[str, Any] | None:
        """The last committed offset for a source partition, or None if there is none."""

    def offsets(self, partitions: Sequence[Mapping[str, Any]]) -> list[dict[str, Any] | None]:
        """Offsets for many partitions, aligned with the input (runtimes may batch this)."""
        return [self.offset(p) for p in partitions]


class ConnectorContext(ABC):
    """Lets a connector talk back to the runtime."""

    @abstractmethod
    def request_task_reconfiguration(self) -> None:
        """Ask for ``task_configs`` to be called again (e.g. new tables appeared)."""

    @abstractmethod
    def raise_error(self, error: Exception) -> None:
        """Fail the connector from a background thread of its own."""


class SourceConnectorContext(ConnectorContext):
    """Context of a source connector: it may read committed offsets too."""

    @abstractmethod
    def offset_storage_reader(self) -> OffsetStorageReader: ...


class SinkConnectorContext(ConnectorContext):
    """Context of a sink connector (nothing beyond the base yet, kept for symmetry with Kafka)."""


class Connector(ABC):
    """Validates a configuration and splits the work into task configurations."""

    context: ConnectorContext | None = None

    def initialize(self, context: ConnectorContext) -> None:
        """Called by the runtime once, before :meth:`start`."""
        self.context = context

    @abstractmethod
    def version(self) -> str:
        """The plugin version shown by ``GET /connector-plugins``."""

    @abstractmethod
    def config_def(self) -> ConfigDef:
        """The connector's own keys (framework keys such as ``tasks.max`` are the runtime's)."""

    @abstractmethod
    def start(self, config: Mapping[str, str]) -> None:
        """Start with the connector config (already validated and with secrets resolved)."""

    @abstractmethod
    def task_class(self) -> type[Task]: ...

    @abstractmethod
    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        """At most ``max_tasks`` string maps, one per task to run."""

    @abstractmethod
    def stop(self) -> None: ...

    def validate(self, config: Mapping[str, str]) -> list[ConfigValue]:
        """Per-key validation results with every error; override to add cross-key checks."""
        return self.config_def().validate(config)

    def alter_offsets(
        self, config: Mapping[str, str], offsets: Mapping[Any, Mapping[str, Any] | None]
    ) -> bool:
        """Hook for ``PATCH/DELETE /connectors/{n}/offsets`` (KIP-875).

        Return True if the connector also changed offsets it keeps outside the hub; the
        default False means only the hub-managed offsets were changed.
        """
        return False


class SourceConnector(Connector):
    """A connector whose tasks read from an external system into topics."""


class SinkConnector(Connector):
    """A connector whose tasks write topic records to an external system.

    Sink configs always carry ``topics`` or ``topics.regex`` (validated by the runtime).
    """


class Task(ABC):
    """Common lifecycle of source and sink tasks."""

    @abstractmethod
    def version(self) -> str: ...

    @abstractmethod
    def start(self, config: Mapping[str, str]) -> None:
        """Start with one of the maps returned by ``Connector.task_configs``."""

    @abstractmethod
    def stop(self) -> None:
        """Release resources; may be called from another thread while ``poll``/``put`` runs."""


class SourceTaskContext(ABC):
    """What the runtime gives a source task."""

    @abstractmethod
    def configs(self) -> dict[str, str]: ...

    @abstractmethod
    def offset_storage_reader(self) -> OffsetStorageReader:
        """Where to find the position to resume from, in :meth:`SourceTask.start`."""


class SourceTask(Task):
    """Reads records from an external system; resumes from committed source offsets."""

    context: SourceTaskContext | None = None

    def initialize(self, context: SourceTaskContext) -> None:
        self.context = context

    @abstractmethod
    def poll(self) -> Sequence[SourceRecord] | None:
        """Return the next records, or an empty list / None when there are none yet.

        A list of records, or a :class:`~connectors.api.SourceRecordBatch` when the values
        share a topic, schema and source partition (the runtime then skips record objects).

        Must not block for long (well under a second): the runtime calls again, and
        needs the thread back to commit offsets and react to pause/stop.
        """

    def commit(self) -> None:
        """Called after the runtime committed offsets (e.g. to ack upstream messages)."""

    def commit_record(self, record: SourceRecord, metadata: RecordMetadata | None) -> None:
        """Called once per record after it was written (metadata None when it was filtered)."""

    def commit_batch(self, batch: SourceRecordBatch) -> None:
        """Called once after every record of ``batch`` (returned by :meth:`poll`) was written.

        The batch form of :meth:`commit_record`, without per-record metadata: a task that
        acknowledges upstream as records become durable overrides both, and the runtime then
        keeps a :class:`~connectors.api.SourceRecordBatch` in columns (it goes record by
        record for a task that overrides :meth:`commit_record` alone). The default calls
        :meth:`commit_record` for each record.
        """
        for record in batch:
            self.commit_record(record, None)


class ErrantRecordReporter(ABC):
    """Sends a record that failed inside the sink to the dead letter queue (KIP-610)."""

    @abstractmethod
    def report(self, record: SinkRecord, error: BaseException) -> Future[None]:
        """Report and go on; the future completes once the DLQ write is durable."""


class RecordProducer(ABC):
    """Lets a sink task write records back to the hub's log (e.g. the topic-to-topic sink)."""

    @abstractmethod
    def send(self, record: ConnectRecord) -> Future[RecordMetadata]:
        """Serialise with the task's own converters and append to ``record.topic``.

        Partition = ``record.kafka_partition``, or by key hash when None; timestamp =
        ``record.timestamp``. The future completes once the record is durable (or fails).
        """

    def flush(self) -> None:
        """Block until every future returned so far has completed (default: nothing to wait)."""
        return


class SinkTaskContext(ABC):
    """What the runtime gives a sink task."""

    @abstractmethod
    def configs(self) -> dict[str, str]: ...

    @abstractmethod
    def offset(self, offsets: Mapping[TopicPartition, int]) -> None:
        """Rewind/seek: the next records of these partitions start at these offsets."""

    @abstractmethod
    def timeout(self, timeout_ms: int) -> None:
        """After a RetriableError from ``put``, wait this long before redelivering the batch."""

    @abstractmethod
    def assignment(self) -> set[TopicPartition]: ...

    @abstractmethod
    def pause(self, *partitions: TopicPartition) -> None:
        """Stop delivering records of these partitions until :meth:`resume`."""

    @abstractmethod
    def resume(self, *partitions: TopicPartition) -> None: ...

    @abstractmethod
    def request_commit(self) -> None:
        """Ask for ``flush``/offset commit as soon as possible."""

    def errant_record_reporter(self) -> ErrantRecordReporter | None:
        """The DLQ reporter, or None when the connector has no error tolerance / DLQ."""
        return None

    def producer(self) -> RecordProducer | None:
        """A producer onto the hub's log, or None when the runtime cannot offer one."""
        return None


class SinkTask(Task):
    """Writes records to an external system; idempotently, since delivery is at-least-once."""

    context: SinkTaskContext | None = None

    def initialize(self, context: SinkTaskContext) -> None:
        self.context = context

    @abstractmethod
    def put(self, records: Sequence[SinkRecord]) -> None:
        """Write (or buffer) a batch. Raise RetriableError to have the same batch redelivered.

        ``records`` is a list, or a :class:`~connectors.api.SinkRecordBatch` whose ``values``
        and ``keys`` columns can be read without building the record objects.
        """

    def flush(self, current_offsets: Mapping[TopicPartition, int]) -> None:
        """Make everything put so far durable.

        ``current_offsets`` maps each partition to the next offset to consume (last put
        record's offset + 1), which the runtime commits after this returns.
        """

    def pre_commit(
        self, current_offsets: Mapping[TopicPartition, int]
    ) -> dict[TopicPartition, int]:
        """Offsets safe to commit; default flushes and returns them all.

        Sinks that write asynchronously override this to return only what is durable.
        """
        self.flush(current_offsets)
        return dict(current_offsets)

    def open(self, partitions: Sequence[TopicPartition]) -> None:
        """Partitions newly assigned to this task (open writers, read own offsets...)."""

    def close(self, partitions: Sequence[TopicPartition]) -> None:
        """Partitions taken away (after a final flush); drop their buffers."""
