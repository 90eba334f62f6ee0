"""Consumer-group committed offsets, stored in the compacted topic ``__consumer_offsets``.

Kafka keeps group offsets in its own log so they survive restarts and are
compacted to one record per (group, topic, partition); cdchub does the same and
uses Kafka's binary layouts (offset-commit key version 1, value version 3), so
the internal topic reads like Kafka's.  The in-memory table is rebuilt on
start by replaying the topic; deleting a group writes tombstones.
"""

from __future__ import annotations

import struct
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal, TypeAlias

from hub.core_log.errors import GroupIdNotFoundError, InvalidRequestError, LogError
from hub.core_log.log import Log
from hub.core_log.views import ProduceRecord

OFFSETS_TOPIC = "__consumer_offsets"
OFFSETS_TOPIC_CONFIGS = {"cleanup.policy": "compact", "segment.bytes": "104857600"}
_KEY_VERSION = 1
_VALUE_VERSION = 3
_I16 = struct.Struct(">h")
_VALUE_HEAD = struct.Struct(">hqi")  # version, offset, leader epoch
_I64 = struct.Struct(">q")

ResetTarget: TypeAlias = Literal["earliest", "latest"] | int | Mapping[str, int]
TopicPartition: TypeAlias = tuple[str, int]


@dataclass(frozen=True, slots=True)
class GroupPartitionLag:
    """One row of ``describe``: how far the group is behind on one partition."""

    topic: str
    partition: int
    committed: int
    end_offset: int
    lag: int


def _string(value: str) -> bytes:
    data = value.encode()
    return _I16.pack(len(data)) + data


def _read_string(buf: bytes, at: int) -> tuple[str, int]:
    (length,) = _I16.unpack_from(buf, at)
    start = at + 2
    return buf[start : start + length].decode(), start + length


def encode_key(group: str, topic: str, partition: int) -> bytes:
    """Kafka's OffsetCommitKey v1: version, group, topic, partition."""
    return _I16.pack(_KEY_VERSION) + _string(group) + _string(topic) + struct.pack(">i", partition)


def decode_key(key: bytes) -> tuple[str, str, int] | None:
    """(group, topic, partition), or None for keys of other kinds (e.g. group metadata)."""
    (version,) = _I16.unpack_from(key, 0)
    if version not in (0, 1):
        return None
    group, at = _read_string(key, 2)
    topic, at = _read_string(key, at)
    (partition,) = struct.unpack_from(">i", key, at)
    return group, topic, partition


def encode_value(offset: int, metadata: str, commit_ms: int) -> bytes:
    """Kafka's OffsetCommitValue v3: version, offset, leader epoch, metadata, commit time."""
    return _VALUE_HEAD.pack(_VALUE_VERSION, offset, -1) + _string(metadata) + _I64.pack(commit_ms)


def decode_value(value: bytes) -> tuple[int, str]:
    """(offset, metadata) of a v3 value (the only version cdchub writes)."""
    _version, offset, _epoch = _VALUE_HEAD.unpack_from(value, 0)
    metadata, _ = _read_string(value, _VALUE_HEAD.size)
    return offset, metadata


class GroupOffsets:
    """Commit, look up, describe (lag) and reset consumer-group offsets."""

    def __init__(self, log: Log) -> None:
        self._log = log
        self._lock = threading.Lock()
        self._offsets: dict[str, dict[TopicPartition, tuple[int, str]]] = {}
        if not log.has_topic(OFFSETS_TOPIC):
            log.create_topic(OFFSETS_TOPIC, 1, OFFSETS_TOPIC_CONFIGS)
        self._replay()

    def _replay(self) -> None:
        partition = self._log.partition(OFFSETS_TOPIC, 0)
        for batch in partition.batches():
            for record in batch.records():
                if record.key is not None:
                    self._apply(record.key, record.value)

    def _apply(self, key: bytes, value: bytes | None) -> None:
        decoded = decode_key(key)
        if decoded is None:
            return
        group, topic, partition = decoded
        offsets = self._offsets.setdefault(group, {})
        if value is None:
            offsets.pop((topic, partition), None)
            if not offsets:
                del self._offsets[group]
        else:
            offsets[(topic, partition)] = decode_value(value)

    def commit(
        self, group: str, offsets: Mapping[tuple[str, int], int], metadata: str = ""
    ) -> None:
        """Durably record ``offsets`` (the next offset to consume per partition) for ``group``."""
        if not group:
            msg = "A consumer group id must be a non-empty string."
            raise InvalidRequestError(msg)
        now = int(time.time() * 1000)
        records = []
        for (topic, partition), offset in offsets.items():
            if offset < 0:
                msg = f"Cannot commit negative offset {offset} for {topic}-{partition}."
                raise InvalidRequestError(msg)
            value = encode_value(offset, metadata, now)
            records.append(ProduceRecord(encode_key(group, topic, partition), value))
        self._write(records)

    def _write(self, records: list[ProduceRecord]) -> None:
        if not records:
            return
        with self._lock:
            self._log.append(OFFSETS_TOPIC, records, acks_fsync=True)
            for record in records:
                assert record.key is not None
                self._apply(record.key, record.value)

    def committed(self, group: str, topic: str, partition: int) -> int | None:
        entry = self._offsets.get(group, {}).get((topic, partition))
        return entry[0] if entry else None

    def list_groups(self) -> list[str]:
        return sorted(self._offsets)

    def _group(self, group: str) -> dict[TopicPartition, tuple[int, str]]:
        offsets = self._offsets.get(group)
        if not offsets:
            msg = f"Consumer group {group!r} has no committed offsets; check the group id."
            raise GroupIdNotFoundError(msg)
        return offsets

    def describe(self, group: str) -> list[GroupPartitionLag]:
        """Committed offset, end offset and lag of every partition the group committed."""
        rows = []
        for (topic, partition), (offset, _meta) in sorted(self._group(group).items()):
            try:
                end = self._log.end_offset(topic, partition)
            except LogError:
                end = offset  # the topic was deleted: report no lag rather than fail
            rows.append(GroupPartitionLag(topic, partition, offset, end, max(0, end - offset)))
        return rows

    def delete_group(self, group: str) -> None:
        """Forget every committed offset of ``group`` (tombstones, compacted away later)."""
        keys = list(self._group(group))
        self._write([ProduceRecord(encode_key(group, t, p), None) for t, p in keys])

    def delete_offsets(self, group: str, partitions: Iterable[tuple[str, int]]) -> None:
        """Forget ``group``'s committed offsets for some partitions (tombstones).

        Partitions the group never committed are ignored, so the call is idempotent.
        """
        known = self._offsets.get(group, {})
        doomed = [tp for tp in partitions if tp in known]
        self._write([ProduceRecord(encode_key(group, t, p), None) for t, p in doomed])

    def reset(
        self,
        group: str,
        topic: str,
        to: ResetTarget,
        partitions: Iterable[int] | None = None,
    ) -> dict[tuple[str, int], int]:
        """Move ``group``'s offsets on ``topic`` to earliest, latest, an offset or a timestamp."""
        chosen = (
            list(partitions)
            if partitions is not None
            else range(len(self._log.describe_topic(topic).partitions))
        )
        targets = {(topic, p): self._target(topic, p, to) for p in chosen}
        self.commit(group, targets)
        return targets

    def _target(self, topic: str, partition: int, to: ResetTarget) -> int:
        start = self._log.start_offset(topic, partition)
        end = self._log.end_offset(topic, partition)
        if to == "earliest":
            return start
        if to == "latest":
            return end
        if isinstance(to, int) and not isinstance(to, bool):
            return min(max(to, start), end)
        if isinstance(to, Mapping) and isinstance(to.get("timestamp"), int):
            found = self._log.offset_for_timestamp(topic, partition, to["timestamp"])
            return end if found is None else found
        msg = (
            f"Cannot reset to {to!r}: use 'earliest', 'latest', an offset (int) "
            'or {"timestamp": <ms since epoch>}.'
        )
        raise InvalidRequestError(msg)
