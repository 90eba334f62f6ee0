"""The log: topics made of partitions, with Kafka's partitioning, configs and on-disk layout.

``Log`` is the one object the rest of cdchub talks to.  It owns the data
directory (an exclusive lock file keeps a second process out), the topic
metadata (``<data>/.topics/<topic>.json``: partition count and config
overrides, written atomically) and the background threads: a flusher that
honours ``flush.ms`` and a cleaner that applies retention and compaction.

Producing builds one batch per partition per call outside any lock, so
concurrent producers only serialize on the single ``pwritev`` that stores it.
"""

from __future__ import annotations

import itertools
import operator
import os
import shutil
import threading
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from pathlib import Path
from types import TracebackType

import orjson

from hub.core_log.configs import (
    TopicConfig,
    check_config_name,
    effective_configs,
    validate_configs,
    validate_topic_name,
)
from hub.core_log.errors import (
    CorruptRecordError,
    InvalidPartitionsError,
    InvalidRequestError,
    LogError,
    RecordTooLargeError,
    TopicAlreadyExistsError,
    UnknownTopicOrPartitionError,
)
from hub.core_log.locking import DirLock
from hub.core_log.partition import Partition, fsync_dir
from hub.core_log.partitioner import partitions_for_keys
from hub.core_log.records import (
    CompressionType,
    RecordBatch,
    RecordColumns,
    TimestampType,
    build_batch_parts,
    iter_batches,
    partition_for_key,
    stamp_log_append_time,
)
from hub.core_log.retention import Maintenance
from hub.core_log.views import FetchResult, PartitionInfo, ProduceRecord, TopicDescription

TOPICS_DIR = ".topics"
DELETED_SUFFIX = "-delete"
_VALUE_OF = operator.attrgetter("value")
_HEADERS_OF = operator.attrgetter("headers")
_TIMESTAMP_OF = operator.attrgetter("timestamp")
_PARTITION_OF = operator.attrgetter("partition")
_Span = tuple[int, list[int] | None, int, int]
"""What one append wrote to one partition: (partition, input indexes of its records or None
for all of them, first offset, count)."""
_KEY_OF = operator.attrgetter("key")
_DEFAULT_PARTITIONS = frozenset({None, 0})


@dataclass
class _Topic:
    name: str
    overrides: dict[str, str]
    config: TopicConfig
    partitions: list[Partition] = field(default_factory=list)
    sticky: itertools.count[int] = field(default_factory=itertools.count)

    @property
    def internal(self) -> bool:
        return self.name.startswith("_")


class Log:
    """Topics and partitions in one data directory (see the module docstring)."""

    def __init__(
        self,
        data_dir: str | os.PathLike[str],
        *,
        defaults: Mapping[str, str] | None = None,
        maintenance_interval_ms: int = 5000,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.defaults = validate_configs(defaults)
        self._dir_lock = DirLock(self.data_dir)
        self._dir_lock.acquire()
        self._lock = threading.RLock()
        self._topics: dict[str, _Topic] = {}
        self._closed = False
        try:
            (self.data_dir / TOPICS_DIR).mkdir(exist_ok=True)
            self._load_topics()
        except BaseException:
            self._close_partitions()
            self._dir_lock.release()
            raise
        self._maintenance = Maintenance(self._all_partitions, maintenance_interval_ms)
        self._maintenance.start()

    # -- lifecycle ----------------------------------------------------------------------------

    def close(self) -> None:
        """Stop background work, fsync and close every file, release the directory lock."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._maintenance.stop()
        self._close_partitions()
        self._dir_lock.release()

    def __enter__(self) -> Log:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _close_partitions(self) -> None:
        for partition in self._all_partitions():
            partition.close()

    def _all_partitions(self) -> list[Partition]:
        return [p for t in list(self._topics.values()) for p in t.partitions]

    def flush(self) -> None:
        """Fsync everything now."""
        for partition in self._all_partitions():
            partition.flush()

    def run_maintenance(self) -> None:
        """Apply retention and compaction to every partition now (normally in the background)."""
        self._maintenance.run_once()

    # -- topic metadata -----------------------------------------------------------------------

    def _meta_path(self, name: str) -> Path:
        return self.data_dir / TOPICS_DIR / f"{name}.json"

    def _load_topics(self) -> None:
        for leftover in self.data_dir.glob(f"*{DELETED_SUFFIX}"):
            shutil.rmtree(leftover, ignore_errors=True)  # a delete_topic cut short
        for path in sorted((self.data_dir / TOPICS_DIR).glob("*.json")):
            name, partitions, overrides = self._read_meta(path)
            topic = self._new_topic(name, overrides)
            self._topics[topic.name] = topic  # registered first so a failure closes its partitions
            for p in range(partitions):
                topic.partitions.append(self._open_partition(topic, p))

    @staticmethod
    def _read_meta(path: Path) -> tuple[str, int, dict[str, str]]:
        try:
            meta = orjson.loads(path.read_bytes())
            overrides = validate_configs({str(k): str(v) for k, v in meta["configs"].items()})
            return str(meta["name"]), int(meta["partitions"]), overrides
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, LogError) as exc:
            msg = (
                f"Topic metadata {path} is unreadable ({exc}); restore it from a backup, or "
                "delete it together with its <topic>-<partition> directories to drop the topic."
            )
            raise LogError(msg) from exc

    def _new_topic(self, name: str, overrides: dict[str, str]) -> _Topic:
        config = TopicConfig.parse(effective_configs(overrides, self.defaults))
        return _Topic(name, overrides, config)

    def _open_partition(self, topic: _Topic, index: int) -> Partition:
        directory = self.data_dir / f"{topic.name}-{index}"
        return Partition.open(directory, topic.name, index, topic.config)

    def _save_topic(self, topic: _Topic) -> None:
        meta = {"name": topic.name, "partitions": len(topic.partitions), "configs": topic.overrides}
        path = self._meta_path(topic.name)
        tmp = path.with_name(path.name + ".tmp")
        with open(tmp, "wb") as f:
            f.write(orjson.dumps(meta, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        fsync_dir(path.parent)

    def _topic(self, name: str) -> _Topic:
        topic = self._topics.get(name)
        if topic is None:
            msg = f"Topic {name!r} does not exist; create it first (hub topics create {name})."
            raise UnknownTopicOrPartitionError(msg)
        return topic

    def _partition(self, topic: str, partition: int) -> Partition:
        partitions = self._topic(topic).partitions
        if not 0 <= partition < len(partitions):
            msg = (
                f"Topic {topic!r} has no partition {partition}; "
                f"valid partitions are 0..{len(partitions) - 1}."
            )
            raise UnknownTopicOrPartitionError(msg)
        return partitions[partition]

    def create_topic(
        self, name: str, partitions: int = 1, configs: Mapping[str, str] | None = None
    ) -> TopicDescription:
        """Create a topic with ``partitions`` partitions and validated config overrides."""
        validate_topic_name(name)
        overrides = validate_configs(configs)
        if partitions < 1:
            msg = f"Topic {name!r} needs at least 1 partition (got {partitions})."
            raise InvalidPartitionsError(msg)
        with self._lock:
            if name in self._topics:
                msg = f"Topic {name!r} already exists; use alter to change its configs."
                raise TopicAlreadyExistsError(msg)
            topic = self._new_topic(name, overrides)
            topic.partitions.extend(self._open_partition(topic, p) for p in range(partitions))
            self._save_topic(topic)
            self._topics[name] = topic
        return self.describe_topic(name)

    def delete_topic(self, name: str) -> None:
        """Remove a topic and its data (directories are renamed away first, then deleted)."""
        with self._lock:
            topic = self._topic(name)
            del self._topics[name]
            doomed = []
            for partition in topic.partitions:
                partition.close()
                target = partition.directory.with_name(
                    f"{partition.directory.name}.{uuid.uuid4().hex}{DELETED_SUFFIX}"
                )
                os.replace(partition.directory, target)
                doomed.append(target)
            # metadata last: a crash before this line leaves the topic, empty, not stale data
            self._meta_path(name).unlink(missing_ok=True)
        for target in doomed:
            shutil.rmtree(target, ignore_errors=True)

    def list_topics(self, *, include_internal: bool = False) -> list[str]:
        return sorted(n for n, t in self._topics.items() if include_internal or not t.internal)

    def has_topic(self, name: str) -> bool:
        return name in self._topics

    def describe_topic(self, name: str) -> TopicDescription:
        topic = self._topic(name)
        infos = [
            PartitionInfo(
                p.index, p.log_start_offset, p.high_watermark, p.size_bytes, len(p.view.segments)
            )
            for p in topic.partitions
        ]
        configs = effective_configs(topic.overrides, self.defaults)
        return TopicDescription(name, infos, configs, topic.internal)

    def alter_topic_configs(
        self, name: str, set: Mapping[str, str] | None = None, delete: Iterable[str] = ()
    ) -> TopicDescription:
        """Set and/or remove overrides; the change applies to new appends and maintenance."""
        updates = validate_configs(set)
        removals = list(delete)
        for key in removals:
            check_config_name(key)
        with self._lock:
            topic = self._topic(name)
            overrides = {k: v for k, v in topic.overrides.items() if k not in removals}
            overrides.update(updates)
            topic.overrides = overrides
            topic.config = TopicConfig.parse(effective_configs(overrides, self.defaults))
            for partition in topic.partitions:
                partition.update_config(topic.config)
            self._save_topic(topic)
        return self.describe_topic(name)

    def create_partitions(self, name: str, total: int) -> TopicDescription:
        """Grow a topic to ``total`` partitions (Kafka cannot shrink one either)."""
        with self._lock:
            topic = self._topic(name)
            current = len(topic.partitions)
            if total <= current:
                msg = (
                    f"Topic {name!r} already has {current} partitions; the new total must be "
                    f"larger (partitions can only be added)."
                )
                raise InvalidPartitionsError(msg)
            new = [self._open_partition(topic, p) for p in range(current, total)]
            topic.partitions = [*topic.partitions, *new]
            self._save_topic(topic)
        return self.describe_topic(name)

    # -- produce ------------------------------------------------------------------------------

    def append(
        self, topic: str, records: Sequence[ProduceRecord], *, acks_fsync: bool | None = None
    ) -> list[tuple[int, int]]:
        """Append records; returns (partition, offset) per record in input order."""
        return self.append_columns(
            topic,
            list(map(_KEY_OF, records)),  # C-speed attribute gathering, column by column
            list(map(_VALUE_OF, records)),
            headers=list(map(_HEADERS_OF, records)),
            timestamps=list(map(_TIMESTAMP_OF, records)),
            partitions=list(map(_PARTITION_OF, records)),
            acks_fsync=acks_fsync,
        )

    def append_columns(
        self,
        topic: str,
        keys: Sequence[bytes | None],
        values: Sequence[bytes | None],
        *,
        headers: Sequence[Sequence[tuple[str, bytes | None]]] | None = None,
        timestamps: Sequence[int | None] | None = None,
        partitions: Sequence[int | None] | None = None,
        acks_fsync: bool | None = None,
    ) -> list[tuple[int, int]]:
        """:meth:`append` for records held as columns (one entry per record in each).

        What a caller that converted a batch column by column holds (the connector
        runtime): no ProduceRecord per record. ``None`` for a column means "none of the
        records has one" (no headers, timestamp now, partition by key).

        Raises:
            ValueError: the columns differ in length.
            UnknownTopicOrPartitionError: no such topic or partition.
        """
        count = len(keys)
        lengths = {len(c) for c in (values, headers, timestamps, partitions) if c is not None}
        if lengths - {count}:
            msg = f"append_columns got {count} keys but columns of {sorted(lengths)} entries."
            raise ValueError(msg)
        columns = RecordColumns(keys, values, headers, timestamps)
        return _positions(self._place(topic, columns, partitions, None, acks_fsync), count)

    def append_kv(
        self,
        topic: str,
        keys: Sequence[bytes | None],
        values: Sequence[bytes | None],
        *,
        partition: int | None = None,
        acks_fsync: bool | None = None,
    ) -> list[tuple[int, int]]:
        """Append records given as key and value columns (no headers, timestamps = now).

        The same as :meth:`append` with ``ProduceRecord(key=k, value=v,
        partition=partition)`` per pair, without building those objects: for
        callers that hold plain bytes (REST produce, benchmarks, bulk loads)
        that is about half of the cost of producing.

        Raises:
            ValueError: ``keys`` and ``values`` differ in length.
            UnknownTopicOrPartitionError: no such topic or partition.
        """
        _check_kv(keys, values)
        columns = RecordColumns(keys, values)
        return _positions(self._place(topic, columns, None, partition, acks_fsync), len(keys))

    def append_kv_spans(
        self,
        topic: str,
        keys: Sequence[bytes | None],
        values: Sequence[bytes | None],
        *,
        partition: int | None = None,
        timestamps: Sequence[int | None] | None = None,
        acks_fsync: bool | None = None,
    ) -> list[tuple[int, int, int]]:
        """:meth:`append_kv`, answering (partition, first offset, count) per partition.

        For callers that only need where the records went, not a position per record (the
        connector runtime): building a million position pairs costs more than it tells.
        ``timestamps`` (one per record, None meaning now) as in :meth:`append_columns`.
        """
        _check_kv(keys, values)
        if timestamps is not None and len(timestamps) != len(keys):
            msg = f"append_kv_spans got {len(keys)} keys but {len(timestamps)} timestamps."
            raise ValueError(msg)
        columns = RecordColumns(keys, values, None, timestamps)
        spans = self._place(topic, columns, None, partition, acks_fsync)
        return [(p, base, count) for p, _, base, count in spans]

    def _place(
        self,
        topic: str,
        columns: RecordColumns,
        partitions: Sequence[int | None] | None,
        pinned: int | None,
        acks_fsync: bool | None,
    ) -> list[_Span]:
        """Group the records by partition (all in ``pinned`` when given) and store them."""
        t = self._topic(topic)
        if not columns.keys:
            return []
        groups: dict[int, list[int] | None]
        if pinned is not None:
            self._check_partition(t, pinned)
            groups = {pinned: None}
        elif len(t.partitions) == 1 and (
            partitions is None or set(partitions) <= _DEFAULT_PARTITIONS
        ):
            groups = {0: None}
        else:
            groups = self._assign(t, columns.keys, partitions)
        return self._store(t, groups, columns, acks_fsync)

    def _store(
        self,
        t: _Topic,
        groups: dict[int, list[int] | None],
        columns: RecordColumns,
        acks_fsync: bool | None,
    ) -> list[_Span]:
        """Build one batch per partition and write it; what went where, per partition."""
        now = int(time.time() * 1000)
        built = [
            (p, idxs, self._build(t, columns if idxs is None else columns.select(idxs), now))
            for p, idxs in groups.items()
        ]
        total = len(columns.keys)
        spans: list[_Span] = []
        for p, idxs, batch in built:
            count = total if idxs is None else len(idxs)
            spans.append((p, idxs, t.partitions[p].append(batch, count, fsync=acks_fsync), count))
        return spans

    @staticmethod
    def _check_partition(t: _Topic, p: int) -> None:
        n = len(t.partitions)
        if not 0 <= p < n:
            msg = f"Topic {t.name!r} has no partition {p}; valid are 0..{n - 1}."
            raise UnknownTopicOrPartitionError(msg)

    def _assign(
        self,
        t: _Topic,
        keys: Sequence[bytes | None],
        partitions: Sequence[int | None] | None,
    ) -> dict[int, list[int] | None]:
        """Group record indexes by partition: explicit, else by key hash, else sticky."""
        n = len(t.partitions)
        sticky = next(t.sticky) % n
        if partitions is None or partitions.count(None) == len(partitions):
            if None in keys:
                chosen = [sticky if k is None else partition_for_key(k, n) for k in keys]
            else:  # every record keyed: hash the column in one pass
                chosen = partitions_for_keys(keys, n)  # type: ignore[arg-type]
        else:
            chosen = []
            for key, p in zip(keys, partitions, strict=True):
                if p is None:
                    p = sticky if key is None else partition_for_key(key, n)
                else:
                    self._check_partition(t, p)
                chosen.append(p)
        groups: dict[int, list[int] | None] = {p: [] for p in set(chosen)}
        appenders = {p: group.append for p, group in groups.items() if group is not None}
        for i, p in enumerate(chosen):
            appenders[p](i)
        return groups

    def _build(self, t: _Topic, columns: RecordColumns, now: int) -> list[bytes]:
        config = t.config
        # the batch as buffers for the segment's pwritev: joining would copy it once more
        parts = build_batch_parts(
            columns,
            compression=CompressionType.from_name(config.compression),
            timestamp_type=(
                TimestampType.LOG_APPEND_TIME
                if config.log_append_time
                else TimestampType.CREATE_TIME
            ),
            now_ms=now,
        )
        size = sum(map(len, parts))
        if size > config.max_message_bytes:
            msg = (
                f"The batch for topic {t.name!r} is {size} bytes, larger than its "
                f"max.message.bytes ({config.max_message_bytes}); send fewer or smaller records "
                "or raise max.message.bytes."
            )
            raise RecordTooLargeError(msg)
        return parts

    def append_batch(self, topic: str, partition: int, batch: bytes) -> int:
        """Store producer batches (v2, back to back) as-is with offsets stamped; first base."""
        target = self._partition(topic, partition)
        config = self._topic(topic).config
        parsed = self._validate_batches(batch, config.max_message_bytes)
        first = -1
        for item in parsed:
            data: bytes | bytearray | memoryview = item.buffer
            if config.log_append_time:
                data = bytearray(data)
                stamp_log_append_time(data, int(time.time() * 1000))
            base = target.append(data, item.last_offset_delta + 1, fsync=None)
            first = base if first < 0 else first
        return first

    @staticmethod
    def _validate_batches(data: bytes, max_bytes: int) -> list[RecordBatch]:
        batches = list(iter_batches(data))
        covered = sum(b.size_in_bytes for b in batches)
        if not batches or covered != len(data):
            msg = f"The produce request holds {len(data)} bytes, not whole v2 record batches."
            raise CorruptRecordError(msg)
        for b in batches:
            b.validate_crc()
            if b.size_in_bytes > max_bytes:
                msg = f"Batch of {b.size_in_bytes} bytes exceeds max.message.bytes ({max_bytes})."
                raise RecordTooLargeError(msg)
            if b.record_count != b.last_offset_delta + 1 or b.record_count == 0:
                msg = "Batch record count does not match its offset delta; rejecting it."
                raise InvalidRequestError(msg)
        return batches

    # -- consume ------------------------------------------------------------------------------

    def read(
        self,
        topic: str,
        partition: int,
        offset: int,
        max_bytes: int = 1 << 20,
        *,
        max_wait_ms: int = 0,
        min_bytes: int = 1,
    ) -> FetchResult:
        """Whole batches from ``offset``; waits up to ``max_wait_ms`` for ``min_bytes``."""
        p = self._partition(topic, partition)
        deadline = time.monotonic() + max_wait_ms / 1000
        while True:
            seen = p.high_watermark
            data = p.read(offset, max_bytes)
            remaining = deadline - time.monotonic()
            if len(data) >= min_bytes or remaining <= 0:
                break
            with p.changed:
                if p.high_watermark == seen and not p.closed:
                    p.changed.wait(remaining)
                if p.closed:
                    break
        return FetchResult(data, p.high_watermark, p.log_start_offset)

    def offset_for_timestamp(self, topic: str, partition: int, timestamp_ms: int) -> int | None:
        """First offset whose timestamp is >= ``timestamp_ms`` (None if every record is older)."""
        return self._partition(topic, partition).offset_for_timestamp(timestamp_ms)

    def start_offset(self, topic: str, partition: int) -> int:
        return self._partition(topic, partition).log_start_offset

    def end_offset(self, topic: str, partition: int) -> int:
        return self._partition(topic, partition).high_watermark

    def partition(self, topic: str, partition: int) -> Partition:
        """The partition object itself (maintenance, tests, the wire-protocol listener)."""
        return self._partition(topic, partition)


def _positions(spans: list[_Span], total: int) -> list[tuple[int, int]]:
    """(partition, offset) per record in input order, from what :meth:`Log._store` wrote."""
    if len(spans) == 1 and spans[0][1] is None:
        p, _, base, count = spans[0]
        return list(zip(repeat(p, count), range(base, base + count), strict=True))
    result: list[tuple[int, int]] = [(0, 0)] * total
    for p, idxs, base, count in spans:
        for at, offset in zip(idxs or range(count), range(base, base + count), strict=True):
            result[at] = (p, offset)
    return result


def _check_kv(keys: Sequence[bytes | None], values: Sequence[bytes | None]) -> None:
    if len(values) != len(keys):
        msg = (
            f"append_kv got {len(keys)} keys but {len(values)} values; pass one key "
            "(None for no key) per value."
        )
        raise ValueError(msg)
