"""Connect schemas and values <-> Avro schemas and datums.

Used by :class:`schemas.converters.AvroConverter`.  The mapping follows
Confluent's AvroData: INT8/INT16 are Avro ``int`` with a ``connect.type``
hint, optional fields are ``["null", X]`` unions defaulting to null (so
adding an optional field is compatible both ways), Connect's logical types
become Avro logical types (decimal, date, time-millis, timestamp-millis).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from connectors.api import (
    DATE_NAME,
    DECIMAL_NAME,
    LOGICAL_TYPES,
    TIME_NAME,
    TIMESTAMP_NAME,
    Date,
    Decimal,
    Schema,
    SchemaBuilder,
    Struct,
    Time,
    Timestamp,
)
from connectors.api.data import Type

_PRIMITIVE = {
    Type.INT8: "int",
    Type.INT16: "int",
    Type.INT32: "int",
    Type.INT64: "long",
    Type.FLOAT32: "float",
    Type.FLOAT64: "double",
    Type.BOOLEAN: "boolean",
    Type.STRING: "string",
    Type.BYTES: "bytes",
}
_LOGICAL = {DATE_NAME: "date", TIME_NAME: "time-millis", TIMESTAMP_NAME: "timestamp-millis"}
DEFAULT_RECORD_NAME = "ConnectDefault"


def _avro_name(name: str | None, counter: list[int]) -> str:
    if not name:
        counter[0] += 1
        return DEFAULT_RECORD_NAME if counter[0] == 1 else f"{DEFAULT_RECORD_NAME}{counter[0]}"
    return re.sub(r"[^A-Za-z0-9_.]", "_", name)


def to_avro_schema(schema: Schema, counter: list[int] | None = None) -> Any:
    """The Avro schema (JSON data) for a Connect schema."""
    counter = counter if counter is not None else [0]
    body = _body(schema, counter)
    if schema.optional:
        return ["null", body]
    return body


def _body(schema: Schema, counter: list[int]) -> Any:
    t = schema.type
    if schema.name == DECIMAL_NAME:
        scale = int((schema.parameters or {}).get("scale", "0"))
        return {"type": "bytes", "logicalType": "decimal", "precision": 64, "scale": scale}
    if schema.name in _LOGICAL:
        return {"type": _PRIMITIVE[t], "logicalType": _LOGICAL[schema.name]}
    if t in (Type.INT8, Type.INT16):
        return {"type": "int", "connect.type": t.value}
    if t in _PRIMITIVE:
        return _PRIMITIVE[t]
    if t is Type.ARRAY:
        assert schema.value_schema is not None
        return {"type": "array", "items": to_avro_schema(schema.value_schema, counter)}
    if t is Type.MAP:
        ks, vs = schema.key_schema, schema.value_schema
        assert ks is not None and vs is not None
        if ks.type is Type.STRING and not ks.optional:
            return {"type": "map", "values": to_avro_schema(vs, counter)}
        pair = {
            "type": "record",
            "name": _avro_name(None, counter),
            "fields": [
                {"name": "key", "type": to_avro_schema(ks, counter)},
                {"name": "value", "type": to_avro_schema(vs, counter)},
            ],
        }
        return {"type": "array", "items": pair}
    fields = []
    for f in schema.fields:
        entry: dict[str, Any] = {"name": f.name, "type": to_avro_schema(f.schema, counter)}
        if f.schema.optional:
            entry["default"] = None
        fields.append(entry)
    record: dict[str, Any] = {
        "type": "record",
        "name": _avro_name(schema.name, counter),
        "fields": fields,
    }
    if schema.doc:
        record["doc"] = schema.doc
    return record


def from_avro_schema(avro: Any, named: dict[str, Any] | None = None) -> Schema:
    """The Connect schema for a fastavro-parsed Avro schema."""
    named = named if named is not None else {}
    return _from(avro, named, optional=False)


def _from(avro: Any, named: dict[str, Any], *, optional: bool) -> Schema:
    if isinstance(avro, list):
        rest = [b for b in avro if b != "null"]
        if len(rest) != 1:
            msg = "Only [null, X] unions map to Connect schemas."
            raise TypeError(msg)
        return _from(rest[0], named, optional=optional or len(rest) < len(avro))
    if isinstance(avro, str) and avro in named:
        avro = named[avro]
    builder = _builder(avro, named)
    if optional:
        builder.optional()
    return builder.build()


_FROM_PRIMITIVE = {
    "int": SchemaBuilder.int32,
    "long": SchemaBuilder.int64,
    "float": SchemaBuilder.float32,
    "double": SchemaBuilder.float64,
    "boolean": SchemaBuilder.bool,
    "string": SchemaBuilder.string,
    "bytes": SchemaBuilder.bytes,
}
_LOGICAL_BUILDERS: dict[str, Callable[[], SchemaBuilder]] = {
    "date": Date.builder,
    "time-millis": Time.builder,
    "timestamp-millis": Timestamp.builder,
}


def _builder(avro: Any, named: dict[str, Any]) -> SchemaBuilder:
    if isinstance(avro, str):
        return _FROM_PRIMITIVE[avro]()
    kind = avro["type"]
    logical = avro.get("logicalType")
    if logical == "decimal":
        return Decimal.builder(int(avro.get("scale", 0)))
    if logical in _LOGICAL_BUILDERS:
        return _LOGICAL_BUILDERS[logical]()
    if avro.get("connect.type") in ("int8", "int16"):
        return SchemaBuilder(Type(avro["connect.type"]))
    if isinstance(kind, str) and kind in _FROM_PRIMITIVE:
        return _FROM_PRIMITIVE[kind]()
    if kind == "array":
        return SchemaBuilder.array(_from(avro["items"], named, optional=False))
    if kind == "map":
        return SchemaBuilder.map(Schema.STRING_SCHEMA, _from(avro["values"], named, optional=False))
    if kind == "enum":
        return SchemaBuilder.string()
    if kind == "record":
        builder = SchemaBuilder.struct().name(avro["name"])
        for f in avro["fields"]:
            builder.field(f["name"], _from(f["type"], named, optional=False))
        return builder
    msg = f"Avro type {kind!r} has no Connect equivalent."
    raise TypeError(msg)


ToAvro = Callable[[Any], Any]


def compile_to_avro(schema: Schema) -> ToAvro:
    """A per-schema function turning a Connect value into a fastavro datum, built once."""
    if schema.type is Type.STRUCT:
        plan = [(f.name, f.schema.default, compile_to_avro(f.schema)) for f in schema.fields]
        simple = all(_is_plain(f.schema) for f in schema.fields)
        if simple and all(f.schema.default is None for f in schema.fields):
            # fastavro reads fields with dict.get: the struct's value dict is the datum.
            return lambda v: v._values if type(v) is Struct else v

        def struct(value: Any) -> Any:
            if value is None or type(value) is not Struct:
                return value
            values = value._values
            if simple:
                return {n: (d if (v := values.get(n)) is None else v) for n, d, _ in plan}
            return {n: conv(d if (v := values.get(n)) is None else v) for n, d, conv in plan}

        return struct
    if schema.type is Type.ARRAY:
        assert schema.value_schema is not None
        item = compile_to_avro(schema.value_schema)
        return lambda v: None if v is None else [item(x) for x in v]
    if schema.type is Type.MAP:
        return _map_to_avro(schema)
    return lambda v: v


def _map_to_avro(schema: Schema) -> ToAvro:
    ks, vs = schema.key_schema, schema.value_schema
    assert ks is not None and vs is not None
    key, val = compile_to_avro(ks), compile_to_avro(vs)
    if ks.type is Type.STRING and not ks.optional:
        return lambda v: None if v is None else {k: val(x) for k, x in v.items()}
    return lambda v: None if v is None else [{"key": key(k), "value": val(x)} for k, x in v.items()]


def _is_plain(schema: Schema) -> bool:
    return (
        schema.type in _PRIMITIVE and schema.name not in LOGICAL_TYPES
    ) or schema.name in _LOGICAL


def from_avro_datum(schema: Schema, datum: Any) -> Any:
    """The Connect value for a datum fastavro decoded with the schema ``schema`` came from."""
    if datum is None:
        return None
    if schema.type is Type.STRUCT:
        struct = Struct(schema)
        for f in schema.fields:
            struct.put(f.name, from_avro_datum(f.schema, datum.get(f.name)))
        return struct
    if schema.type is Type.ARRAY:
        assert schema.value_schema is not None
        return [from_avro_datum(schema.value_schema, x) for x in datum]
    if schema.type is Type.MAP:
        ks, vs = schema.key_schema, schema.value_schema
        assert ks is not None and vs is not None
        if isinstance(datum, list):
            return {from_avro_datum(ks, p["key"]): from_avro_datum(vs, p["value"]) for p in datum}
        return {k: from_avro_datum(vs, x) for k, x in datum.items()}
    return datum
