"""The RecordProducer a sink task gets from ``context.producer()`` (topic-to-topic sinks).

Records are serialised with the task's own converters and buffered; they are appended to
the log when the buffer fills up and at :meth:`LogRecordProducer.flush`, which also fsyncs
every partition written and only then completes the futures. A sink that calls ``flush``
in ``pre_commit`` before returning offsets therefore never lets the runtime commit a
consumer offset whose re-published record could still be lost.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future

from connectors.api import ConnectRecord, RecordMetadata, RecordProducer
from hub.core_log import Log, ProduceRecord
from workers.batching import batch_limit, batch_ranges
from workers.task import Plugins

BUFFER_RECORDS = 1000


class LogRecordProducer(RecordProducer):
    """Appends records to the hub's log on behalf of one sink task (thread-safe)."""

    def __init__(
        self, log: Log, plugins: Plugins, partitions: int, on_topic: Callable[[str], None]
    ) -> None:
        self.log = log
        self.plugins = plugins
        self.partitions = partitions
        self.on_topic = on_topic
        self._lock = threading.Lock()
        self._buffer: list[tuple[str, ProduceRecord, Future[RecordMetadata]]] = []
        self._appended: list[tuple[Future[RecordMetadata], RecordMetadata]] = []
        self._dirty: set[tuple[str, int]] = set()
        self._known: set[str] = set()

    def send(self, record: ConnectRecord) -> Future[RecordMetadata]:
        """Serialise now (errors surface in the caller), append soon, complete at flush."""
        p = self.plugins
        topic = record.topic
        key = (
            None
            if record.key is None and record.key_schema is None
            else (p.key_converter.from_connect_data(topic, record.key_schema, record.key))
        )
        value = p.value_converter.from_connect_data(topic, record.value_schema, record.value)
        headers = [
            (h.key, p.header_converter.from_connect_header(topic, h.key, h.schema, h.value))
            for h in record.headers
        ]
        future: Future[RecordMetadata] = Future()
        produced = ProduceRecord(key, value, headers, record.timestamp, record.kafka_partition)
        with self._lock:
            self._buffer.append((topic, produced, future))
            if len(self._buffer) >= BUFFER_RECORDS:
                self._append_buffer()
        return future

    def _append_buffer(self) -> None:
        by_topic: dict[str, list[tuple[ProduceRecord, Future[RecordMetadata]]]] = {}
        for topic, produced, future in self._buffer:
            by_topic.setdefault(topic, []).append((produced, future))
        self._buffer = []
        for topic, items in by_topic.items():
            try:
                if topic not in self._known:
                    if not self.log.has_topic(topic):
                        self.log.create_topic(topic, self.partitions)
                    self._known.add(topic)
                    self.on_topic(topic)
                records = [pr for pr, _ in items]
                limit = batch_limit(self.log, topic)
                positions = []
                for start, stop in batch_ranges(
                    [r.key for r in records],
                    [r.value for r in records],
                    limit,
                    [r.headers for r in records],
                ):
                    positions += self.log.append(topic, records[start:stop])
            except Exception as exc:
                for _, future in items:
                    future.set_exception(exc)
                continue
            for (pr, future), (partition, offset) in zip(items, positions, strict=True):
                self._dirty.add((topic, partition))
                self._appended.append(
                    (future, RecordMetadata(topic, partition, offset, pr.timestamp))
                )

    def flush(self) -> None:
        """Append what is buffered, fsync every partition written, complete the futures."""
        with self._lock:
            self._append_buffer()
            dirty, self._dirty = self._dirty, set()
            appended, self._appended = self._appended, []
        try:
            for topic, partition in dirty:
                self.log.partition(topic, partition).flush()
        except Exception as exc:
            for future, _ in appended:
                future.set_exception(exc)
            raise
        for future, metadata in appended:
            future.set_result(metadata)
