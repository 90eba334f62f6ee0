"""WorkerSourceTask: poll -> transforms -> converters -> log append -> offset commit.

Durability rule: a source offset is written to ``_hub_offsets`` only after the records it
covers are fsynced. Appends return as soon as the bytes are in the log (page cache); at
each commit (every ``offset.flush.interval.ms``, on pause and on stop) the task fsyncs the
partitions it wrote since the last commit, then writes the offsets (themselves fsynced),
then calls ``SourceTask.commit()``. A crash therefore loses no record whose offset was
committed; records after the last commit are polled again (at-least-once).
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from itertools import repeat
from operator import itemgetter
from typing import Any

from connectors.api import (
    ConnectError,
    OffsetStorageReader,
    RecordMetadata,
    SourceRecord,
    SourceRecordBatch,
    SourceTask,
    SourceTaskContext,
)
from hub.core_log import Log
from hub.core_log.errors import LogError
from workers.batching import batch_limit, batch_ranges
from workers.errors import (
    ErrorContext,
    LogReporter,
    RetryWithToleranceOperator,
    Stage,
    apply_chain,
    class_name,
)
from workers.offset_store import OffsetStore, PartitionKey, partition_key
from workers.retry import Interrupted
from workers.states import TargetState
from workers.task import TaskListener, TaskSetup, WorkerTask

_log = logging.getLogger("workers.source_task")
_FIRST, _SECOND = itemgetter(0), itemgetter(1)
IDLE_COMMIT_S = 0.05
"""A task whose source has nothing new commits early (at most this often)."""


class _OffsetReader(OffsetStorageReader):
    def __init__(self, store: OffsetStore, connector: str) -> None:
        self.store = store
        self.connector = connector

    def offset(self, partition: dict[str, Any]) -> dict[str, Any] | None:  # type: ignore[override]
        return self.store.get(self.connector, partition)


class _Context(SourceTaskContext):
    def __init__(self, config: dict[str, str], reader: OffsetStorageReader) -> None:
        self._config = config
        self._reader = reader

    def configs(self) -> dict[str, str]:
        return dict(self._config)

    def offset_storage_reader(self) -> OffsetStorageReader:
        return self._reader


class WorkerSourceTask(WorkerTask):
    """Runs one SourceTask; see the module docstring for the delivery guarantee."""

    def __init__(
        self,
        setup: TaskSetup,
        target: TargetState,
        listener: TaskListener,
        *,
        log: Log,
        offsets: OffsetStore,
        topic_partitions: int,
        topic_configs: dict[str, str] | None = None,
        reporters: list[Any],
        on_topic: Callable[[str], None],
    ) -> None:
        super().__init__(setup, target, listener)
        self.log = log
        self.offsets = offsets
        self.topic_partitions = topic_partitions
        self.topic_configs = topic_configs or {}
        self.on_topic = on_topic
        self.operator = RetryWithToleranceOperator(
            setup.errors,
            [LogReporter(str(setup.id), setup.errors.log_include_messages), *reporters],
            self.stopping,
        )
        self.task: SourceTask | None = None
        self._pending: dict[PartitionKey, dict[str, Any]] = {}
        self._dirty: set[tuple[str, int]] = set()
        self._written: set[tuple[str, int]] = set()
        self._known_topics: set[str] = set()
        self._limits: dict[str, int] = {}
        self._next_commit = 0.0
        self._last_commit = 0.0
        self._idle_wait = 0.0
        self._commit_record = False
        self._commit_batch = False
        self._poll_retry = self.retry_streak("poll")

    def initialize(self) -> None:
        task = self.setup.task_class()
        assert isinstance(task, SourceTask)
        self.task = task
        reader = _OffsetReader(self.offsets, self.id.connector)
        task.initialize(_Context(self.setup.task_config, reader))
        self._count_replay()
        task.start(self.setup.task_config)
        self._commit_record = type(task).commit_record is not SourceTask.commit_record
        self._commit_batch = type(task).commit_batch is not SourceTask.commit_batch
        self._next_commit = time.monotonic() + self.setup.commit_interval_ms / 1000

    def _count_replay(self) -> None:
        """Count what the previous run wrote after its last commit: it is written again.

        Exact when this task is the only writer of those partitions (the usual case), an
        upper bound otherwise. Shown as a warning and ``source_replayed_records_total``.
        """
        replayed = 0
        for topic, partition, end in self.offsets.log_end(self.id.connector, self.id.task):
            self._written.add((topic, partition))
            try:
                replayed += max(0, self.log.end_offset(topic, partition) - end)
            except LogError:
                continue  # topic deleted since
        if replayed:
            self.setup.metrics.replayed.inc(replayed)
            _log.warning(
                "task %s: %d records were written after the last offset commit of the "
                "previous run (it did not stop cleanly); they are written again now "
                "(at-least-once duplicates, bounded by offset.flush.interval.ms)",
                self.id,
                replayed,
            )

    def iteration(self) -> None:
        assert self.task is not None
        started = time.perf_counter()
        try:
            records = self.task.poll()
        except ConnectError as exc:
            if not exc.retriable:
                raise
            # the source is unreachable: poll again after a backoff, for ever (as Kafka);
            # a pause or stop ends the wait and the loop notices it
            with contextlib.suppress(Interrupted):
                self._poll_retry.backoff(exc)
            return
        self._poll_retry.succeeded()
        if records and self.stopping.is_set():
            return  # replaced or stopping: these are polled again from the committed offsets
        if records:
            self._idle_wait = 0.0
            if type(records) is not SourceRecordBatch or not self._send_columns(records):
                self._send(records)
                # a batch that went record by record: acknowledged as a batch, unless each
                # record was acknowledged already
                batched = type(records) is SourceRecordBatch and not self._commit_record
                if batched and self._commit_batch:
                    self.task.commit_batch(records)  # type: ignore[arg-type]
            self.setup.metrics.batch_seconds.observe(time.perf_counter() - started)
        else:
            if self._pending and time.monotonic() - self._last_commit >= IDLE_COMMIT_S:
                self.commit_offsets()  # nothing new upstream: make what was sent durable now
            self._idle_wait = min(max(self._idle_wait * 2, 0.001), 0.1)
            self.stopping.wait(self._idle_wait)
        if time.monotonic() >= self._next_commit:
            self.commit_offsets()

    def _send_columns(self, batch: SourceRecordBatch) -> bool:
        """Convert and append a batch as columns; False when it must go record by record.

        Columns go straight through when nothing needs record objects: no ``commit_record``
        hook, and transforms that can work on values alone (``apply_to_values``). A
        transform or converter failure (a bad value) also returns False, so :meth:`_send`
        goes record by record, with retries, tolerance and the DLQ.
        """
        if self._commit_record and not self._commit_batch:
            return False
        plugins = self.setup.plugins
        schema, values = batch.value_schema, batch.values
        topic, count = batch.topic, len(batch)
        try:
            if plugins.chain.stages:
                listed = values if type(values) is list else list(values)  # Structs, if columns
                transformed = plugins.chain.apply_to_values(schema, listed)
                if transformed is None:
                    return False
                schema, values = transformed
            converted = plugins.value_converter.from_connect_batch(topic, schema, values)
            keys: list[bytes | None] = (
                [None] * count
                if batch.keys is None
                else plugins.key_converter.from_connect_batch(topic, batch.key_schema, batch.keys)
            )
        except Exception:
            return False
        self.setup.metrics.polled.inc(count)
        outgoing = _Outgoing()
        outgoing.keys, outgoing.values = keys, converted
        if batch.timestamps is not None:
            outgoing.timestamps = list(batch.timestamps)
            outgoing.stamped = True
        written = self._append(topic, outgoing)
        if self._commit_batch:
            self.task.commit_batch(batch)  # type: ignore[union-attr]
        last = batch.source_offsets[-1] if count else None
        if last:
            self._pending[partition_key(batch.source_partition)] = last
        self.setup.metrics.written.inc(written)
        return True

    def _send(self, records: Sequence[SourceRecord]) -> None:
        """Convert a polled batch and append it, one log append per topic.

        The loop is the hot path: converters are bound once per batch, a null key skips the
        key converter (every converter maps None to None), headers are only converted when
        a record has some, and records with nothing but a key and a value (the common case)
        go to the log as plain key/value columns.
        """
        metrics = self.setup.metrics
        metrics.polled.inc(len(records))
        plugins = self.setup.plugins
        apply = plugins.chain.apply if plugins.chain.stages else None
        kconv = plugins.key_converter.from_connect_data
        vconv = plugins.value_converter.from_connect_data
        by_topic: dict[str, _Outgoing] = {}
        pending = self._pending
        last_sp: Any = None
        last_key = b""
        for record in records:
            try:
                out = apply(record) if apply is not None else record
                if out is not None:
                    topic = out.topic
                    k = out.key
                    key = (
                        None
                        if k is None and out.key_schema is None
                        else kconv(topic, out.key_schema, k)
                    )
                    value = vconv(topic, out.value_schema, out.value)
                    headers = self._headers(out) if _has_headers(out) else ()
                    produced: tuple[Any, ...] | None = (
                        key,
                        value,
                        headers,
                        out.timestamp,
                        out.kafka_partition,
                    )
                else:
                    produced = None
            except Exception:
                topic, produced = self._convert_slow(record)
            if produced is not None:
                outgoing = by_topic.get(topic)
                if outgoing is None:
                    outgoing = by_topic[topic] = _Outgoing()
                outgoing.add(produced, record)
            elif self._commit_record:
                self.task.commit_record(record, None)  # type: ignore[union-attr]
            sp = record.source_partition
            if sp is not last_sp:
                last_sp, last_key = sp, partition_key(sp)
            if record.source_offset:
                pending[last_key] = record.source_offset
        written = sum(self._append(topic, outgoing) for topic, outgoing in by_topic.items())
        metrics.written.inc(written)

    def _headers(self, record: SourceRecord) -> list[tuple[str, bytes | None]]:
        conv = self.setup.plugins.header_converter
        return [
            (h.key, conv.from_connect_header(record.topic, h.key, h.schema, h.value))
            for h in record.headers
        ]

    def _convert_slow(self, record: SourceRecord) -> tuple[str, tuple[Any, ...] | None]:
        """Re-run the stages one by one under the error operator (retries, DLQ, FAILED)."""
        plugins = self.setup.plugins
        self.setup.metrics.failed.inc()
        out, _ = apply_chain(
            self.operator,
            plugins.chain,
            record,
            lambda plugin: ErrorContext(
                Stage.TRANSFORMATION, class_name(plugin), Exception(), record, topic=record.topic
            ),
        )
        if out is None:
            return record.topic, None
        stages: list[tuple[Stage, Any, Callable[[], Any]]] = [
            (
                Stage.KEY_CONVERTER,
                plugins.key_converter,
                lambda: plugins.key_converter.from_connect_data(out.topic, out.key_schema, out.key),
            ),
            (
                Stage.VALUE_CONVERTER,
                plugins.value_converter,
                lambda: plugins.value_converter.from_connect_data(
                    out.topic, out.value_schema, out.value
                ),
            ),
            (Stage.HEADER_CONVERTER, plugins.header_converter, lambda: self._headers(out)),
        ]
        results = []
        for stage, plugin, fn in stages:
            ctx = ErrorContext(stage, class_name(plugin), Exception(), record, topic=out.topic)
            done = self.operator.execute(_boxed(fn), ctx)
            if done is None:
                return out.topic, None
            results.append(done[0])
        key, value, headers = results
        return out.topic, (key, value, headers, out.timestamp, out.kafka_partition)

    def _append(self, topic: str, outgoing: _Outgoing) -> int:
        if topic not in self._known_topics:
            if not self.log.has_topic(topic):
                self.log.create_topic(topic, self.topic_partitions, self.topic_configs)
            self._known_topics.add(topic)
            self._mark_topic(topic)
            self._limits[topic] = batch_limit(self.log, topic)
            self.on_topic(topic)
        keys, values = outgoing.keys, outgoing.values
        headers = outgoing.headers if outgoing.has_headers else None
        ranges = batch_ranges(keys, values, self._limits[topic], headers)
        stamps, parts = outgoing.timestamps, outgoing.partitions
        acknowledge = self._commit_record and outgoing.records
        if outgoing.plain and not acknowledge:  # where they went, not each position
            for start, stop in ranges:
                spans = self.log.append_kv_spans(
                    topic, keys[start:stop], values[start:stop],
                    timestamps=stamps[start:stop] if outgoing.stamped else None,
                )  # fmt: skip
                self._dirty.update((topic, p) for p, _, _ in spans)
            return len(values)
        positions: list[tuple[int, int]] = []
        for start, stop in ranges:
            positions += self.log.append_columns(
                topic, keys[start:stop], values[start:stop],
                headers=None if headers is None else headers[start:stop],
                timestamps=stamps[start:stop], partitions=parts[start:stop],
            )  # fmt: skip
        self._dirty.update(zip(repeat(topic), set(map(_FIRST, positions))))
        if acknowledge:
            task = self.task
            assert task is not None
            consume(map(task.commit_record, outgoing.records, metadata(topic, positions, stamps)))
        return len(outgoing.values)

    def commit_offsets(self) -> None:
        """Fsync what was written since the last commit, then store the offsets."""
        self._last_commit = time.monotonic()
        self._next_commit = self._last_commit + self.setup.commit_interval_ms / 1000
        if not self._pending and not self._dirty:
            return
        for topic, partition in self._dirty:
            self.log.partition(topic, partition).flush()
        self._written |= self._dirty
        self._dirty.clear()
        pending, self._pending = self._pending, {}
        self.offsets.put(self.id.connector, pending, (self.id.task, self._log_end()))
        if self.task is not None:
            self.task.commit()

    def _mark_topic(self, topic: str) -> None:
        """Store where ``topic`` ends before this task first writes to it.

        Without it a crash before the first offset commit would leave no mark and its
        replay would go uncounted. One fsynced write per new topic of the task, ever.
        """
        stored = {
            (t, p): end for t, p, end in self.offsets.log_end(self.id.connector, self.id.task)
        }
        partitions = {(topic, p.partition) for p in self.log.describe_topic(topic).partitions}
        self._written |= partitions
        new = partitions - stored.keys()
        if new:
            stored.update({tp: self.log.end_offset(*tp) for tp in new})
            marks = [(t, p, end) for (t, p), end in sorted(stored.items())]
            self.offsets.put(self.id.connector, {}, (self.id.task, marks))

    def _log_end(self) -> list[tuple[str, int, int]]:
        """Where the partitions this task wrote end now (stored with the offsets)."""
        ends = []
        for topic, partition in sorted(self._written):
            try:
                ends.append((topic, partition, self.log.end_offset(topic, partition)))
            except LogError:
                continue
        return ends

    def on_pause(self) -> None:
        self.commit_offsets()

    def close(self, clean: bool) -> None:
        try:
            if clean:
                self.commit_offsets()
        finally:
            if self.task is not None:
                self.task.stop()


def _boxed(fn: Callable[[], Any]) -> Callable[[], tuple[Any]]:
    """Wrap a result in a tuple so a legitimate None (tombstone) is not read as "skipped"."""
    return lambda: (fn(),)


def _has_headers(record: SourceRecord) -> bool:
    """Whether a record carries headers, without creating an empty Headers object."""
    raw = getattr(record, "_headers", _MISSING)
    return bool(record.headers if raw is _MISSING else raw)


_MISSING = object()


class _Outgoing:
    """The converted records of one batch for one topic, as columns.

    ``plain`` stays True while no record has headers or a partition, which lets the log
    take them as key/value columns (with their timestamps, when ``stamped``).
    """

    __slots__ = ("has_headers", "headers", "keys", "partitions", "plain", "records",
                 "stamped", "timestamps", "values")  # fmt: skip

    def __init__(self) -> None:
        self.keys: list[bytes | None] = []
        self.values: list[bytes | None] = []
        self.headers: list[Any] = []
        self.timestamps: list[int | None] = []
        self.partitions: list[int | None] = []
        self.records: list[SourceRecord] = []
        self.plain = True
        self.stamped = False
        self.has_headers = False

    def add(self, produced: tuple[Any, ...], record: SourceRecord) -> None:
        key, value, headers, timestamp, partition = produced
        self.keys.append(key)
        self.values.append(value)
        self.headers.append(headers)
        self.timestamps.append(timestamp)
        self.partitions.append(partition)
        self.records.append(record)
        if headers:
            self.has_headers = True
        if headers or partition is not None:
            self.plain = False
        if timestamp is not None:
            self.stamped = True


def metadata(
    topic: str, positions: list[tuple[int, int]], stamps: list[int | None]
) -> Iterator[RecordMetadata]:
    """A RecordMetadata per written record, built in C (``tuple.__new__`` over columns).

    The same objects as calling the NamedTuple per record, without its Python ``__new__``:
    this runs once per record for every source that acknowledges records upstream.
    """
    columns = zip(repeat(topic), map(_FIRST, positions), map(_SECOND, positions), stamps)
    return map(tuple.__new__, repeat(RecordMetadata), columns)


def consume(calls: Iterator[Any]) -> None:
    """Run the calls of a lazy ``map`` to the end, in C."""
    deque(calls, maxlen=0)
