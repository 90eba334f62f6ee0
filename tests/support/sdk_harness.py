"""In-memory twins of the runtime side of the connector SDK, for connector tests.

A connector test drives a task the way the worker does, without a worker or a log:

* :class:`MemoryOffsetStore` keeps committed source offsets (what ``_hub_offsets`` holds);
  :meth:`MemoryOffsetStore.reader` is the ``OffsetStorageReader`` a restarted task reads.
* :class:`HarnessSourceTaskContext` / :class:`HarnessSinkTaskContext` implement the contexts.
* :func:`start_source_task` / :func:`poll_until` / :func:`ack` run a source task and commit
  its offsets exactly as the runtime does (only after the records are "durable").
* :class:`MemoryProducer` stands in for the runtime's sink-side producer (topic-to-topic sink).

Typical resume test::

    store = MemoryOffsetStore()
    task = start_source_task(MySourceTask, config, store)
    first = poll_until(task, 3)          # acks + commits offsets into ``store``
    task.stop()
    task = start_source_task(MySourceTask, config, store)   # rebuilt from the offsets alone
    rest = poll_until(task, 5)
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from typing import Any

from connectors.api import (
    ConnectorContext,
    ConnectRecord,
    ErrantRecordReporter,
    OffsetStorageReader,
    RecordMetadata,
    RecordProducer,
    SinkRecord,
    SinkTaskContext,
    SourceRecord,
    SourceTask,
    SourceTaskContext,
    TopicPartition,
)


def _key(partition: Mapping[str, Any]) -> str:
    return json.dumps(partition, sort_keys=True, default=str)


class MemoryOffsetStore:
    """Committed source offsets per source partition (JSON round trip, like the real store)."""

    def __init__(self, offsets: Mapping[str, Any] | None = None) -> None:
        self._offsets: dict[str, dict[str, Any]] = {}
        for key, value in (offsets or {}).items():
            self._offsets[key] = value

    def commit(self, partition: Mapping[str, Any], offset: Mapping[str, Any]) -> None:
        """Store an offset the way the runtime does: JSON-serialisable or it fails the test."""
        self._offsets[_key(partition)] = json.loads(json.dumps(offset))

    def get(self, partition: Mapping[str, Any]) -> dict[str, Any] | None:
        return self._offsets.get(_key(partition))

    def all(self) -> dict[str, dict[str, Any]]:
        return dict(self._offsets)

    def reader(self) -> OffsetStorageReader:
        return _Reader(self)


class _Reader(OffsetStorageReader):
    def __init__(self, store: MemoryOffsetStore) -> None:
        self._store = store

    def offset(self, partition: Mapping[str, Any]) -> dict[str, Any] | None:
        found = self._store.get(partition)
        return None if found is None else json.loads(json.dumps(found))


class HarnessSourceTaskContext(SourceTaskContext):
    """A SourceTaskContext over a :class:`MemoryOffsetStore`."""

    def __init__(self, config: Mapping[str, str], store: MemoryOffsetStore | None = None) -> None:
        self._config = dict(config)
        self.store = store or MemoryOffsetStore()

    def configs(self) -> dict[str, str]:
        return dict(self._config)

    def offset_storage_reader(self) -> OffsetStorageReader:
        return self.store.reader()


def start_source_task(
    task_class: type[SourceTask], config: Mapping[str, str], store: MemoryOffsetStore | None = None
) -> SourceTask:
    """Build, initialize and start a task the way the worker does."""
    task = task_class()
    task.initialize(HarnessSourceTaskContext(config, store))
    task.start(dict(config))
    return task


def store_of(task: SourceTask) -> MemoryOffsetStore:
    assert isinstance(task.context, HarnessSourceTaskContext)
    return task.context.store


def ack(task: SourceTask, records: list[SourceRecord], *, commit_offsets: bool = True) -> None:
    """Pretend the records are durable: commit_record each, then commit their offsets."""
    for i, record in enumerate(records):
        task.commit_record(record, RecordMetadata(record.topic, 0, i, record.timestamp))
    if commit_offsets:
        for record in records:
            store_of(task).commit(record.source_partition, record.source_offset)
        task.commit()


def poll_until(
    task: SourceTask,
    count: int,
    *,
    timeout: float = 10.0,
    acknowledge: bool = True,
    exact: bool = True,
) -> list[SourceRecord]:
    """Poll until ``count`` records arrived (acked and committed unless told otherwise).

    With ``exact`` the test fails if a poll returns more than asked for (the caller picks
    batch sizes so that does not happen), so "nothing more yet" can be checked after.
    """
    got: list[SourceRecord] = []
    deadline = time.monotonic() + timeout
    while len(got) < count:
        if time.monotonic() > deadline:
            msg = f"only {len(got)} of {count} records after {timeout}s: {got!r}"
            raise AssertionError(msg)
        batch = task.poll() or []
        if acknowledge:
            ack(task, batch)
        got.extend(batch)
    if exact:
        assert len(got) == count, f"expected {count} records, got {len(got)}"
    return got


def poll_for(task: SourceTask, seconds: float, *, acknowledge: bool = True) -> list[SourceRecord]:
    """Everything the task returns during ``seconds`` (checks that nothing more comes)."""
    got: list[SourceRecord] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        batch = task.poll() or []
        if acknowledge:
            ack(task, batch)
        got.extend(batch)
    return got


class MemoryProducer(RecordProducer):
    """The sink-side producer twin: records sent land in :attr:`sent` (per topic)."""

    def __init__(self, fail_with: Callable[[ConnectRecord], BaseException | None] | None = None):
        self.sent: dict[str, list[ConnectRecord]] = {}
        self.fail_with = fail_with
        self.pending: list[Future[RecordMetadata]] = []
        self.complete_immediately = True

    def send(self, record: ConnectRecord) -> Future[RecordMetadata]:
        future: Future[RecordMetadata] = Future()
        error = self.fail_with(record) if self.fail_with else None
        if error is not None:
            future.set_exception(error)
            return future
        log = self.sent.setdefault(record.topic, [])
        log.append(record)
        metadata = RecordMetadata(record.topic, record.kafka_partition or 0, len(log) - 1)
        if self.complete_immediately:
            future.set_result(metadata)
        else:
            self.pending.append(future)
            future.metadata = metadata  # type: ignore[attr-defined]
        return future

    def complete_pending(self) -> None:
        for future in self.pending:
            future.set_result(future.metadata)  # type: ignore[attr-defined]
        self.pending.clear()

    def flush(self) -> None:
        """Nothing to wait for in memory."""


class MemoryErrantRecordReporter(ErrantRecordReporter):
    """The DLQ twin: reported records land in :attr:`reported` with their errors."""

    def __init__(self) -> None:
        self.reported: list[tuple[SinkRecord, BaseException]] = []

    def report(self, record: SinkRecord, error: BaseException) -> Future[None]:
        self.reported.append((record, error))
        future: Future[None] = Future()
        future.set_result(None)
        return future


class HarnessSinkTaskContext(SinkTaskContext):
    """A SinkTaskContext recording what the task asked of the runtime.

    Pass ``reporter`` to give the task a dead letter queue (``errors.tolerance=all``).
    """

    def __init__(
        self,
        config: Mapping[str, str],
        assignment: set[TopicPartition] | None = None,
        producer: MemoryProducer | None = None,
        reporter: MemoryErrantRecordReporter | None = None,
    ) -> None:
        self._config = dict(config)
        self._assignment = set(assignment or ())
        self._producer = producer
        self.reporter = reporter
        self.rewinds: dict[TopicPartition, int] = {}
        self.timeouts: list[int] = []
        self.paused: set[TopicPartition] = set()
        self.commit_requests = 0

    def configs(self) -> dict[str, str]:
        return dict(self._config)

    def offset(self, offsets: Mapping[TopicPartition, int]) -> None:
        self.rewinds.update(offsets)

    def timeout(self, timeout_ms: int) -> None:
        self.timeouts.append(timeout_ms)

    def assignment(self) -> set[TopicPartition]:
        return set(self._assignment)

    def pause(self, *partitions: TopicPartition) -> None:
        self.paused.update(partitions)

    def resume(self, *partitions: TopicPartition) -> None:
        self.paused.difference_update(partitions)

    def request_commit(self) -> None:
        self.commit_requests += 1

    def producer(self) -> MemoryProducer | None:
        return self._producer

    def errant_record_reporter(self) -> MemoryErrantRecordReporter | None:
        return self.reporter


class HarnessConnectorContext(ConnectorContext):
    """Counts reconfiguration requests and keeps errors raised from connector threads."""

    def __init__(self) -> None:
        self.reconfigurations = 0
        self.errors: list[Exception] = []

    def request_task_reconfiguration(self) -> None:
        self.reconfigurations += 1

    def raise_error(self, error: Exception) -> None:
        self.errors.append(error)
