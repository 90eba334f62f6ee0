"""Source offsets on ``_hub_offsets``, keyed like Kafka Connect's offsets topic.

Key = JSON ``["<connector>", {<source partition>}]``, value = JSON ``{<source offset>}``
(null = that partition was reset). cdchub adds one key per source task,
``["<connector>", <task number>]`` -> ``{"log_end": [[topic, partition, end offset], ...]}``:
where the log ended when the task last committed, written in the same fsynced batch as the
offsets. After a crash, the records past those ends were written after the last commit and
will be written again (at-least-once); the task counts them when it starts. Offsets
survive connector deletion, as in Kafka Connect: recreating a connector with the same name
resumes where it was, unless the offsets were reset (``DELETE /connectors/{n}/offsets``) first.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from workers.backing import Backing, decode, encode

OFFSETS_TOPIC = "_hub_offsets"

LogEnd = tuple[str, int, int]
"""(topic, partition, end offset)."""

PartitionKey = bytes
"""The canonical JSON of a source partition map (sorted keys), used as dict key."""


def partition_key(partition: Mapping[str, Any]) -> PartitionKey:
    """Canonical form of a source partition, so equal maps find the same offset."""
    return encode(dict(partition))


class OffsetStore:
    """Committed source offsets per connector and source partition."""

    def __init__(self, backing: Backing) -> None:
        self._backing = backing
        self._lock = threading.Lock()
        self._offsets: dict[str, dict[PartitionKey, dict[str, Any]]] = {}
        self._marks: dict[tuple[str, int], list[LogEnd]] = {}
        for key, value in backing.replay():
            self._apply(decode(key), decode(value))

    def _apply(self, key: Any, value: Any) -> None:
        if isinstance(key, list) and len(key) == 2 and type(key[1]) is int:
            self._apply_mark((str(key[0]), key[1]), value)
            return
        if not (isinstance(key, list) and len(key) == 2 and isinstance(key[1], dict)):
            return
        connector, partition = str(key[0]), partition_key(key[1])
        table = self._offsets.setdefault(connector, {})
        if value is None:
            table.pop(partition, None)
        else:
            table[partition] = value

    def get(self, connector: str, partition: Mapping[str, Any]) -> dict[str, Any] | None:
        found = self._offsets.get(connector, {}).get(partition_key(partition))
        return dict(found) if found is not None else None

    def offsets(self, connector: str) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        """Every (partition, offset) pair of a connector, in partition key order."""
        table = self._offsets.get(connector, {})
        return [(decode(k), dict(v)) for k, v in sorted(table.items())]

    def _apply_mark(self, task: tuple[str, int], value: Any) -> None:
        if value is None:
            self._marks.pop(task, None)
        else:
            self._marks[task] = [(str(t), int(p), int(e)) for t, p, e in value["log_end"]]

    def log_end(self, connector: str, task: int) -> list[LogEnd]:
        """(topic, partition, end offset) of the log at the task's last commit, if recorded."""
        return list(self._marks.get((connector, task), []))

    def put(
        self,
        connector: str,
        offsets: Mapping[PartitionKey, dict[str, Any] | None],
        log_end: tuple[int, list[LogEnd]] | None = None,
    ) -> None:
        """Durably store offsets (None resets a partition); returns once fsynced.

        ``log_end`` = (task, where the log ends now), stored in the same batch.
        """
        if not offsets and log_end is None:
            return
        entries = [
            (encode([connector, decode(p)]), None if o is None else encode(o))
            for p, o in offsets.items()
        ]
        if log_end is not None:
            mark = {"log_end": [list(e) for e in log_end[1]]}
            entries.append((encode([connector, log_end[0]]), encode(mark)))
        with self._lock:
            self._backing.write(entries)
            if log_end is not None:
                self._marks[(connector, log_end[0])] = list(log_end[1])
            table = self._offsets.setdefault(connector, {})
            for p, o in offsets.items():
                if o is None:
                    table.pop(p, None)
                else:
                    table[p] = dict(o)

    def reset(self, connector: str) -> None:
        """Forget every offset of a connector (tombstones), and its log-end marks."""
        self.put(connector, dict.fromkeys(self._offsets.get(connector, {})))
        marks = [(c, t) for c, t in self._marks if c == connector]
        if marks:
            with self._lock:
                self._backing.write([(encode([c, t]), None) for c, t in marks])
                for mark in marks:
                    self._marks.pop(mark, None)
