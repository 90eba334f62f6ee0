"""Where the runtime's state lives: a compacted topic on the log, or memory (the twin).

Kafka Connect keeps connector configs, source offsets and statuses in three compacted
topics and rebuilds its state by replaying them at startup. The stores in this package
(:mod:`workers.config_store`, :mod:`workers.offset_store`, :mod:`workers.status_store`)
hold their state in memory and write every change through a :class:`Backing`:

* :class:`LogBacking` - one compacted topic on the hub's log; writes are fsynced before
  they return, so an acknowledged change survives a crash;
* :class:`MemoryBacking` - a list, for unit tests and embedding (the in-memory twin).
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from typing import Any

import orjson

from hub.core_log import Log, ProduceRecord

Entry = tuple[bytes, bytes | None]
"""A key and its value (None = tombstone: the key was deleted)."""

COMPACTED = {"cleanup.policy": "compact"}


def encode(value: Any) -> bytes:
    """The JSON bytes stored for a key or value (sorted keys: equal maps, equal keys)."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def decode(data: bytes | None) -> Any:
    """Inverse of :func:`encode`; None stays None (a tombstone)."""
    return None if data is None else orjson.loads(data)


class Backing(ABC):
    """An append-only sequence of key/value entries, replayed in order at startup."""

    @abstractmethod
    def write(self, entries: Sequence[Entry]) -> None:
        """Append durably (returns once the entries survive a crash)."""

    @abstractmethod
    def replay(self) -> Iterator[Entry]:
        """Every entry written so far (compaction may have dropped superseded ones)."""


class MemoryBacking(Backing):
    """The in-memory twin: keeps every entry in a list (nothing survives the process)."""

    def __init__(self) -> None:
        self.entries: list[Entry] = []
        self._lock = threading.Lock()

    def write(self, entries: Sequence[Entry]) -> None:
        with self._lock:
            self.entries.extend(entries)

    def replay(self) -> Iterator[Entry]:
        with self._lock:
            return iter(list(self.entries))


class LogBacking(Backing):
    """A compacted single-partition topic of the hub's log (created when missing).

    One partition keeps the entries in write order, which the config store relies on
    (task configs are only valid once their commit record follows them).
    """

    def __init__(self, log: Log, topic: str) -> None:
        self.log = log
        self.topic = topic
        self._lock = threading.Lock()
        if not log.has_topic(topic):
            log.create_topic(topic, 1, COMPACTED)

    def write(self, entries: Sequence[Entry]) -> None:
        if not entries:
            return
        records = [ProduceRecord(key=k, value=v, partition=0) for k, v in entries]
        with self._lock:
            self.log.append(self.topic, records, acks_fsync=True)

    def replay(self) -> Iterator[Entry]:
        for batch in self.log.partition(self.topic, 0).batches():
            for record in batch.records():
                if record.key is not None:
                    yield record.key, record.value
