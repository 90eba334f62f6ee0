"""Per-schema compiled JSON encoders and decoders: the JsonConverter's fast paths.

Why: :func:`~connectors.converters.json_data.value_to_json` and ``value_from_json`` walk
the schema for every value, looking up the type, the logical name and the per-type
function of every field of every record. A connector sends thousands of records with the
very same schema object, so that walk is done once here and turned into a closure per
schema (the converter caches them by schema identity).

The compiled functions only take shortcuts where the result is certainly the same as the
generic function's: a value of exactly the expected Python type, a Struct of exactly the
compiled schema. Anything else (subclasses, dicts for structs, logical types, bytes, maps,
arrays, nulls with defaults, bad values) goes to the generic function, so the output and
the error messages stay exactly those of the generic code.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from connectors.api import LOGICAL_TYPES, Schema, Struct, Type
from connectors.converters.json_data import JsonOptions, value_from_json, value_to_json

Codec = Callable[[Any], Any]


class _Never:
    """A type no value has: "always call the field's function" in the struct loops."""


_INT_TYPES = (Type.INT8, Type.INT16, Type.INT32, Type.INT64)
#: Python type a value must have exactly to be its own JSON (and to come back unchanged).
_PASSTHROUGH: dict[Type, type] = {
    Type.STRING: str,
    Type.BOOLEAN: bool,
    Type.FLOAT64: float,
    Type.FLOAT32: float,
    **dict.fromkeys(_INT_TYPES, int),
}
_INT_LIMITS = {t: 2 ** (bits - 1) for t, bits in zip(_INT_TYPES, (8, 16, 32, 64), strict=True)}


def _exact_type(schema: Schema) -> type:
    """The Python type passed through unchanged for ``schema``, or :class:`_Never`."""
    if schema.name in LOGICAL_TYPES:
        return _Never
    return _PASSTHROUGH.get(schema.type, _Never)


# ------------------------------------------------------------------------- encoding
def compile_encoder(schema: Schema, options: JsonOptions) -> Codec:
    """A function equal to ``lambda v: value_to_json(schema, v, options)``, only faster."""

    def generic(value: Any) -> Any:
        return value_to_json(schema, value, options)

    exact = _exact_type(schema)
    if schema.type is Type.STRUCT and schema.name not in LOGICAL_TYPES:
        inner = _struct_encoder(schema, options, generic)
    elif exact is not _Never:
        inner = _passthrough(exact, generic)
    else:
        return generic
    if schema.optional and schema.default is None:

        def optional(value: Any) -> Any:
            return None if value is None else inner(value)

        return optional

    def required(value: Any) -> Any:
        return generic(value) if value is None else inner(value)

    return required


def _passthrough(exact: type, generic: Codec) -> Codec:
    def convert(value: Any) -> Any:
        return value if type(value) is exact else generic(value)

    return convert


def _struct_encoder(schema: Schema, options: JsonOptions, generic: Codec) -> Codec:
    fields = [
        (f.name, _exact_type(f.schema), compile_encoder(f.schema, options)) for f in schema.fields
    ]

    def convert(value: Any) -> Any:
        if type(value) is not Struct or value.schema is not schema:
            return generic(value)
        values = value._values
        out = {}
        for name, exact, encode in fields:
            v = values.get(name)
            out[name] = v if type(v) is exact else encode(v)
        return out

    return convert


# ------------------------------------------------------------------------- decoding
def compile_decoder(schema: Schema | None) -> Codec:
    """A function equal to ``lambda node: value_from_json(schema, node)``, only faster."""
    if schema is None:
        return _identity

    def generic(node: Any) -> Any:
        return value_from_json(schema, node)

    if schema.name in LOGICAL_TYPES:
        return generic
    if schema.type is Type.STRUCT:
        inner = _struct_decoder(schema, generic)
    elif schema.type in _INT_LIMITS:
        inner = _int_decoder(_INT_LIMITS[schema.type], generic)
    elif schema.type in _PASSTHROUGH:
        inner = _passthrough(_PASSTHROUGH[schema.type], generic)
    else:
        return generic
    if schema.optional and schema.default is None:

        def optional(node: Any) -> Any:
            return None if node is None else inner(node)

        return optional

    def required(node: Any) -> Any:
        return generic(node) if node is None else inner(node)

    return required


def _identity(node: Any) -> Any:
    return node


def _int_decoder(limit: int, generic: Codec) -> Codec:
    low = -limit

    def convert(node: Any) -> Any:
        if type(node) is int and low <= node < limit:
            return node
        return generic(node)

    return convert


def _struct_decoder(schema: Schema, generic: Codec) -> Codec:
    fields = []
    for f in schema.fields:
        exact = _exact_type(f.schema)
        fields.append((f.name, _Never if exact is int else exact, compile_decoder(f.schema)))
    from_validated = Struct.from_validated

    def convert(node: Any) -> Any:
        if type(node) is not dict:
            return generic(node)
        values = {}
        for name, exact, decode in fields:
            v = node.get(name)
            values[name] = v if type(v) is exact else decode(v)
        return from_validated(schema, values)

    return convert


__all__ = ["Codec", "compile_decoder", "compile_encoder"]
