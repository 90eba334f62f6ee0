"""Source offsets on ``_hub_offsets``, keyed like Kafka Connect's offsets topic.

Key = JSON ``["<connector>", {<source partition>}]``, value = JSON ``{<source offset>}``
(null = that partition was reset). Offsets survive connector deletion, as in Kafka
Connect: recreating a connector with the same name resumes where it was, unless the
offsets were reset (``DELETE /connectors/{n}/offsets``) first.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from workers.backing import Backing, decode, encode

OFFSETS_TOPIC = "_hub_offsets"

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
        for key, value in backing.replay():
            self._apply(decode(key), decode(value))

    def _apply(self, key: Any, value: Any) -> None:
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

    def put(self, connector: str, offsets: Mapping[PartitionKey, dict[str, Any] | None]) -> None:
        """Durably store offsets (None resets a partition); returns once fsynced."""
        if not offsets:
            return
        entries = [
            (encode([connector, decode(p)]), None if o is None else encode(o))
            for p, o in offsets.items()
        ]
        with self._lock:
            self._backing.write(entries)
            table = self._offsets.setdefault(connector, {})
            for p, o in offsets.items():
                if o is None:
                    table.pop(p, None)
                else:
                    table[p] = dict(o)

    def reset(self, connector: str) -> None:
        """Forget every offset of a connector (tombstones)."""
        self.put(connector, dict.fromkeys(self._offsets.get(connector, {})))
