"""Events that are not row changes: heartbeats, transaction BEGIN/END, logical messages.

Heartbeats matter for WAL hygiene: when the captured tables are idle but others are busy, no
data event ever carries a newer LSN, so the slot's confirmed position would never move and
PostgreSQL would keep WAL forever. A heartbeat record carries the current WAL position; once
it is durable the slot may be confirmed up to there.
"""

from __future__ import annotations

import time
from typing import Any

from connectors.api import Schema, SchemaBuilder, SourceRecord, Struct
from connectors.sources.postgres_cdc.envelope import SOURCE_SCHEMA, fast_struct

HEARTBEAT_KEY = (
    SchemaBuilder.struct()
    .name("io.debezium.connector.common.ServerNameKey")
    .field("serverName", Schema.STRING_SCHEMA)
    .build()
)
HEARTBEAT_VALUE = (
    SchemaBuilder.struct()
    .name("io.debezium.connector.common.Heartbeat")
    .field("ts_ms", Schema.INT64_SCHEMA)
    .build()
)
TX_KEY = (
    SchemaBuilder.struct()
    .name("io.debezium.connector.common.TransactionMetadataKey")
    .field("id", Schema.STRING_SCHEMA)
    .build()
)
_COLLECTION = (
    SchemaBuilder.struct()
    .field("data_collection", Schema.STRING_SCHEMA)
    .field("event_count", Schema.INT64_SCHEMA)
    .build()
)
TX_VALUE = (
    SchemaBuilder.struct()
    .name("io.debezium.connector.common.TransactionMetadataValue")
    .field("status", Schema.STRING_SCHEMA)
    .field("id", Schema.STRING_SCHEMA)
    .field("event_count", Schema.OPTIONAL_INT64_SCHEMA)
    .field("data_collections", SchemaBuilder.array(_COLLECTION).optional().build())
    .field("ts_ms", Schema.INT64_SCHEMA)
    .build()
)
MESSAGE_KEY = (
    SchemaBuilder.struct()
    .name("io.debezium.connector.postgresql.MessageKey")
    .field("prefix", Schema.OPTIONAL_STRING_SCHEMA)
    .build()
)
_MESSAGE_BLOCK = (
    SchemaBuilder.struct()
    .name("io.debezium.connector.postgresql.Message")
    .field("prefix", Schema.OPTIONAL_STRING_SCHEMA)
    .field("content", Schema.OPTIONAL_BYTES_SCHEMA)
    .build()
)
MESSAGE_VALUE = (
    SchemaBuilder.struct()
    .name("io.debezium.connector.postgresql.MessageValue")
    .field("op", Schema.STRING_SCHEMA)
    .field("ts_ms", Schema.OPTIONAL_INT64_SCHEMA)
    .field("source", SOURCE_SCHEMA)
    .field("message", _MESSAGE_BLOCK)
    .build()
)


def heartbeat_record(
    topic: str, prefix: str, partition: dict[str, Any], offset: dict[str, Any]
) -> SourceRecord:
    """``{serverName}`` -> ``{ts_ms}`` on ``__debezium-heartbeat.<prefix>``."""
    now = int(time.time() * 1000)
    return SourceRecord(
        topic, None, HEARTBEAT_KEY, fast_struct(HEARTBEAT_KEY, {"serverName": prefix}),
        HEARTBEAT_VALUE, fast_struct(HEARTBEAT_VALUE, {"ts_ms": now}), timestamp=now,
        source_partition=partition, source_offset=offset,
    )  # fmt: skip


def transaction_record(
    topic: str,
    tx_id: str,
    status: str,
    partition: dict[str, Any],
    offset: dict[str, Any],
    counts: dict[str, int] | None = None,
) -> SourceRecord:
    """BEGIN or END (with per-table counts) on ``<prefix>.transaction``."""
    now = int(time.time() * 1000)
    collections = None
    total = None
    if counts is not None:
        collections = [
            fast_struct(_COLLECTION, {"data_collection": k, "event_count": v})
            for k, v in counts.items()
        ]
        total = sum(counts.values())
    value = fast_struct(TX_VALUE, {
        "status": status, "id": tx_id, "event_count": total,
        "data_collections": collections, "ts_ms": now,
    })  # fmt: skip
    return SourceRecord(
        topic, None, TX_KEY, fast_struct(TX_KEY, {"id": tx_id}), TX_VALUE, value,
        timestamp=now, source_partition=partition, source_offset=offset,
    )  # fmt: skip


def message_record(
    topic: str,
    prefix: str,
    content: bytes,
    source: Struct,
    partition: dict[str, Any],
    offset: dict[str, Any],
) -> SourceRecord:
    """A ``pg_logical_emit_message`` as Debezium's ``op=m`` event."""
    now = int(time.time() * 1000)
    value = fast_struct(MESSAGE_VALUE, {
        "op": "m", "ts_ms": now, "source": source,
        "message": fast_struct(_MESSAGE_BLOCK, {"prefix": prefix, "content": content}),
    })  # fmt: skip
    return SourceRecord(
        topic, None, MESSAGE_KEY, fast_struct(MESSAGE_KEY, {"prefix": prefix}), MESSAGE_VALUE,
        value, timestamp=now, source_partition=partition, source_offset=offset,
    )  # fmt: skip
