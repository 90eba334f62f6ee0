"""Filter: drop records; used with a predicate to drop only some (Kafka's ``Filter``)."""

from __future__ import annotations

from connectors.api import ConnectRecord, Transformation


class Filter(Transformation[ConnectRecord]):
    """Drops every record it sees; pair it with ``predicate``/``negate`` to choose which."""

    def version(self) -> str:
        return "1.0"

    def apply(self, record: ConnectRecord) -> ConnectRecord | None:
        return None
