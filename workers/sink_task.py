"""WorkerSinkTask: log -> converters -> transforms -> put -> flush -> commit group offsets.

The task consumes as consumer group ``connect-<name>`` (the committed offsets live in the
log's ``__consumer_offsets``), one partition at a time in offset order, so delivery is
in order per partition. Offsets are committed only after ``pre_commit``/``flush`` returned
for everything put (at-least-once). With no data the task long-polls the log (it waits on
the partition's condition variable, no busy loop).

A ``put`` that raises :class:`~connectors.api.RetriableError` is put again, same records,
after a backoff, until it succeeds (the destination is down; nothing goes to the DLQ). A
``put`` that fails for another reason under ``errors.tolerance=all`` is bisected until the
poison record(s) are alone, so only those go to the dead letter queue and the records
after them are still delivered.
"""

from __future__ import annotations

import contextlib
import logging
import re
import time
from collections.abc import Callable, Sequence
from typing import Any

from connectors.api import (
    ConnectError,
    Headers,
    RecordProducer,
    RetriableError,
    SchemaAndValue,
    SinkRecord,
    SinkRecordBatch,
    SinkTask,
    TimestampType,
    TopicPartition,
)
from hub.core_log import GroupOffsets, Log, Record
from hub.core_log.errors import LogError, OffsetOutOfRangeError
from workers.errors import (
    ErrorContext,
    LogReporter,
    RetryWithToleranceOperator,
    Stage,
    ToleranceExceeded,
    apply_chain,
    class_name,
)
from workers.producer import LogRecordProducer
from workers.read_ahead import Chunk, Fetched
from workers.retry import Interrupted
from workers.sink_context import ErrantReporter, SinkContext
from workers.states import TargetState
from workers.task import TaskListener, TaskSetup, WorkerTask

_log = logging.getLogger("workers.sink_task")
FETCH_BYTES = 1 << 20
LONG_POLL_MS = 500
TOPIC_REFRESH_S = 2.0
IDLE_COMMIT_MS = 20
"""A task that found nothing new for this long commits early instead of waiting the interval.

Only a pause in the data counts, not catching up for an instant: a sink that keeps up with
a busy source would otherwise flush its destination every few milliseconds."""


class WorkerSinkTask(WorkerTask):
    """Runs one SinkTask over its share of the partitions of ``topics``/``topics.regex``."""

    def __init__(
        self,
        setup: TaskSetup,
        target: TargetState,
        listener: TaskListener,
        *,
        log: Log,
        groups: GroupOffsets,
        task_count: int,
        reporters: list[Any],
        on_topic: Callable[[str], None],
    ) -> None:
        super().__init__(setup, target, listener)
        self.log = log
        self.groups = groups
        self.group = f"connect-{setup.id.connector}"
        self.task_count = max(1, task_count)
        self.on_topic = on_topic
        self.operator = RetryWithToleranceOperator(
            setup.errors,
            [LogReporter(str(setup.id), setup.errors.log_include_messages), *reporters],
            self.stopping,
        )
        cfg = setup.connector_config
        self.topics = [t.strip() for t in str(cfg.get("topics") or "").split(",") if t.strip()]
        pattern = str(cfg.get("topics.regex") or "").strip()
        self.pattern = re.compile(pattern) if pattern else None
        self.max_records = int(cfg.get("consumer.override.max.poll.records") or 500)
        self.reset_latest = cfg.get("consumer.override.auto.offset.reset") == "latest"
        self.positions: dict[TopicPartition, int] = {}
        self.committed: dict[TopicPartition, int] = {}
        self.paused_partitions: set[TopicPartition] = set()
        self.retry_timeout_ms = 0
        self.next_commit = 0.0
        self._next_refresh = 0.0
        self.errant = ErrantReporter(self)
        self.task: SinkTask | None = None
        self._fetched: list[Fetched] = []
        self._raw_index: dict[tuple[str, int, int], tuple[Any, Any, Any]] | None = None
        self._ahead: dict[TopicPartition, Chunk] = {}
        self._producer: LogRecordProducer | None = None
        self._put_retry = self.retry_streak("put")
        self._unput: tuple[list[Fetched], Sequence[SinkRecord]] | None = None
        self._unassigned_wait = 0.0
        self._flush_retry = self.retry_streak("flush")

    def initialize(self) -> None:
        task = self.setup.task_class()
        assert isinstance(task, SinkTask)
        self.task = task
        task.initialize(SinkContext(self))
        task.start(self.setup.task_config)
        self._refresh_assignment()
        self.next_commit = time.monotonic() + self.setup.commit_interval_ms / 1000

    # -- assignment -----------------------------------------------------------------------

    def _wanted_topics(self) -> list[str]:
        if self.pattern is None:
            return [t for t in self.topics if self.log.has_topic(t)]
        return [t for t in self.log.list_topics() if self.pattern.fullmatch(t)]

    def _refresh_assignment(self) -> None:
        self._next_refresh = time.monotonic() + TOPIC_REFRESH_S
        every = sorted(
            TopicPartition(t, p.partition)
            for t in self._wanted_topics()
            for p in self.log.describe_topic(t).partitions
        )
        mine = [tp for i, tp in enumerate(every) if i % self.task_count == self.id.task]
        new = [tp for tp in mine if tp not in self.positions]
        for tp in new:
            committed = self.groups.committed(self.group, tp.topic, tp.partition)
            if committed is None:
                end = self.log.end_offset if self.reset_latest else self.log.start_offset
                committed = end(tp.topic, tp.partition)
            self.positions[tp] = committed
            self.committed[tp] = committed
        for topic in sorted({tp.topic for tp in new}):
            self.on_topic(topic)
        if new and self.task is not None:
            self.task.open(new)

    # -- the loop -------------------------------------------------------------------------

    def iteration(self) -> None:
        if not self.positions or time.monotonic() >= self._next_refresh:
            self._refresh_assignment()
        if self._put_kept_batch():
            return
        active = [tp for tp in self.positions if tp not in self.paused_partitions]
        if active:
            self._unassigned_wait = 0.0
        started = time.perf_counter()
        raw = self._fetch(active, wait_ms=0)
        if not raw and active:
            wait = LONG_POLL_MS if len(active) == 1 else 100
            uncommitted = self.positions != self.committed
            if uncommitted:
                wait = min(wait, IDLE_COMMIT_MS)
            remaining = int((self.next_commit - time.monotonic()) * 1000)
            raw = self._fetch(active[:1], wait_ms=max(1, min(wait, remaining)))
            if not raw and uncommitted:
                self.commit_offsets()  # idle for a moment: make what was put durable now
        elif not active:
            # nothing to read yet: look again soon (a source may be creating the topic),
            # then less often while nothing turns up
            self._unassigned_wait = min(max(self._unassigned_wait * 2, 0.002), 0.5)
            self.stopping.wait(self._unassigned_wait)
        if raw:
            self._deliver(raw)
            self.setup.metrics.batch_seconds.observe(time.perf_counter() - started)
        if time.monotonic() >= self.next_commit:
            self.commit_offsets()

    def _fetch(self, partitions: list[TopicPartition], wait_ms: int) -> list[Fetched]:
        """Up to ``max.poll.records`` records, from the read-ahead buffer or the log.

        One log read returns up to 1 MiB of whole batches, decoded as columns (no object
        per record); what is not delivered now stays buffered (valid while the partition's
        position still points at it), so no batch is read or decoded twice.
        """
        out: list[Fetched] = []
        budget = self.max_records
        for tp in partitions:
            if budget <= 0:
                break
            chunk = self._buffered(tp) or self._read(tp, wait_ms)
            if chunk is not None and chunk.offsets:
                taken = chunk.take(budget)
                self._ahead[tp] = chunk
                out.append((tp, taken))
                budget -= len(taken.offsets)
        return out

    def _buffered(self, tp: TopicPartition) -> Chunk | None:
        ahead = self._ahead.get(tp)
        if ahead is not None and ahead.next_offset() == self.positions.get(tp):
            return ahead
        return None

    def _read(self, tp: TopicPartition, wait_ms: int) -> Chunk | None:
        pos = self.positions[tp]
        try:
            result = self.log.read(tp.topic, tp.partition, pos, FETCH_BYTES, max_wait_ms=wait_ms)
        except OffsetOutOfRangeError:
            self.positions[tp] = self.log.start_offset(tp.topic, tp.partition)
            return None
        except LogError:  # the topic was deleted; forget its partitions
            self.positions.pop(tp, None)
            return None
        chunk = Chunk()
        for batch in result.batches():
            if batch.last_offset >= pos and not batch.is_control:
                chunk.extend(batch.columns(), pos)
        return chunk

    def _deliver(self, fetched: list[Fetched]) -> None:
        """Convert, transform and put one batch; then advance the positions.

        The batch goes to the sink as a SinkRecordBatch (columns, records built only if the
        sink asks) when it can, else as records converted one by one (:meth:`_as_records`).
        """
        total = sum(len(chunk.offsets) for _, chunk in fetched)
        records: Sequence[SinkRecord] | None = self._as_columns(fetched)
        if records is None:
            records = self._as_records(fetched)
        self.setup.metrics.polled.inc(total)
        self._put_and_advance(fetched, records)

    def _put_and_advance(self, fetched: list[Fetched], records: Sequence[SinkRecord]) -> None:
        """Put converted records, then move the positions past the batch.

        A pause or stop during a put's backoff keeps the batch, already converted, to be
        put again first on resume: converting it again would report its converter and
        transform failures to the DLQ a second time.
        """
        self._fetched, self._raw_index = fetched, None
        try:
            if records:
                self._put(records)
                self.setup.metrics.written.inc(len(records))
        except Interrupted:
            self._unput = (fetched, records)
            return
        finally:
            self._fetched, self._raw_index = [], None
        for tp, chunk in fetched:
            self.positions[tp] = chunk.offsets[-1] + 1

    def _put_kept_batch(self) -> bool:
        """Put the batch a pause interrupted, if it still starts where the positions are.

        A rewind, a seek or a lost partition since then makes it stale: it is dropped and
        the records are read (and converted) again from the positions.
        """
        kept, self._unput = self._unput, None
        if kept is None:
            return False
        fetched, records = kept
        if any(self.positions.get(tp) != chunk.offsets[0] for tp, chunk in fetched):
            return False
        self._put_and_advance(fetched, records)
        return True

    def _as_columns(self, fetched: list[Fetched]) -> SinkRecordBatch | None:
        """The batch as columns, or None when it needs record objects (see below).

        Record objects are needed for transforms and headers; a converter failure also
        returns None, so :meth:`_as_records` converts record by record with retries,
        tolerance and the DLQ.
        """
        plugins = self.setup.plugins
        if plugins.chain.stages or any(any(chunk.headers) for _, chunk in fetched):
            return None
        batch = SinkRecordBatch()
        try:
            for (topic, partition), chunk in fetched:
                keys = chunk.keys
                if keys.count(None) == len(keys):
                    key_columns: tuple[Sequence[Any], Sequence[Any]] = ([None] * len(keys), keys)
                else:
                    key_columns = plugins.key_converter.to_connect_batch(topic, keys)
                values = plugins.value_converter.to_connect_batch(topic, chunk.values)
                batch.add(topic, partition, chunk.offsets, chunk.stamps, key_columns, values)
        except Exception:
            return None
        return batch

    def _as_records(self, fetched: list[Fetched]) -> list[SinkRecord]:
        """Convert and transform record by record.

        The loop is still the hot path of batches with headers or transforms (converters
        bound once, null keys skip the key converter); any failure re-runs that record
        through :meth:`_convert_slow`, which applies retries and tolerance.
        """
        plugins = self.setup.plugins
        apply = plugins.chain.apply if plugins.chain.stages else None
        kconv = plugins.key_converter.to_connect_data
        vconv = plugins.value_converter.to_connect_data
        null = SchemaAndValue.NULL
        create_time = TimestampType.CREATE_TIME
        records: list[SinkRecord] = []
        for tp, chunk in fetched:
            topic, partition = tp
            for offset, stamp, k, v, h in zip(
                chunk.offsets,
                chunk.stamps,
                chunk.keys,
                chunk.values,
                chunk.headers,
                strict=True,
            ):
                try:
                    key = null if k is None else kconv(topic, k)
                    value = vconv(topic, v)
                    record: SinkRecord | None = SinkRecord(
                        topic,
                        partition,
                        key.schema,
                        key.value,
                        value.schema,
                        value.value,
                        kafka_offset=offset,
                        timestamp=stamp,
                        timestamp_type=create_time,
                        headers=self._headers(topic, h) if h else None,
                    )
                    if apply is not None:
                        record = apply(record)
                except Exception:
                    record = self._convert_slow(tp, Record(offset, stamp, k, v, tuple(h)))
                if record is not None:
                    records.append(record)
        return records

    def _raw_for(self, record: SinkRecord) -> tuple[Any, Any, Any] | None:
        """The bytes a record was read as (for the DLQ); indexed only when first needed."""
        if self._raw_index is None:
            self._raw_index = {
                (tp.topic, tp.partition, o): (k, v, h)
                for tp, c in self._fetched
                for o, k, v, h in zip(c.offsets, c.keys, c.values, c.headers, strict=True)
            }
        where = (
            record.original_topic,
            record.original_kafka_partition or 0,
            record.original_kafka_offset,
        )
        return self._raw_index.get(where)

    def _headers(self, topic: str, raw_headers: Any) -> Headers:
        conv = self.setup.plugins.header_converter
        headers = Headers()
        for key, raw in raw_headers:
            sv = conv.to_connect_header(topic, key, raw)
            headers.add(key, sv.value, sv.schema)
        return headers

    def _context(
        self, stage: Stage, plugin: object, tp: TopicPartition, rec: Record
    ) -> ErrorContext:
        return ErrorContext(
            stage,
            class_name(plugin),
            Exception(),
            None,
            rec.key,
            rec.value,
            tuple(rec.headers),
            tp.topic,
            tp.partition,
            rec.offset,
        )

    def _convert_slow(self, tp: TopicPartition, rec: Record) -> SinkRecord | None:
        """Re-run the stages one by one under the error operator (retries, DLQ, FAILED)."""
        self.setup.metrics.failed.inc()
        p = self.setup.plugins
        key = self.operator.execute(
            lambda: p.key_converter.to_connect_data(tp.topic, rec.key),
            self._context(Stage.KEY_CONVERTER, p.key_converter, tp, rec),
        )
        if key is None:
            return None
        value = self.operator.execute(
            lambda: p.value_converter.to_connect_data(tp.topic, rec.value),
            self._context(Stage.VALUE_CONVERTER, p.value_converter, tp, rec),
        )
        if value is None:
            return None
        headers = self.operator.execute(
            lambda: (self._headers(tp.topic, rec.headers) if rec.headers else None,),
            self._context(Stage.HEADER_CONVERTER, p.header_converter, tp, rec),
        )
        if headers is None:
            return None
        record = SinkRecord(
            tp.topic,
            tp.partition,
            key.schema,
            key.value,
            value.schema,
            value.value,
            kafka_offset=rec.offset,
            timestamp=rec.timestamp,
            timestamp_type=TimestampType.CREATE_TIME,
            headers=headers[0],
        )

        def context(plugin: object) -> ErrorContext:
            ctx = self._context(Stage.TRANSFORMATION, plugin, tp, rec)
            ctx.record = record
            return ctx

        return apply_chain(self.operator, p.chain, record, context)[0]

    def _put(self, records: Sequence[SinkRecord]) -> None:
        """Put a batch until the sink takes it; isolate poison records under tolerance all.

        A :class:`RetriableError` means "the destination cannot take this now": the same
        records are put again after a backoff, for as long as it takes (Kafka's rule), and
        never go to the DLQ. Any other failure is about the data: with ``errors.tolerance=
        all`` the batch is bisected until the failing record(s) are alone, and only those
        are reported; with ``none`` the task fails.
        """
        task = self.task
        assert task is not None
        while True:
            try:
                task.put(records)
            except Exception as exc:
                if isinstance(exc, ConnectError) and exc.retriable:
                    self._put_retry.backoff(exc)  # raises Interrupted on pause/stop
                    continue
                self._put_retry.succeeded()
                self._put_failed(records, exc)
                return
            self._put_retry.succeeded()
            return

    def _put_failed(self, records: Sequence[SinkRecord], exc: Exception) -> None:
        if not self.setup.errors.tolerance_all:
            self.setup.metrics.failed.inc()
            msg = (
                "Tolerance exceeded in error handler at stage TASK_PUT "
                f"({type(self.task).__name__}): {type(exc).__name__}: {exc}"
            )
            raise ToleranceExceeded(msg) from exc
        if len(records) == 1:
            self.setup.metrics.failed.inc()
            self.report_put_failure(records[0], exc)
            return
        half = len(records) // 2  # bisect: O(log n) puts to find one poison record
        self._put(records[:half])
        self._put(records[half:])

    def report_put_failure(self, record: SinkRecord, error: BaseException) -> None:
        """Send a record that failed in the sink to the DLQ (tolerance all) or fail."""
        ctx = ErrorContext(
            Stage.TASK_PUT,
            class_name(self.task),
            error,
            record,
            topic=record.original_topic,
            partition=record.original_kafka_partition,
            offset=record.original_kafka_offset,
        )
        raw = self._raw_for(record)
        if raw is not None:
            ctx.raw_key, ctx.raw_value, ctx.raw_headers = raw[0], raw[1], tuple(raw[2])
        self.operator.handle(ctx)

    def commit_offsets(self) -> None:
        """``pre_commit`` (flush) what was put, then commit the group's offsets."""
        self.next_commit = time.monotonic() + self.setup.commit_interval_ms / 1000
        if self.task is None:
            return
        current = {tp: pos for tp, pos in self.positions.items()}
        if current == self.committed:
            return
        try:
            safe = self.task.pre_commit(current)
        except RetriableError as exc:
            _log.warning(
                "task %s could not make its records durable (%s); rewinding to the "
                "last committed offsets to deliver them again",
                self.id,
                exc,
            )
            self._rewind()
            with contextlib.suppress(Interrupted):  # paused/stopping: the rewind kept all
                self._flush_retry.backoff(exc)
            return
        self._flush_retry.succeeded()
        changed = {
            (tp.topic, tp.partition): o
            for tp, o in safe.items()
            if self.committed.get(TopicPartition(*tp)) != o
        }
        if changed:
            self.groups.commit(self.group, changed)
        self.committed.update({TopicPartition(*tp): o for tp, o in safe.items()})

    def _rewind(self) -> None:
        """Go back to the committed offsets (Kafka's WorkerSinkTask after a failed commit)."""
        self._ahead.clear()
        for tp in self.positions:
            if tp in self.committed:
                self.positions[tp] = self.committed[tp]

    def producer(self) -> RecordProducer:
        """The task's producer onto the log, created on first use."""
        if self._producer is None:
            partitions = int(
                self.setup.connector_config.get("topic.creation.default.partitions") or 1
            )
            self._producer = LogRecordProducer(
                self.log, self.setup.plugins, partitions, self.on_topic
            )
        return self._producer

    def on_pause(self) -> None:
        self.commit_offsets()

    def lag(self) -> list[tuple[str, int, int]]:
        out = []
        for tp, pos in list(self.positions.items()):
            try:
                out.append((tp.topic, tp.partition, max(0, self.log.end_offset(*tp) - pos)))
            except LogError:
                continue
        return out

    def close(self, clean: bool) -> None:
        task = self.task
        if task is None:
            return
        try:
            if clean:
                self.commit_offsets()
            task.close(list(self.positions))
        finally:
            task.stop()
