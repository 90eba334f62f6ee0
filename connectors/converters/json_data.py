"""Connect schemas and values <-> JSON trees, exactly as Kafka Connect's JsonConverter does.

The schema JSON has Kafka's key order (``type``, ``fields``/``items``/``keys``+``values``,
``optional``, ``name``, ``version``, ``doc``, ``parameters``, ``default``; a struct field
adds ``field`` last), so envelopes are byte-for-byte what Kafka Connect consumers expect::

    {"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"}],"optional":false,"name":"x"}
"""

from __future__ import annotations

import base64
import binascii
import decimal
from collections.abc import Mapping
from typing import Any

import orjson

from connectors.api import (
    DECIMAL_NAME,
    LOGICAL_TYPES,
    DataError,
    Decimal,
    Field,
    Schema,
    Struct,
    Type,
)

#: Connect type -> JsonConverter's type name (FLOAT32/64 are "float"/"double" in JSON).
JSON_TYPE_NAMES = {
    Type.INT8: "int8",
    Type.INT16: "int16",
    Type.INT32: "int32",
    Type.INT64: "int64",
    Type.FLOAT32: "float",
    Type.FLOAT64: "double",
    Type.BOOLEAN: "boolean",
    Type.STRING: "string",
    Type.BYTES: "bytes",
    Type.ARRAY: "array",
    Type.MAP: "map",
    Type.STRUCT: "struct",
}
TYPES_BY_JSON_NAME = {v: k for k, v in JSON_TYPE_NAMES.items()}
_INT_BITS = {Type.INT8: 8, Type.INT16: 16, Type.INT32: 32, Type.INT64: 64}


class JsonOptions:
    """The JsonConverter settings that change value conversion."""

    __slots__ = ("decimal_numeric", "replace_null_with_default")

    def __init__(self, *, decimal_numeric: bool = False, replace_null_with_default: bool = True):
        self.decimal_numeric = decimal_numeric
        self.replace_null_with_default = replace_null_with_default


DEFAULT_OPTIONS = JsonOptions()


# ------------------------------------------------------------------------- schema <-> JSON
def schema_to_json(schema: Schema, options: JsonOptions = DEFAULT_OPTIONS) -> dict[str, Any]:
    """Kafka's ``asJsonSchema``: the ``schema`` half of an envelope."""
    out: dict[str, Any] = {"type": JSON_TYPE_NAMES[schema.type]}
    if schema.type is Type.STRUCT:
        out["fields"] = [_field_to_json(f, options) for f in schema.fields]
    elif schema.type is Type.ARRAY:
        assert schema.value_schema is not None
        out["items"] = schema_to_json(schema.value_schema, options)
    elif schema.type is Type.MAP:
        assert schema.key_schema is not None and schema.value_schema is not None
        out["keys"] = schema_to_json(schema.key_schema, options)
        out["values"] = schema_to_json(schema.value_schema, options)
    out["optional"] = schema.optional
    if schema.name is not None:
        out["name"] = schema.name
    if schema.version is not None:
        out["version"] = schema.version
    if schema.doc is not None:
        out["doc"] = schema.doc
    if schema.parameters:
        out["parameters"] = dict(schema.parameters)
    if schema.default is not None:
        out["default"] = value_to_json(schema, schema.default, options)
    return out


def _field_to_json(f: Field, options: JsonOptions) -> dict[str, Any]:
    out = schema_to_json(f.schema, options)
    out["field"] = f.name
    return out


def schema_from_json(node: Any) -> Schema | None:
    """Kafka's ``asConnectSchema``; DataError for anything that is not a Connect schema."""
    if node is None:
        return None
    if not isinstance(node, Mapping):
        msg = f"A Connect schema must be a JSON object, got {type(node).__name__}."
        raise DataError(msg)
    type_name = node.get("type")
    t = TYPES_BY_JSON_NAME.get(type_name) if isinstance(type_name, str) else None
    if t is None:
        msg = f"Unknown schema type {type_name!r} in the JSON schema."
        raise DataError(msg)
    kwargs: dict[str, Any] = {
        "optional": node.get("optional") is True,
        "name": node.get("name"),
        "version": node.get("version"),
        "doc": node.get("doc"),
        "parameters": _parameters(node.get("parameters")),
    }
    if t is Type.STRUCT:
        kwargs["fields"] = _fields_from_json(node.get("fields"))
    elif t is Type.ARRAY:
        kwargs["value_schema"] = _required_schema(node, "items")
    elif t is Type.MAP:
        kwargs["key_schema"] = _required_schema(node, "keys")
        kwargs["value_schema"] = _required_schema(node, "values")
    schema = Schema(t, **kwargs)
    if node.get("default") is not None:
        kwargs["default"] = value_from_json(schema, node["default"])
        schema = Schema(t, **kwargs)
    return schema


def _parameters(node: Any) -> dict[str, str] | None:
    if node is None:
        return None
    if not isinstance(node, Mapping):
        msg = "Schema parameters must be a JSON object of strings."
        raise DataError(msg)
    return {str(k): str(v) for k, v in node.items()}


def _required_schema(node: Mapping[str, Any], key: str) -> Schema:
    sub = schema_from_json(node.get(key))
    if sub is None:
        msg = f"A {node.get('type')} schema needs {key!r}."
        raise DataError(msg)
    return sub


def _fields_from_json(node: Any) -> list[Field]:
    if not isinstance(node, list):
        msg = "A struct schema needs a 'fields' array."
        raise DataError(msg)
    fields = []
    for i, f in enumerate(node):
        name = f.get("field") if isinstance(f, Mapping) else None
        if not isinstance(name, str):
            msg = f"Struct schema field #{i} has no 'field' name."
            raise DataError(msg)
        sub = schema_from_json(f)
        assert sub is not None
        fields.append(Field(name, i, sub))
    return fields


# ------------------------------------------------------------------------- values -> JSON
def value_to_json(schema: Schema | None, value: Any, options: JsonOptions = DEFAULT_OPTIONS) -> Any:
    """A JSON-ready tree (orjson Fragments for exact decimals); DataError on a bad value."""
    if schema is None:
        return schemaless_to_json(value, options)
    if value is None:
        if schema.default is not None and options.replace_null_with_default:
            return value_to_json(schema, schema.default, options)
        if schema.optional:
            return None
        msg = "Conversion error: null value for field that is required and has no default value."
        raise DataError(msg)
    if schema.name in LOGICAL_TYPES:
        return _logical_to_json(schema, value, options)
    return _TO_JSON[schema.type](schema, value, options)


def _logical_to_json(schema: Schema, value: Any, options: JsonOptions) -> Any:
    converter = LOGICAL_TYPES[schema.name or ""]
    if schema.name == DECIMAL_NAME and options.decimal_numeric:
        if not isinstance(value, decimal.Decimal):
            msg = f"Decimal field needs decimal.Decimal, got {type(value).__name__}."
            raise DataError(msg)
        Decimal.from_logical(schema, value)  # checks the scale
        return orjson.Fragment(_plain_decimal(value).encode())
    try:
        raw = converter.from_logical(schema, value)
    except (AttributeError, TypeError) as exc:
        msg = f"Invalid value for {schema.name}: {value!r} ({exc})."
        raise DataError(msg) from exc
    if isinstance(raw, bytes):
        return base64.b64encode(raw).decode()
    return raw


def _plain_decimal(value: decimal.Decimal) -> str:
    return format(value, "f")


def _int_to_json(schema: Schema, value: Any, options: JsonOptions) -> Any:
    if not isinstance(value, int) or isinstance(value, bool):
        raise _mismatch(schema, value)
    return value


def _float_to_json(schema: Schema, value: Any, options: JsonOptions) -> Any:
    if not isinstance(value, float | int) or isinstance(value, bool):
        raise _mismatch(schema, value)
    return float(value)


def _simple(expected: type | tuple[type, ...]) -> Any:
    def convert(schema: Schema, value: Any, options: JsonOptions) -> Any:
        if not isinstance(value, expected):
            raise _mismatch(schema, value)
        return value

    return convert


def _bytes_to_json(schema: Schema, value: Any, options: JsonOptions) -> Any:
    if not isinstance(value, bytes | bytearray | memoryview):
        raise _mismatch(schema, value)
    return base64.b64encode(value).decode()


def _array_to_json(schema: Schema, value: Any, options: JsonOptions) -> Any:
    if not isinstance(value, list | tuple):
        raise _mismatch(schema, value)
    return [value_to_json(schema.value_schema, v, options) for v in value]


def _map_to_json(schema: Schema, value: Any, options: JsonOptions) -> Any:
    if not isinstance(value, Mapping):
        raise _mismatch(schema, value)
    ks, vs = schema.key_schema, schema.value_schema
    assert ks is not None and vs is not None
    if ks.type is Type.STRING:
        return {
            value_to_json(ks, k, options): value_to_json(vs, v, options) for k, v in value.items()
        }
    return [
        [value_to_json(ks, k, options), value_to_json(vs, v, options)] for k, v in value.items()
    ]


def _struct_to_json(schema: Schema, value: Any, options: JsonOptions) -> Any:
    if isinstance(value, Struct):
        if value.schema != schema:
            msg = "Mismatching schema: the Struct's schema is not the record's schema."
            raise DataError(msg)
        values: Mapping[str, Any] = {
            f.name: value.get_without_default(f.name) for f in schema.fields
        }
    elif isinstance(value, Mapping):
        values = value
    else:
        raise _mismatch(schema, value)
    return {f.name: value_to_json(f.schema, values.get(f.name), options) for f in schema.fields}


def _mismatch(schema: Schema, value: Any) -> DataError:
    return DataError(
        f"Invalid value for schema type {schema.type.name}"
        + (f" ({schema.name})" if schema.name else "")
        + f": {type(value).__name__} {value!r:.80}"
    )


_TO_JSON = {
    Type.INT8: _int_to_json,
    Type.INT16: _int_to_json,
    Type.INT32: _int_to_json,
    Type.INT64: _int_to_json,
    Type.FLOAT32: _float_to_json,
    Type.FLOAT64: _float_to_json,
    Type.BOOLEAN: _simple(bool),
    Type.STRING: _simple(str),
    Type.BYTES: _bytes_to_json,
    Type.ARRAY: _array_to_json,
    Type.MAP: _map_to_json,
    Type.STRUCT: _struct_to_json,
}


def schemaless_to_json(value: Any, options: JsonOptions = DEFAULT_OPTIONS) -> Any:
    """Schemaless values go to orjson as they are; see :func:`json_default` for the rest."""
    return value


def pairs_for_non_string_keys(value: Any) -> Any:
    """Schemaless maps whose keys are not all strings become ``[[key, value], ...]`` (Kafka)."""
    if isinstance(value, dict):
        items = [(k, pairs_for_non_string_keys(v)) for k, v in value.items()]
        if all(isinstance(k, str) for k, _ in items):
            return dict(items)
        return [[pairs_for_non_string_keys(k), v] for k, v in items]
    if isinstance(value, list | tuple):
        return [pairs_for_non_string_keys(v) for v in value]
    if isinstance(value, Struct):
        return value_to_json(value.schema, value)
    return value


def json_default(value: Any) -> Any:
    """The ``default`` hook of orjson, for schemaless values it cannot write by itself."""
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(value).decode()
    if isinstance(value, decimal.Decimal):
        return orjson.Fragment(_plain_decimal(value).encode())
    if isinstance(value, Struct):
        return value_to_json(value.schema, value)
    if isinstance(value, tuple | set | frozenset):
        return list(value)
    msg = f"{type(value).__name__} cannot be written as JSON without a schema"
    raise TypeError(msg)


# ------------------------------------------------------------------------- JSON -> values
def value_from_json(schema: Schema | None, node: Any) -> Any:
    """Kafka's ``convertToConnect``: a JSON tree -> Connect value for ``schema``."""
    if schema is None:
        return node
    if node is None:
        if schema.default is not None:
            return schema.default
        if schema.optional:
            return None
        msg = f"Invalid null value for required {schema.type.name} field."
        raise DataError(msg)
    if schema.name in LOGICAL_TYPES:
        return _logical_from_json(schema, node)
    return _FROM_JSON[schema.type](schema, node)


def _logical_from_json(schema: Schema, node: Any) -> Any:
    if schema.name == DECIMAL_NAME:
        if isinstance(node, int | float) and not isinstance(node, bool):
            exact = (
                decimal.Decimal(repr(node)) if isinstance(node, float) else decimal.Decimal(node)
            )
            return exact.quantize(decimal.Decimal(1).scaleb(-Decimal.scale(schema)))
        raw = _bytes_from_json(schema, node)
        return Decimal.to_logical(schema, raw)
    physical = _FROM_JSON[schema.type](schema, node)
    return LOGICAL_TYPES[schema.name or ""].to_logical(schema, physical)


def _int_from_json(schema: Schema, node: Any) -> int:
    if isinstance(node, float) and node.is_integer():
        node = int(node)
    if not isinstance(node, int) or isinstance(node, bool):
        raise _mismatch(schema, node)
    bits = _INT_BITS[schema.type]
    if not -(2 ** (bits - 1)) <= node < 2 ** (bits - 1):
        msg = f"Value {node} is out of range for {schema.type.name}."
        raise DataError(msg)
    return node


def _float_from_json(schema: Schema, node: Any) -> float:
    if not isinstance(node, int | float) or isinstance(node, bool):
        raise _mismatch(schema, node)
    return float(node)


def _bytes_from_json(schema: Schema, node: Any) -> bytes:
    if not isinstance(node, str):
        raise _mismatch(schema, node)
    try:
        return base64.b64decode(node, validate=True)
    except binascii.Error as exc:
        msg = f"Invalid base64 in a BYTES field: {exc}."
        raise DataError(msg) from exc


def _array_from_json(schema: Schema, node: Any) -> list[Any]:
    if not isinstance(node, list):
        raise _mismatch(schema, node)
    return [value_from_json(schema.value_schema, v) for v in node]


def _map_from_json(schema: Schema, node: Any) -> dict[Any, Any]:
    ks, vs = schema.key_schema, schema.value_schema
    if isinstance(node, dict) and ks is not None and ks.type is Type.STRING:
        return {k: value_from_json(vs, v) for k, v in node.items()}
    if not isinstance(node, list) or not all(isinstance(e, list) and len(e) == 2 for e in node):
        msg = "A map with non-string keys must be a JSON array of [key, value] pairs."
        raise DataError(msg)
    return {value_from_json(ks, k): value_from_json(vs, v) for k, v in node}


def _struct_from_json(schema: Schema, node: Any) -> Struct:
    if not isinstance(node, dict):
        raise _mismatch(schema, node)
    values = {f.name: value_from_json(f.schema, node.get(f.name)) for f in schema.fields}
    return Struct.from_validated(schema, values)


def _checked(expected: type) -> Any:
    def convert(schema: Schema, node: Any) -> Any:
        if not isinstance(node, expected):
            raise _mismatch(schema, node)
        return node

    return convert


_FROM_JSON = {
    Type.INT8: _int_from_json,
    Type.INT16: _int_from_json,
    Type.INT32: _int_from_json,
    Type.INT64: _int_from_json,
    Type.FLOAT32: _float_from_json,
    Type.FLOAT64: _float_from_json,
    Type.BOOLEAN: _checked(bool),
    Type.STRING: _checked(str),
    Type.BYTES: _bytes_from_json,
    Type.ARRAY: _array_from_json,
    Type.MAP: _map_from_json,
    Type.STRUCT: _struct_from_json,
}

__all__ = [
    "JSON_TYPE_NAMES",
    "JsonOptions",
    "json_default",
    "pairs_for_non_string_keys",
    "schema_from_json",
    "schema_to_json",
    "value_from_json",
    "value_to_json",
]
