"""Where the registry keeps its state: an append-only, ordered record stream.

The registry's only state is the compacted ``_schemas`` topic of the hub's
log (:class:`LogStore`); every node rebuilds the registry by replaying it in
offset order, which is what makes ids agree between nodes.  The in-memory
twin (:class:`MemoryStore`) exists for unit tests, as Kafka Connect keeps an
in-memory twin of each backing store.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Iterator, Sequence
from typing import Any, Protocol

from schemas.errors import StoreError

SCHEMAS_TOPIC = "_schemas"
"""Confluent's default ``kafkastore.topic``."""

StoredRecord = tuple[int, bytes | None, bytes | None]
"""(offset, key, value) as read back from the store."""


class RegistryStore(Protocol):
    """The three calls the registry needs from its storage."""

    def append(self, records: Sequence[tuple[bytes, bytes | None]]) -> list[int]:
        """Append (key, value) records in order, durably; return their offsets."""
        ...

    def read(self, offset: int) -> Iterator[StoredRecord]:
        """Yield the records from ``offset`` to the current end, in offset order."""
        ...

    def end_offset(self) -> int:
        """The offset the next appended record will get."""
        ...


class MemoryStore:
    """A list in memory with the same contract; for tests only (nothing survives a restart)."""

    def __init__(self) -> None:
        self._records: list[tuple[bytes, bytes | None]] = []
        self._lock = threading.Lock()

    def append(self, records: Sequence[tuple[bytes, bytes | None]]) -> list[int]:
        with self._lock:
            start = len(self._records)
            self._records.extend(records)
            return list(range(start, start + len(records)))

    def read(self, offset: int) -> Iterator[StoredRecord]:
        with self._lock:
            tail = self._records[offset:]
        for i, (key, value) in enumerate(tail):
            yield offset + i, key, value

    def end_offset(self) -> int:
        with self._lock:
            return len(self._records)


class _LogLike(Protocol):
    """The part of :class:`hub.core_log.Log` the store uses (CONTRACT.md)."""

    def has_topic(self, name: str) -> bool: ...
    def create_topic(self, name: str, partitions: int = 1, configs: Any = None) -> Any: ...
    def append(
        self, topic: str, records: Sequence[Any], *, acks_fsync: bool | None = None
    ) -> Any: ...
    def read(self, topic: str, partition: int, offset: int, max_bytes: int = 1 << 20) -> Any: ...
    def end_offset(self, topic: str, partition: int) -> int: ...


class LogStore:
    """The ``_schemas`` topic of the hub's log: one partition, compacted, fsynced appends.

    Keys are unique per registration, so compaction never removes a
    registration record and the replay order (hence the ids) survives it;
    only config and mode records, which are last-writer-wins, get compacted.
    """

    def __init__(self, log: _LogLike, topic: str = SCHEMAS_TOPIC) -> None:
        self._log = log
        self._topic = topic
        core_log = importlib.import_module("hub.core_log")
        self._produce_record = core_log.ProduceRecord
        self._log_error: type[Exception] = core_log.LogError
        if not log.has_topic(topic):
            try:
                log.create_topic(topic, 1, {"cleanup.policy": "compact"})
            except self._log_error:
                if not log.has_topic(topic):  # lost a creation race: fine if it exists now
                    raise

    def append(self, records: Sequence[tuple[bytes, bytes | None]]) -> list[int]:
        batch = [self._produce_record(key=k, value=v, partition=0) for k, v in records]
        try:
            placed = self._log.append(self._topic, batch, acks_fsync=True)
        except self._log_error as exc:
            msg = f"Could not write to the {self._topic} topic: {exc}. Check the hub's data dir."
            raise StoreError(msg) from exc
        return [offset for _, offset in placed]

    def read(self, offset: int) -> Iterator[StoredRecord]:
        end = self.end_offset()
        while offset < end:
            try:
                fetched = self._log.read(self._topic, 0, offset)
            except self._log_error as exc:
                msg = f"Could not read the {self._topic} topic at offset {offset}: {exc}"
                raise StoreError(msg) from exc
            progressed = False
            for record in fetched.records(offset):
                yield record.offset, record.key, record.value
                offset = record.offset + 1
                progressed = True
            if not progressed:
                return

    def end_offset(self) -> int:
        return self._log.end_offset(self._topic, 0)
