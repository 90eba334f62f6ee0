"""Parse schema text and give it a canonical form.

The canonical form decides identity: two registrations whose canonical texts
(and types and references) are equal are the same schema and share one id,
whatever whitespace or key order the clients used.  Parsing happens here once
so the compatibility checkers and the serde get ready-made structures.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from fastavro.schema import parse_schema as _parse_avro
from jsonschema.exceptions import SchemaError
from jsonschema.validators import validator_for

from schemas.errors import InvalidSchemaError
from schemas.models import Schema, SchemaType


@dataclass(frozen=True)
class ParsedSchema:
    """A validated schema with its canonical text and parsed forms.

    Attributes:
        schema_type: the language.
        canonical: compact JSON with sorted keys; the identity of the schema.
        text: compact JSON in the author's key order; what the API returns.
        document: the schema as JSON data.
        avro: fastavro's parsed schema (AVRO only), used by the serde and the checker.
        named: fastavro named types visible to this schema, own and referenced (AVRO only).
        resolved_refs: JSON Schema documents of the references, by reference name.
    """

    schema_type: SchemaType
    canonical: str
    text: str
    document: Any
    avro: Any = None
    named: dict[str, Any] = field(default_factory=dict)
    resolved_refs: dict[str, Any] = field(default_factory=dict)


def _load_json(text: str, schema_type: SchemaType) -> Any:
    try:
        return json.loads(text)
    except (json.JSONDecodeError, TypeError) as exc:
        msg = f"Invalid schema: {schema_type.value} schema text is not valid JSON: {exc}"
        raise InvalidSchemaError(msg) from exc


def canonical_text(document: Any) -> str:
    """The identity text of a JSON document: sorted keys, no whitespace."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


_AVRO_PRIMITIVES = frozenset(
    {"null", "boolean", "int", "long", "float", "double", "bytes", "string"}
)


def _avro_normal(document: Any) -> Any:
    """Avro's equivalent spellings made equal: ``{"type": "int"}`` is ``"int"``."""
    if isinstance(document, list):
        return [_avro_normal(d) for d in document]
    if not isinstance(document, dict):
        return document
    if set(document) == {"type"} and document["type"] in _AVRO_PRIMITIVES:
        return document["type"]
    return {k: _avro_normal(v) if k in ("type", "items", "values", "fields") else v
            for k, v in document.items()}  # fmt: skip


def identity_text(schema_type: SchemaType, document: Any) -> str:
    """The text that decides identity (and so the id) of a parsed document."""
    if schema_type is SchemaType.AVRO:
        document = _avro_normal(document)
    return canonical_text(document)


def _compact(document: Any) -> str:
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False)


def parse(schema: Schema, references: Mapping[str, ParsedSchema] | None = None) -> ParsedSchema:
    """Validate ``schema`` and build its canonical form.

    Args:
        schema: text, type and references as submitted.
        references: the already-parsed schemas the references point at, by reference name.

    Raises:
        InvalidSchemaError: (42201) with the parser's own message.
    """
    refs = dict(references or {})
    document = _load_json(schema.schema, schema.schema_type)
    if schema.schema_type is SchemaType.AVRO:
        return _parse_avro_schema(document, refs)
    return _parse_json_schema(document, refs)


def _parse_avro_schema(document: Any, refs: Mapping[str, ParsedSchema]) -> ParsedSchema:
    named: dict[str, Any] = {}
    for ref in refs.values():
        named.update(ref.named)
    try:
        parsed = _parse_avro(document, named_schemas=named, _write_hint=False)
    except Exception as exc:  # fastavro raises several unrelated types; all mean "invalid"
        msg = f"Invalid schema: Avro parse error: {type(exc).__name__}: {exc}"
        raise InvalidSchemaError(msg) from exc
    return ParsedSchema(
        schema_type=SchemaType.AVRO,
        canonical=identity_text(SchemaType.AVRO, document),
        text=_compact(document),
        document=document,
        avro=parsed,
        named=named,
    )


def _parse_json_schema(document: Any, refs: Mapping[str, ParsedSchema]) -> ParsedSchema:
    if not isinstance(document, dict | bool):
        msg = "Invalid schema: a JSON Schema must be an object or a boolean."
        raise InvalidSchemaError(msg)
    try:
        validator_for(document).check_schema(document)
    except SchemaError as exc:
        path = "/".join(str(p) for p in exc.path) or "(root)"
        msg = f"Invalid schema: JSON Schema error at {path}: {exc.message}"
        raise InvalidSchemaError(msg) from exc
    resolved: dict[str, Any] = {}
    for name, ref in refs.items():
        resolved.update(ref.resolved_refs)
        resolved[name] = ref.document
    return ParsedSchema(
        schema_type=SchemaType.JSON,
        canonical=canonical_text(document),
        text=_compact(document),
        document=document,
        resolved_refs=resolved,
    )
