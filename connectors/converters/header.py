"""SimpleHeaderConverter: header values as plain text, types inferred when read back.

Kafka Connect's default header converter. Strings are written as UTF-8; numbers and
booleans as their text; bytes as-is; maps, lists and structs as JSON. Reading infers:
``true``/``false`` -> BOOLEAN, integers -> INT64, decimals -> FLOAT64, JSON objects/arrays
-> schemaless maps/lists, anything else -> STRING, and non-UTF-8 -> BYTES.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
from typing import Any

import orjson

from connectors.api import HeaderConverter, Schema, SchemaAndValue, Struct
from connectors.converters.json_data import json_default

_INT = re.compile(r"^[+-]?[0-9]+$")
_FLOAT = re.compile(
    r"^[+-]?([0-9]+\.[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$|^[+-]?[0-9]+[eE][+-]?[0-9]+$"
)


class SimpleHeaderConverter(HeaderConverter):
    """Readable header values that round-trip their basic type."""

    def version(self) -> str:
        return "1.0"

    def from_connect_header(
        self, topic: str, header_key: str, schema: Schema | None, value: Any
    ) -> bytes | None:
        if value is None:
            return None
        if isinstance(value, bytes | bytearray | memoryview):
            return bytes(value)
        return _text(value).encode()

    def to_connect_header(self, topic: str, header_key: str, value: bytes | None) -> SchemaAndValue:
        if value is None:
            return SchemaAndValue.NULL
        try:
            text = bytes(value).decode()
        except UnicodeDecodeError:
            return SchemaAndValue(Schema.BYTES_SCHEMA, bytes(value))
        return infer_literal(text)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float | decimal.Decimal):
        return str(value)
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dict | list | tuple | Struct):
        return orjson.dumps(value, default=json_default, option=orjson.OPT_NON_STR_KEYS).decode()
    return str(value)


def infer_literal(text: str) -> SchemaAndValue:
    """The typed value a text stands for (Kafka's ``Values.parseString``, simplified)."""
    stripped = text.strip()
    if stripped in ("true", "false"):
        return SchemaAndValue(Schema.BOOLEAN_SCHEMA, stripped == "true")
    if _INT.match(stripped) and -(2**63) <= int(stripped) < 2**63:
        return SchemaAndValue(Schema.INT64_SCHEMA, int(stripped))
    if _FLOAT.match(stripped):
        return SchemaAndValue(Schema.FLOAT64_SCHEMA, float(stripped))
    if stripped[:1] in ("{", "["):
        try:
            return SchemaAndValue(None, orjson.loads(stripped))
        except orjson.JSONDecodeError:
            pass
    return SchemaAndValue(Schema.STRING_SCHEMA, text)
