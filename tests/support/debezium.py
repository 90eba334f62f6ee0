"""Debezium change events for tests: the envelope shape built in one place.

Unit tests of the SMTs and integration tests of the sinks both need Debezium-shaped
records; building the envelope here keeps them agreeing with each other (and with
COMPAT.md) instead of each hand-writing its own copy of the shape.
"""

from __future__ import annotations

from connectors.api import Schema, SchemaBuilder, Struct


def envelope_schema(name: str, row: Schema, source: Schema) -> Schema:
    """Debezium's value schema of one table: before/after rows, source block, op, ts_ms."""
    return (
        SchemaBuilder.struct()
        .name(name)
        .field("before", row)
        .field("after", row)
        .field("source", source)
        .field("op", Schema.STRING_SCHEMA)
        .field("ts_ms", Schema.OPTIONAL_INT64_SCHEMA)
        .build()
    )


def envelope(
    schema: Schema,
    op: str,
    before: Struct | None,
    after: Struct | None,
    source: Struct,
    ts_ms: int | None,
) -> Struct:
    """One change event's value (``op`` is c, u, d or r; ``before`` is None for c/r)."""
    return Struct(
        schema,
        {"before": before, "after": after, "source": source, "op": op, "ts_ms": ts_ms},
    )
