"""Compatibility checking at every Confluent level, for Avro and JSON Schema.

``check`` is the one entry point the registry uses: it picks which earlier
versions a level looks at (latest only, or all of them newest first for the
transitive levels) and in which direction(s) each pair is checked.
"""

from __future__ import annotations

from collections.abc import Sequence

from schemas.canonical import ParsedSchema
from schemas.compatibility.avro import check_can_read
from schemas.compatibility.jsonschema import differences
from schemas.models import CompatibilityLevel, SchemaType

__all__ = ["check", "check_can_read", "differences", "reader_writer_reasons"]


def reader_writer_reasons(reader: ParsedSchema, writer: ParsedSchema) -> list[str]:
    """Why data written with ``writer`` cannot be read with ``reader`` (empty = it can)."""
    if reader.schema_type is not writer.schema_type:
        return [
            f"{{errorType:'TYPE_MISMATCH', description:'Schema type changed from "
            f"{writer.schema_type.value} to {reader.schema_type.value}'}}"
        ]
    if reader.schema_type is SchemaType.AVRO:
        return check_can_read(reader.avro, writer.avro, reader.named, writer.named)
    refs = {**writer.resolved_refs, **reader.resolved_refs}
    return differences(writer.document, reader.document, refs)


def check(
    level: CompatibilityLevel,
    new: ParsedSchema,
    previous: Sequence[tuple[int, ParsedSchema]],
) -> list[str]:
    """Every reason ``new`` breaks ``level`` against ``previous`` (empty = compatible).

    Args:
        level: the subject's effective compatibility level.
        new: the schema being registered or tested.
        previous: (version, schema) of the live versions, newest first.
    """
    if level is CompatibilityLevel.NONE or not previous:
        return []
    targets = previous if level.transitive else previous[:1]
    reasons: list[str] = []
    for version, old in targets:
        found: list[str] = []
        if level.backward:
            found += reader_writer_reasons(new, old)
        if level.forward:
            found += reader_writer_reasons(old, new)
        if found:
            reasons += [*found, f"{{oldSchemaVersion: {version}}}"]
    if reasons:
        reasons.append(f"{{compatibility: '{level.value}'}}")
    return reasons
