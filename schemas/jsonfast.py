"""A compiled fast path for JSON Schema validation of records on the serialize path.

``jsonschema`` walks the schema for every document, which costs tens of
microseconds per record — more than serializing it.  For the keywords that
connectors' record schemas use (type, properties, required,
additionalProperties, items, enum, const, numeric and length limits, pattern)
this module compiles the schema once into nested closures.  It is a filter,
not the authority: a document it rejects (or any schema using a keyword it
does not know) goes through ``jsonschema``, which gives the error and its path.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

Check = Callable[[Any], bool]

_ANNOTATIONS = frozenset(
    {"$schema", "$id", "$comment", "title", "description", "default", "examples", "format",
     "readOnly", "writeOnly", "deprecated", "definitions", "$defs"}
)  # fmt: skip
_TYPE_CHECKS: dict[str, Check] = {
    "null": lambda v: v is None,
    "boolean": lambda v: v is True or v is False,
    "integer": lambda v: (type(v) is int) or (type(v) is float and v.is_integer()),
    "number": lambda v: type(v) is int or type(v) is float,
    "string": lambda v: type(v) is str,
    "array": lambda v: type(v) is list or type(v) is tuple,
    "object": lambda v: type(v) is dict,
}


class Unsupported(Exception):
    """The schema uses a keyword the fast path does not compile."""


def compile_schema(schema: Any) -> Check | None:
    """A predicate that accepts only documents ``schema`` accepts, or None if not compilable."""
    try:
        return _compile(schema)
    except Unsupported:
        return None


def _compile(schema: Any) -> Check:
    if schema is True or schema == {}:
        return lambda _v: True
    if schema is False:
        return lambda _v: False
    if not isinstance(schema, dict):
        raise Unsupported
    checks: list[Check] = []
    for key, arg in schema.items():
        if key in _ANNOTATIONS or key.startswith("connect."):
            continue
        builder = _BUILDERS.get(key)
        if builder is None:
            raise Unsupported(key)
        found = builder(arg, schema)
        if found is not None:
            checks.append(found)
    if len(checks) == 1:
        return checks[0]
    return lambda v: all(c(v) for c in checks)


def _type(arg: Any, _: dict[str, Any]) -> Check:
    names = [arg] if isinstance(arg, str) else list(arg)
    fns = [_TYPE_CHECKS[n] for n in names]
    if len(fns) == 1:
        return fns[0]
    return lambda v: any(f(v) for f in fns)


def _properties(arg: Any, schema: dict[str, Any]) -> Check:
    props = [(name, _compile(sub)) for name, sub in arg.items()]
    required = tuple(schema.get("required", ()))
    extra = schema.get("additionalProperties", True)
    if schema.get("patternProperties"):
        msg = "patternProperties"
        raise Unsupported(msg)
    known = frozenset(arg)
    extra_check = None if extra is True or extra == {} else _compile(extra)

    def check(v: Any) -> bool:
        if type(v) is not dict:
            return True
        for name in required:
            if name not in v:
                return False
        for name, fn in props:
            if name in v and not fn(v[name]):
                return False
        if extra_check is not None:
            return all(extra_check(val) for k, val in v.items() if k not in known)
        return True

    return check


def _noop(arg: Any, schema: dict[str, Any]) -> Check | None:
    if "properties" not in schema:
        return _properties({}, schema)
    return None  # handled by _properties


def _items(arg: Any, _: dict[str, Any]) -> Check:
    if isinstance(arg, list):
        msg = "tuple items"
        raise Unsupported(msg)
    fn = _compile(arg)
    return lambda v: not isinstance(v, list | tuple) or all(fn(x) for x in v)


def _enum(arg: Any, _: dict[str, Any]) -> Check:
    values = list(arg)
    return lambda v: (
        any(v == x and type(v) is type(x) for x in values)
        or (any(_num(v) and _num(x) and v == x for x in values))
    )


def _const(arg: Any, s: dict[str, Any]) -> Check:
    return _enum([arg], s)


def _num(v: Any) -> bool:
    return type(v) is int or type(v) is float


def _limit(op: Callable[[Any, Any], bool], size: Callable[[Any], Any] | None, kind: type) -> Any:
    def build(arg: Any, _: dict[str, Any]) -> Check:
        if size is None:
            return lambda v: not _num(v) or op(v, arg)
        return lambda v: not isinstance(v, kind) or op(size(v), arg)

    return build


def _pattern(arg: Any, _: dict[str, Any]) -> Check:
    regex = re.compile(arg)
    return lambda v: type(v) is not str or regex.search(v) is not None


_BUILDERS: dict[str, Callable[[Any, dict[str, Any]], Check | None]] = {
    "type": _type,
    "properties": _properties,
    "required": _noop,
    "additionalProperties": _noop,
    "items": _items,
    "enum": _enum,
    "const": _const,
    "minimum": _limit(lambda a, b: a >= b, None, object),
    "maximum": _limit(lambda a, b: a <= b, None, object),
    "exclusiveMinimum": _limit(lambda a, b: a > b, None, object),
    "exclusiveMaximum": _limit(lambda a, b: a < b, None, object),
    "minLength": _limit(lambda a, b: a >= b, len, str),
    "maxLength": _limit(lambda a, b: a <= b, len, str),
    "minItems": _limit(lambda a, b: a >= b, len, list),
    "maxItems": _limit(lambda a, b: a <= b, len, list),
    "pattern": _pattern,
}
