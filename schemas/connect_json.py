"""Connect schemas and values <-> JSON Schema documents and JSON trees.

Used by :class:`schemas.converters.JsonSchemaConverter`.  A STRUCT becomes a
*closed* object (``additionalProperties: false``) so that adding an optional
field later is a BACKWARD-compatible change under the registry's STRICT rules;
optional fields are ``oneOf [null, X]`` as Confluent's converter writes them;
``connect.type`` / ``title`` keep the exact Connect type and logical name so
the schema maps back without loss.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from connectors.api import DataError, Schema, SchemaBuilder, Struct
from connectors.api.data import Type
from connectors.api.logical import LOGICAL_TYPES
from connectors.converters.json_data import value_from_json, value_to_json

_INTEGERS = {Type.INT8, Type.INT16, Type.INT32, Type.INT64}
_PLAIN = {Type.INT8, Type.INT16, Type.INT32, Type.INT64, Type.BOOLEAN, Type.STRING}
_FLOATS = {Type.FLOAT32, Type.FLOAT64}


def to_json_schema(schema: Schema) -> dict[str, Any]:
    """The JSON Schema document for a Connect schema."""
    body = _body(schema)
    if schema.name:
        body["title"] = schema.name
    if schema.doc:
        body["description"] = schema.doc
    if schema.parameters:
        body["connect.parameters"] = dict(schema.parameters)
    if schema.version is not None:
        body["connect.version"] = schema.version
    if schema.optional:
        return {"oneOf": [{"type": "null"}, body]}
    return body


def _body(schema: Schema) -> dict[str, Any]:
    t = schema.type
    if t in _INTEGERS:
        return {"type": "integer", "connect.type": t.value}
    if t in _FLOATS:
        return {"type": "number", "connect.type": t.value}
    if t is Type.BOOLEAN:
        return {"type": "boolean"}
    if t is Type.STRING:
        return {"type": "string"}
    if t is Type.BYTES:
        return {"type": "string", "connect.type": "bytes"}
    if t is Type.ARRAY:
        assert schema.value_schema is not None
        return {"type": "array", "items": to_json_schema(schema.value_schema)}
    if t is Type.MAP:
        return _map_body(schema)
    fields = schema.fields
    return {
        "type": "object",
        "properties": {f.name: to_json_schema(f.schema) for f in fields},
        "required": [f.name for f in fields if not f.schema.optional],
        "additionalProperties": False,
    }


def _map_body(schema: Schema) -> dict[str, Any]:
    ks, vs = schema.key_schema, schema.value_schema
    assert ks is not None and vs is not None
    if ks.type is Type.STRING:
        return {"type": "object", "additionalProperties": to_json_schema(vs), "connect.type": "map"}
    pair = {"type": "array", "items": [to_json_schema(ks), to_json_schema(vs)]}
    return {"type": "array", "items": pair, "connect.type": "map"}


def from_json_schema(doc: Any) -> Schema | None:
    """The Connect schema for a JSON Schema document, or None when it has no Connect shape."""
    try:
        return _from(doc, optional=False)
    except (DataError, KeyError, TypeError, ValueError):
        return None


def _from(doc: Any, *, optional: bool) -> Schema:
    if not isinstance(doc, dict):
        raise TypeError
    branches = doc.get("oneOf") or doc.get("anyOf")
    if branches:
        rest = [b for b in branches if b != {"type": "null"}]
        if len(rest) != 1:
            raise TypeError
        return _from(rest[0], optional=optional or len(rest) < len(branches))
    types = doc.get("type")
    if isinstance(types, list):
        rest = [t for t in types if t != "null"]
        if len(rest) != 1:
            raise TypeError
        return _from({**doc, "type": rest[0]}, optional=optional or len(rest) < len(types))
    builder = _builder(doc, types)
    if optional:
        builder.optional()
    if isinstance(doc.get("title"), str):
        builder.name(doc["title"])
    if isinstance(doc.get("description"), str):
        builder.doc(doc["description"])
    if isinstance(doc.get("connect.parameters"), dict):
        builder.parameters({str(k): str(v) for k, v in doc["connect.parameters"].items()})
    if isinstance(doc.get("connect.version"), int):
        builder.version(doc["connect.version"])
    return builder.build()


def _builder(doc: dict[str, Any], kind: Any) -> SchemaBuilder:
    ctype = doc.get("connect.type")
    if kind == "integer":
        return SchemaBuilder(Type(ctype) if ctype in {t.value for t in _INTEGERS} else Type.INT64)
    if kind == "number":
        return SchemaBuilder(Type(ctype) if ctype in {t.value for t in _FLOATS} else Type.FLOAT64)
    if kind == "boolean":
        return SchemaBuilder.bool()
    if kind == "string":
        return SchemaBuilder.bytes() if ctype == "bytes" else SchemaBuilder.string()
    if kind == "array" and ctype == "map":
        key, value = doc["items"]["items"]
        return SchemaBuilder.map(_from(key, optional=False), _from(value, optional=False))
    if kind == "array":
        return SchemaBuilder.array(_from(doc["items"], optional=False))
    if kind == "object" and "properties" not in doc:
        extra = doc.get("additionalProperties")
        value = _from(extra, optional=False) if isinstance(extra, dict) else Schema.STRING_SCHEMA
        return SchemaBuilder.map(Schema.STRING_SCHEMA, value)
    if kind == "object":
        builder = SchemaBuilder.struct()
        required = set(doc.get("required", ()))
        for name, sub in doc["properties"].items():
            builder.field(name, _from(sub, optional=name not in required))
        return builder
    raise TypeError(kind)


ToJson = Callable[[Any], Any]


def compile_to_json(schema: Schema) -> ToJson:
    """A per-schema function turning a Connect value into a JSON tree, built once.

    Flat fields of plain types are copied as they are, which keeps the per-record
    cost close to a dict copy; everything else goes through the SDK's converter.
    """
    if schema.type is not Type.STRUCT or schema.name in LOGICAL_TYPES:
        return lambda value: value_to_json(schema, value)
    plan = [
        (f.name, f.schema.default, None if _is_plain(f.schema) else f.schema) for f in schema.fields
    ]

    def convert(value: Any) -> Any:
        if type(value) is not Struct or value.schema is not schema:
            return value_to_json(schema, value)
        values = value._values
        out = {}
        for name, default, slow in plan:
            item = values.get(name)
            if item is None:
                item = default
            out[name] = item if slow is None or item is None else value_to_json(slow, item)
        return out

    return convert


def _is_plain(schema: Schema) -> bool:
    return schema.type in _PLAIN and schema.name not in LOGICAL_TYPES


def from_json_value(schema: Schema | None, tree: Any) -> Any:
    """The Connect value for a JSON tree (``tree`` itself when there is no schema)."""
    return value_from_json(schema, tree)
