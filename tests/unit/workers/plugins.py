"""Small connectors for runtime tests: a counting source, a collecting sink, failing ones.

They are registered on a private PluginRegistry (``registry()``) so tests never depend on
the bundled connectors. State shared with the test lives in module-level dicts keyed by a
config value, because the runtime creates the instances itself.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any

from connectors.api import (
    ConfigDef,
    ConfigType,
    Importance,
    OffsetColumn,
    RecordMetadata,
    Repeat,
    RetriableError,
    Schema,
    SchemaBuilder,
    SinkConnector,
    SinkRecord,
    SinkTask,
    SourceConnector,
    SourceRecord,
    SourceRecordBatch,
    SourceTask,
    StructColumns,
    TopicPartition,
    Transformation,
)
from connectors.plugins import PluginRegistry

COLLECTED: dict[str, list[SinkRecord]] = {}
FLUSHED: dict[str, dict[TopicPartition, int]] = {}
COMMITTED: dict[str, list[int]] = {}
PUT_FAILURES: dict[str, int] = {}
METADATA: dict[str, list[RecordMetadata | None]] = {}
ACKED: dict[str, list[tuple[str, int]]] = {}
OUTAGE: set[str] = set()
"""Names of sinks whose destination is "down": every put raises RetriableError."""
POLL_FAILURES: dict[str, int] = {}
PUT_SIZES: dict[str, list[int]] = {}
PUT_TYPES: dict[str, list[str]] = {}
"""The class name of every batch a collecting sink was given (list or SinkRecordBatch)."""
_lock = threading.Lock()


class CountingSource(SourceConnector):
    """Emits ``{"n": i}`` for i = offset+1 .. ``count`` into ``topic``, ``batch`` per poll."""

    def version(self) -> str:
        return "1.0"

    def config_def(self) -> ConfigDef:
        return (
            ConfigDef()
            .define("topic", ConfigType.STRING, importance=Importance.HIGH, documentation="t")
            .define("count", ConfigType.INT, 100, documentation="how many records")
            .define("batch", ConfigType.INT, 10, documentation="records per poll")
            .define("poison", ConfigType.INT, -1, documentation="n whose value is unserialisable")
            .define("fail.at", ConfigType.INT, -1, documentation="n at which poll raises")
            .define("secret", ConfigType.PASSWORD, "", documentation="a password")
            .define("poll.retriable.failures", ConfigType.INT, 0, documentation="outage polls")
        )

    def start(self, config: Mapping[str, str]) -> None:
        self.config = dict(config)

    def task_class(self) -> type[SourceTask]:
        return CountingTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return [dict(self.config)]

    def stop(self) -> None:
        return


class _Counting(SourceTask):
    """See :class:`CountingSource`; resumes after the committed ``{"n": ...}`` offset."""

    def version(self) -> str:
        return "1.0"

    def start(self, config: Mapping[str, str]) -> None:
        self.topic = config["topic"]
        self.count = int(config.get("count", 100))
        self.batch = int(config.get("batch", 10))
        self.poison = int(config.get("poison", -1))
        self.fail_at = int(config.get("fail.at", -1))
        self.name = config["name"]
        assert self.context is not None
        offset = self.context.offset_storage_reader().offset({"source": self.name})
        self.next = int(offset["n"]) + 1 if offset else 0
        with _lock:
            POLL_FAILURES.setdefault(self.name, int(config.get("poll.retriable.failures", 0)))

    def poll(self) -> Sequence[SourceRecord]:
        with _lock:
            if POLL_FAILURES.get(self.name, 0) > 0:
                POLL_FAILURES[self.name] -= 1
                msg = "source unreachable"
                raise RetriableError(msg)
        out: list[SourceRecord] = []
        while self.next < self.count and len(out) < self.batch:
            n = self.next
            if n == self.fail_at:
                msg = f"poll failed at {n}"
                raise RuntimeError(msg)
            value: Any = {"n": n, "bad": object()} if n == self.poison else {"n": n}
            out.append(
                SourceRecord(self.topic, None, None, None, None, value,
                             source_partition={"source": self.name}, source_offset={"n": n})
            )  # fmt: skip
            self.next += 1
        return out

    def progress(self) -> dict[str, Any]:
        return {"phase": "counting", "done": self.next, "total": self.count, "unit": "records"}

    def commit(self) -> None:
        with _lock:
            COMMITTED.setdefault(self.name, []).append(self.next)

    def stop(self) -> None:
        return


class CountingTask(_Counting):
    """The counting task, with ``commit_record`` recording where each record went."""

    def commit_record(self, record: SourceRecord, metadata: RecordMetadata | None) -> None:
        with _lock:
            METADATA.setdefault(self.name, []).append(metadata)


class ColumnsTask(_Counting):
    """The counting task's records as one SourceRecordBatch per poll (no commit_record)."""

    def poll(self) -> SourceRecordBatch:
        """The same records as the counting task's, as one SourceRecordBatch."""
        values: list[Any] = []
        offsets = []
        while self.next < self.count and len(values) < self.batch:
            n = self.next
            values.append({"n": n, "bad": object()} if n == self.poison else {"n": n})
            offsets.append({"n": n})
            self.next += 1
        return SourceRecordBatch(self.topic, None, values, {"source": self.name}, offsets)


_KEY = SchemaBuilder.struct().name("k").field("id", Schema.INT64_SCHEMA).build()
_ROW = SchemaBuilder.struct().name("v").field("id", Schema.INT64_SCHEMA).field(
    "op", Schema.STRING_SCHEMA).build()  # fmt: skip


def _acknowledged(task: str, how: str, what: int) -> None:
    """Note in ``ACKED[task]`` what a task was told was written, and how."""
    with _lock:
        ACKED.setdefault(task, []).append((how, what))


class StructColumnsTask(_Counting):
    """Keyed, timestamped StructColumns batches, acknowledged with ``commit_batch``.

    With ``as.records=true`` it returns the records those batches stand for instead (the
    reference for the log's contents); ``commit_record`` and ``commit_batch`` record in
    ``ACKED[name]`` what was acknowledged, and how.
    """

    def poll(self) -> Sequence[SourceRecord]:
        ids = list(range(self.next, min(self.count, self.next + self.batch)))
        self.next += len(ids)
        n = len(ids)
        batch = SourceRecordBatch(
            self.topic, _ROW, StructColumns(_ROW, {"id": ids, "op": Repeat("c")}, n),
            {"source": self.name}, OffsetColumn({}, "n", ids),
            key_schema=_KEY, keys=StructColumns(_KEY, {"id": ids}, n),
            timestamps=[1_700_000_000_000 + i for i in ids],
        )  # fmt: skip
        return list(batch) if self.as_records else batch

    def start(self, config: Mapping[str, str]) -> None:
        super().start(config)
        self.as_records = config.get("as.records") == "true"

    def commit_record(self, record: SourceRecord, metadata: RecordMetadata | None) -> None:
        _acknowledged(self.name, "record", record.source_offset["n"])

    def commit_batch(self, batch: SourceRecordBatch) -> None:
        _acknowledged(self.name, "batch", len(batch))


class StructColumnsSource(CountingSource):
    """:class:`CountingSource` whose task polls :class:`StructColumnsTask` batches."""

    def task_class(self) -> type[SourceTask]:
        return StructColumnsTask


class BatchAckTask(ColumnsTask):
    """The columns task, acknowledging with ``commit_batch`` alone (in ``ACKED[name]``)."""

    def commit_batch(self, batch: SourceRecordBatch) -> None:
        _acknowledged(self.name, "batch", len(batch))


class BatchAckSource(CountingSource):
    """:class:`CountingSource` whose task is :class:`BatchAckTask`."""

    def task_class(self) -> type[SourceTask]:
        return BatchAckTask


class ColumnsSource(CountingSource):
    """:class:`CountingSource` whose task polls SourceRecordBatch columns."""

    def task_class(self) -> type[SourceTask]:
        return ColumnsTask


class CollectingSink(SinkConnector):
    """Keeps every record put in ``COLLECTED[name]``; ``fail.value`` makes put raise."""

    def version(self) -> str:
        return "1.0"

    def config_def(self) -> ConfigDef:
        return (
            ConfigDef()
            .define("fail.value", ConfigType.INT, -1, documentation="n whose put raises")
            .define("retriable.failures", ConfigType.INT, 0, documentation="transient puts")
            .define("errant.value", ConfigType.INT, -1, documentation="n reported as errant")
            .define(
                "fail.retriable.alone",
                ConfigType.INT,
                0,
                documentation="times fail.value put alone raises RetriableError first",
            )
        )

    def start(self, config: Mapping[str, str]) -> None:
        self.config = dict(config)

    def task_class(self) -> type[SinkTask]:
        return CollectingTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return [dict(self.config) for _ in range(max_tasks)]

    def stop(self) -> None:
        return


class CollectingTask(SinkTask):
    """See :class:`CollectingSink`."""

    def version(self) -> str:
        return "1.0"

    def start(self, config: Mapping[str, str]) -> None:
        self.name = config["name"]
        self.fail_value = int(config.get("fail.value", -1))
        self.errant_value = int(config.get("errant.value", -1))
        self.retriable_alone = int(config.get("fail.retriable.alone", 0))
        with _lock:
            PUT_FAILURES.setdefault(self.name, int(config.get("retriable.failures", 0)))

    def put(self, records: Sequence[SinkRecord]) -> None:
        with _lock:
            PUT_SIZES.setdefault(self.name, []).append(len(records))
            PUT_TYPES.setdefault(self.name, []).append(type(records).__name__)
            if self.name in OUTAGE:
                msg = "destination down"
                raise RetriableError(msg)
            alone = len(records) == 1 and _n(records[0]) == self.fail_value
            if alone and self.retriable_alone > 0:
                self.retriable_alone -= 1
                msg = "destination blip while isolating"
                raise RetriableError(msg)
            if PUT_FAILURES.get(self.name, 0) > 0:
                PUT_FAILURES[self.name] -= 1
                msg = "transient failure"
                raise RetriableError(msg)
        kept = []
        for r in records:
            if isinstance(r.value, dict) and r.value.get("n") == self.errant_value:
                assert self.context is not None
                reporter = self.context.errant_record_reporter()
                assert reporter is not None
                reporter.report(r, ValueError("errant")).result(timeout=5)
                continue
            kept.append(r)
            if isinstance(r.value, dict) and r.value.get("n") == self.fail_value:
                msg = f"cannot write {r.value}"
                raise ValueError(msg)
        with _lock:
            COLLECTED.setdefault(self.name, []).extend(kept)

    def flush(self, current_offsets: Mapping[TopicPartition, int]) -> None:
        with _lock:
            FLUSHED.setdefault(self.name, {}).update(current_offsets)

    def stop(self) -> None:
        return


def _n(record: SinkRecord) -> Any:
    return record.value.get("n") if isinstance(record.value, dict) else None


class Explode(Transformation[Any]):
    """Raises on the record whose value has ``n == 3`` (a transform failure)."""

    def apply(self, record: Any) -> Any:
        if isinstance(record.value, dict) and record.value.get("n") == 3:
            msg = "cannot transform n=3"
            raise ValueError(msg)
        return record


def registry() -> PluginRegistry:
    """Bundled converters/transforms plus the test connectors."""
    reg = PluginRegistry(entry_point_group=None)
    reg.register(CountingSource, "CountingSource")
    reg.register(ColumnsSource, "ColumnsSource")
    reg.register(StructColumnsSource, "StructColumnsSource")
    reg.register(BatchAckSource, "BatchAckSource")
    reg.register(CollectingSink, "CollectingSink")
    reg.register(Explode, "Explode")
    return reg


def values(name: str) -> list[Any]:
    """The values a collecting sink received so far."""
    with _lock:
        return [r.value for r in COLLECTED.get(name, [])]
