"""ByteArrayConverter: raw bytes through unchanged (Kafka's ``ByteArrayConverter``)."""

from __future__ import annotations

from typing import Any

from connectors.api import (
    DataError,
    DataHeaderConverter,
    Headers,
    Schema,
    SchemaAndValue,
    Type,
)


class ByteArrayConverter(DataHeaderConverter):
    """Passes bytes as they are; anything but BYTES (or no schema) is a DataError."""

    def version(self) -> str:
        return "1.0"

    def from_connect_data(
        self, topic: str, schema: Schema | None, value: Any, headers: Headers | None = None
    ) -> bytes | None:
        if schema is not None and schema.type is not Type.BYTES:
            msg = f"Invalid schema type for ByteArrayConverter: {schema.type.name}."
            raise DataError(msg)
        if value is None:
            return None
        if not isinstance(value, bytes | bytearray | memoryview):
            msg = (
                f"ByteArrayConverter is not compatible with objects of type "
                f"{type(value).__name__}; use a StringConverter or JsonConverter for this data."
            )
            raise DataError(msg)
        return bytes(value)

    def to_connect_data(
        self, topic: str, data: bytes | None, headers: Headers | None = None
    ) -> SchemaAndValue:
        return SchemaAndValue(Schema.OPTIONAL_BYTES_SCHEMA, None if data is None else bytes(data))
