"""Confluent's wire format and the two payload codecs (JSON Schema and Avro).

Every Kafka key or value written by a Confluent serializer is::

    byte 0      magic 0x00
    bytes 1..4  schema id, int32 big-endian
    bytes 5..   payload: Avro binary, or JSON text for JSON Schema

The serdes here are built once per schema id and then used per record, so
nothing on the per-record path talks to the registry.
"""

from __future__ import annotations

import io
import struct
from typing import Any

import orjson
from fastavro import parse_schema, schemaless_reader, schemaless_writer
from fastavro.validation import ValidationError as AvroValidationError
from fastavro.validation import validate as avro_validate
from jsonschema.validators import validator_for
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from schemas.canonical import ParsedSchema
from schemas.errors import SerializationError
from schemas.jsonfast import compile_schema

MAGIC = 0
_HEADER = struct.Struct(">bI")


def frame_header(schema_id: int) -> bytes:
    """The 5-byte prefix for ``schema_id``."""
    return _HEADER.pack(MAGIC, schema_id)


def unframe(data: bytes) -> tuple[int, memoryview]:
    """Split framed bytes into (schema id, payload); SerializationError when not framed."""
    if len(data) < 5 or data[0] != MAGIC:
        msg = (
            f"Unknown magic byte: the data does not start with 0x00 and a 4-byte schema id "
            f"(got {bytes(data[:5])!r}); it was not written by a schema-registry serializer."
        )
        raise SerializationError(msg)
    return _HEADER.unpack_from(data)[1], memoryview(data)[5:]


def _path(parts: Any) -> str:
    out = "$"
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


class JsonSchemaSerde:
    """JSON payloads checked against a JSON Schema on write (when ``validate``)."""

    def __init__(self, schema_id: int, parsed: ParsedSchema, *, validate: bool = True) -> None:
        self.schema_id = schema_id
        self.header = frame_header(schema_id)
        self.validate = validate
        document = parsed.document
        resources = [
            (name, Resource.from_contents(doc, default_specification=DRAFT202012))
            for name, doc in parsed.resolved_refs.items()
        ]
        registry: Registry[Any] = Registry().with_resources(resources)
        self._validator = validator_for(document)(document, registry=registry)
        self._fast = compile_schema(document)

    def check(self, value: Any) -> None:
        """Raise SerializationError naming the failing path when ``value`` does not match."""
        if self._fast is not None and self._fast(value):
            return
        error = next(iter(self._validator.iter_errors(value)), None)
        if error is not None:
            where = _path(error.absolute_path)
            msg = f"Value does not match JSON schema {self.schema_id} at {where}: {error.message}"
            raise SerializationError(msg)

    def serialize(self, value: Any) -> bytes:
        """Validate (when on), then frame ``value`` as JSON."""
        if self.validate:
            self.check(value)
        try:
            return self.header + orjson.dumps(value)
        except TypeError as exc:
            msg = f"Value cannot be written as JSON: {exc}"
            raise SerializationError(msg) from exc

    def deserialize(self, payload: bytes | memoryview) -> Any:
        """Parse a payload (without its 5-byte header)."""
        try:
            return orjson.loads(payload)
        except orjson.JSONDecodeError as exc:
            msg = f"Payload of schema {self.schema_id} is not valid JSON: {exc}"
            raise SerializationError(msg) from exc


class AvroSerde:
    """Avro binary payloads (fastavro schemaless encoding)."""

    def __init__(self, schema_id: int, parsed: ParsedSchema) -> None:
        self.schema_id = schema_id
        self.header = frame_header(schema_id)
        # parse again *with* fastavro's write hint: without it every write re-parses the schema
        self.schema = parse_schema(parsed.avro, named_schemas=dict(parsed.named))

    def serialize(self, value: Any) -> bytes:
        """Frame ``value`` as Avro binary; SerializationError names the failing field."""
        buf = io.BytesIO()
        buf.write(self.header)
        try:
            schemaless_writer(buf, self.schema, value)
        except (TypeError, ValueError, KeyError, AttributeError, OverflowError) as exc:
            raise SerializationError(self._explain(value, exc)) from exc
        return buf.getvalue()

    def _explain(self, value: Any, exc: Exception) -> str:
        try:
            avro_validate(value, self.schema, raise_errors=True)
        except AvroValidationError as err:
            details = "; ".join(map(str, err.errors))
            return f"Value does not match Avro schema {self.schema_id}: {details}"
        return f"Value does not match Avro schema {self.schema_id}: {exc}"

    def deserialize(self, payload: bytes | memoryview, reader: Any = None) -> Any:
        """Decode a payload (without header), resolving to ``reader`` when given."""
        try:
            return schemaless_reader(io.BytesIO(payload), self.schema, reader)
        except (EOFError, ValueError, IndexError, UnicodeDecodeError) as exc:
            msg = f"Payload of Avro schema {self.schema_id} is malformed: {exc}"
            raise SerializationError(msg) from exc
