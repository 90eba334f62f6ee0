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
        return _struct_encoder(schema, options, generic)
    if exact is not _Never:
        return _passthrough(exact, generic)
    return generic


def _passthrough(exact: type, generic: Codec) -> Codec:
    def convert(value: Any) -> Any:
        return value if type(value) is exact else generic(value)

    return convert


def _plain_null(schema: Schema) -> bool:
    """Whether null is written/read as null itself (optional, no default to use instead)."""
    return schema.optional and schema.default is None


def _keep_condition(var: str, schema: Schema, *, check_range: bool) -> str:
    """Python source of "this field value is its own result" (else its codec is called)."""
    exact = _exact_type(schema)
    if exact is int and check_range:
        limit = _INT_LIMITS[schema.type]
        parts = [f"(type({var}) is int and {-limit} <= {var} < {limit})"]
    elif exact is not _Never:
        parts = [f"type({var}) is {exact.__name__}"]
    else:
        parts = []
    if _plain_null(schema):
        parts.append(f"{var} is None")
    return " or ".join(parts) or "False"


def _generate_struct_codec(
    schema: Schema, generic: Codec, field_codec: Callable[[Schema], Codec], *, decoding: bool
) -> Codec:
    """One generated function per struct schema: straight-line code, one block per field.

    Why generated: a loop over (name, type, codec) tuples costs several times the work
    it selects; here each field is a ``get``, an inline type test and, only when that test
    fails, a call of the field's own compiled codec. Field names appear only as ``repr``
    string literals, never as code.
    """
    namespace: dict[str, Any] = {"Struct": Struct, "schema": schema, "generic": generic,
                                 "new": object.__new__}  # fmt: skip
    if decoding:
        head = ["    if type(source) is not dict:", "        return generic(source)"]
        getter = "    get = source.get"
    else:
        head = [
            "    if type(source) is not Struct or source.schema is not schema:",
            "        return generic(source)",
        ]
        getter = "    get = source._values.get"
    body, items = [*head, getter], []
    for i, f in enumerate(schema.fields):
        var = f"v{i}"
        namespace[f"c{i}"] = field_codec(f.schema)
        body.append(f"    {var} = get({f.name!r})")
        if not decoding and _inlinable(f.schema):
            body += _inline_struct(var, f"c{i}", f.schema, namespace, field_codec)
            items.append(f"{f.name!r}: {var}")
            continue
        body += _convert_lines(var, f"c{i}", f.schema, check_range=decoding, indent="    ")
        items.append(f"{f.name!r}: {var}")
    result = "{" + ", ".join(items) + "}"
    if decoding:  # Struct.from_validated, inlined: the values were checked just above
        body += ["    out = new(Struct)", "    out.schema = schema", f"    out._values = {result}"]
        body.append("    return out")
    else:
        body.append(f"    return {result}")
    source = "def convert(source):\n" + "\n".join(body) + "\n"
    # the source holds field names only as repr() literals: no name can become code
    exec(compile(source, f"<json codec for {schema.name or 'struct'}>", "exec"), namespace)
    codec: Codec = namespace["convert"]
    return codec


def _convert_lines(
    var: str, codec: str, schema: Schema, *, check_range: bool, indent: str
) -> list[str]:
    """Lines keeping ``var`` when it is its own result, else passing it to ``codec``."""
    keep = _keep_condition(var, schema, check_range=check_range)
    if keep == "False":
        return [f"{indent}{var} = {codec}({var})"]
    return [f"{indent}if not ({keep}):", f"{indent}    {var} = {codec}({var})"]


def _inlinable(schema: Schema) -> bool:
    """A struct field whose own encoder is inlined in its parent's (one level deep)."""
    return schema.type is Type.STRUCT and schema.name not in LOGICAL_TYPES


def _inline_struct(
    var: str, codec: str, schema: Schema, namespace: dict[str, Any],
    field_codec: Callable[[Schema], Codec],
) -> list[str]:  # fmt: skip
    """Lines encoding the struct in ``var`` as its own compiled encoder would, inline.

    A Struct of exactly ``schema`` is encoded field by field right here (saving a call per
    nested struct, e.g. a Debezium envelope's ``after`` and ``source``); anything else goes
    to ``codec``, the field's compiled encoder, as before (None stays None when plain).
    """
    schema_name = f"{codec}_schema"
    namespace[schema_name] = schema
    lines = [
        f"    if type({var}) is Struct and {var}.schema is {schema_name}:",
        f"        get_{var} = {var}._values.get",
    ]
    items = []
    for j, f in enumerate(schema.fields):
        sub, sub_codec = f"{var}_{j}", f"{codec}_{j}"
        namespace[sub_codec] = field_codec(f.schema)
        lines.append(f"        {sub} = get_{var}({f.name!r})")
        lines += _convert_lines(sub, sub_codec, f.schema, check_range=False, indent="        ")
        items.append(f"{f.name!r}: {sub}")
    lines.append(f"        {var} = {{{', '.join(items)}}}")
    if _plain_null(schema):
        lines += [f"    elif {var} is not None:", f"        {var} = {codec}({var})"]
    else:
        lines += ["    else:", f"        {var} = {codec}({var})"]
    return lines


def _struct_encoder(schema: Schema, options: JsonOptions, generic: Codec) -> Codec:
    return _generate_struct_codec(
        schema, generic, lambda s: compile_encoder(s, options), decoding=False
    )


# ------------------------------------------------------------------------- decoding
def decoded_as_is(schema: Schema | None) -> type:
    """The Python type whose JSON values decode to themselves for ``schema``.

    A type no JSON value has when there is none (ints need their range checked): callers
    test ``type(node) is decoded_as_is(schema)`` before calling the compiled decoder.
    """
    exact = _Never if schema is None else _exact_type(schema)
    return _Never if exact is int else exact


def compile_decoder(schema: Schema | None) -> Codec:
    """A function equal to ``lambda node: value_from_json(schema, node)``, only faster."""
    if schema is None:
        return _identity

    def generic(node: Any) -> Any:
        return value_from_json(schema, node)

    if schema.name in LOGICAL_TYPES:
        return generic
    if schema.type is Type.STRUCT:
        return _struct_decoder(schema, generic)
    if schema.type in _INT_LIMITS:
        return _int_decoder(_INT_LIMITS[schema.type], generic)
    if schema.type in _PASSTHROUGH:
        return _passthrough(_PASSTHROUGH[schema.type], generic)
    return generic


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
    return _generate_struct_codec(schema, generic, compile_decoder, decoding=True)


__all__ = ["Codec", "compile_decoder", "compile_encoder", "decoded_as_is"]
