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
    "integer": lambda v: type(v) is int or (type(v) is float and v.is_integer()),
    "number": lambda v: type(v) is int or type(v) is float,
    "string": lambda v: type(v) is str,
    "array": lambda v: type(v) is list or type(v) is tuple,
    "object": lambda v: type(v) is dict,
}


class Unsupported(Exception):
    """The schema uses a keyword the fast path does not compile."""


def compile_schema(schema: Any) -> Check | None:
    """A predicate that accepts only documents ``schema`` accepts, or None if not compilable.

    The common keywords become one generated Python expression (no call per
    keyword or property); the rest are closures called from it.
    """
    try:
        gen = _ExprGen()
        body = gen.expr(schema, "v")
        return eval(f"lambda v: {body}", gen.consts)  # type: ignore[no-any-return]
    except (Unsupported, KeyError, TypeError):
        return None


_INLINE_TYPES = {
    "null": "{x} is None",
    "boolean": "({x} is True or {x} is False)",
    "integer": "(type({x}) is int or (type({x}) is float and {x}.is_integer()))",
    "number": "(type({x}) is int or type({x}) is float)",
    "string": "type({x}) is str",
    "array": "(type({x}) is list or type({x}) is tuple)",
    "object": "type({x}) is dict",
}


class _ExprGen:
    """Turns a schema into one boolean Python expression over a variable name."""

    def __init__(self) -> None:
        self.consts: dict[str, Any] = {"M": object()}
        self.counter = 0

    def const(self, value: Any) -> str:
        self.counter += 1
        name = f"C{self.counter}"
        self.consts[name] = value
        return name

    def var(self) -> str:
        self.counter += 1
        return f"x{self.counter}"

    def expr(self, schema: Any, x: str) -> str:
        if schema is True or schema == {}:
            return "True"
        if not isinstance(schema, dict):
            return f"{self.const(_compile(schema))}({x})"
        parts = []
        for key, arg in schema.items():
            if key in _ANNOTATIONS or key.startswith("connect.") or key in _OBJECT_WORDS:
                continue
            if key == "type":
                names = [arg] if isinstance(arg, str) else list(arg)
                parts.append("(" + " or ".join(_INLINE_TYPES[n].format(x=x) for n in names) + ")")
            elif key == "properties":
                parts.append(self.properties(schema, x))
            elif key == "oneOf" and len(arg) == 2 and {"type": "null"} in arg:
                other = arg[1] if arg[0] == {"type": "null"} else arg[0]
                if _compile(other)(None):
                    parts.append(f"{self.const(_one_of(arg, schema))}({x})")
                else:
                    parts.append(f"({x} is None or {self.expr(other, x)})")
            else:
                builder = _BUILDERS.get(key)
                if builder is None:
                    raise Unsupported(key)
                fn = builder(arg, schema)
                if fn is not None:
                    parts.append(f"{self.const(fn)}({x})")
        object_words = "required" in schema or "additionalProperties" in schema
        if object_words and "properties" not in schema:
            parts.append(f"{self.const(_properties({}, schema))}({x})")
        return "(" + " and ".join(parts) + ")" if parts else "True"

    def properties(self, schema: dict[str, Any], x: str) -> str:
        if schema.get("patternProperties"):
            msg = "patternProperties"
            raise Unsupported(msg)
        props: dict[str, Any] = schema["properties"]
        conds = []
        required = frozenset(schema.get("required", ()))
        if required:
            conds.append(f"{self.const(required)}.issubset({x})")
        extra = schema.get("additionalProperties", True)
        if extra is False:
            conds.append(f"{self.const(frozenset(props))}.issuperset({x})")
        elif not (extra is True or extra == {}):
            conds.append(f"{self.const(_properties(props, schema))}({x})")
        for name, sub in props.items():
            y = self.var()
            conds.append(f"(({y} := {x}.get({name!r}, M)) is M or {self.expr(sub, y)})")
        return f"(type({x}) is not dict or ({' and '.join(conds) or 'True'}))"


_OBJECT_WORDS = frozenset({"required", "additionalProperties"})


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
    if schema.get("patternProperties"):
        msg = "patternProperties"
        raise Unsupported(msg)
    props = [(name, _compile(sub)) for name, sub in arg.items()]
    required = frozenset(schema.get("required", ()))
    known = frozenset(arg)
    extra = schema.get("additionalProperties", True)
    closed = extra is False
    extra_check = None if closed or extra is True or extra == {} else _compile(extra)
    missing = object()

    def check(v: Any) -> bool:
        if type(v) is not dict:
            return True
        if required and not required.issubset(v):
            return False
        if closed and not known.issuperset(v):
            return False
        for name, fn in props:
            item = v.get(name, missing)
            if item is not missing and not fn(item):
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


def _one_of(arg: Any, _: dict[str, Any]) -> Check:
    fns = [_compile(sub) for sub in arg]
    if len(arg) == 2 and {"type": "null"} in arg:
        other = fns[1] if arg[0] == {"type": "null"} else fns[0]
        if not other(None):  # the common "optional X": exactly one branch can match
            return lambda v: v is None or other(v)
    return lambda v: sum(1 for f in fns if f(v)) == 1


def _any_of(arg: Any, _: dict[str, Any]) -> Check:
    fns = [_compile(sub) for sub in arg]
    return lambda v: any(f(v) for f in fns)


def _all_of(arg: Any, _: dict[str, Any]) -> Check:
    fns = [_compile(sub) for sub in arg]
    return lambda v: all(f(v) for f in fns)


def _not(arg: Any, _: dict[str, Any]) -> Check:
    fn = _compile(arg)
    return lambda v: not fn(v)


_BUILDERS: dict[str, Callable[[Any, dict[str, Any]], Check | None]] = {
    "oneOf": _one_of,
    "anyOf": _any_of,
    "allOf": _all_of,
    "not": _not,
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
