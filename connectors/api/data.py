"""The Connect data model: schemas, structs and the logical types, as in Kafka Connect.

Why a data model and not plain dicts: records that carry schemas (Debezium envelopes, Avro,
JSON with ``schemas.enable=true``) must keep their types, optionality, names and defaults
through transforms and converters. Values map to Python types as follows:

=========================  ==========================================
Connect type               Python value
=========================  ==========================================
INT8, INT16, INT32, INT64  ``int`` (range-checked, never ``bool``)
FLOAT32, FLOAT64           ``float``
BOOLEAN                    ``bool``
STRING                     ``str``
BYTES                      ``bytes`` (``bytearray``/``memoryview`` accepted)
ARRAY                      ``list`` (or ``tuple``)
MAP                        ``dict``
STRUCT                     :class:`Struct`
Decimal (logical, BYTES)   ``decimal.Decimal``
Date (logical, INT32)      ``datetime.date``
Time (logical, INT32)      ``datetime.time``
Timestamp (logical INT64)  ``datetime.datetime`` (naive means UTC)
=========================  ==========================================

Schemaless records carry ``schema=None`` and plain Python values (dicts for objects).
"""

from __future__ import annotations

import datetime as _dt
import decimal as _decimal
from collections.abc import Iterator, Mapping, Sequence
from enum import StrEnum
from typing import Any, ClassVar

from connectors.api.errors import DataError
from connectors.api.schema_and_value import SchemaAndValue as SchemaAndValue


class Type(StrEnum):
    """Connect schema types; values are Kafka's ``Schema.Type.getName()`` spellings."""

    INT8 = "int8"
    INT16 = "int16"
    INT32 = "int32"
    INT64 = "int64"
    FLOAT32 = "float32"
    FLOAT64 = "float64"
    BOOLEAN = "boolean"
    STRING = "string"
    BYTES = "bytes"
    ARRAY = "array"
    MAP = "map"
    STRUCT = "struct"

    @property
    def is_primitive(self) -> bool:
        """True for every type but ARRAY, MAP and STRUCT."""
        return self not in (Type.ARRAY, Type.MAP, Type.STRUCT)


_INT_RANGES = {
    Type.INT8: (-(2**7), 2**7 - 1),
    Type.INT16: (-(2**15), 2**15 - 1),
    Type.INT32: (-(2**31), 2**31 - 1),
    Type.INT64: (-(2**63), 2**63 - 1),
}


class Field:
    """One named, positioned field of a STRUCT schema."""

    __slots__ = ("index", "name", "schema")

    def __init__(self, name: str, index: int, schema: Schema) -> None:
        self.name = name
        self.index = index
        self.schema = schema

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Field):
            return NotImplemented
        return (self.name, self.index, self.schema) == (other.name, other.index, other.schema)

    def __hash__(self) -> int:
        return hash((self.name, self.index))

    def __repr__(self) -> str:
        return f"Field(name={self.name!r}, index={self.index}, schema={self.schema!r})"


class Schema:
    """An immutable Connect schema (Kafka's ``ConnectSchema``); built with :class:`SchemaBuilder`.

    Attributes:
        type: the physical type. optional: whether None is a valid value. default: the
        value used for None. name/version/doc/parameters: metadata; a ``name`` such as
        ``org.apache.kafka.connect.data.Decimal`` marks a logical type.
        key_schema/value_schema: MAP key and value schemas; ``value_schema`` is also the
        ARRAY element schema.
    """

    __slots__ = (
        "_field_map",
        "_fields",
        "default",
        "doc",
        "key_schema",
        "name",
        "optional",
        "parameters",
        "type",
        "value_schema",
        "version",
    )

    INT8_SCHEMA: ClassVar[Schema]
    INT16_SCHEMA: ClassVar[Schema]
    INT32_SCHEMA: ClassVar[Schema]
    INT64_SCHEMA: ClassVar[Schema]
    FLOAT32_SCHEMA: ClassVar[Schema]
    FLOAT64_SCHEMA: ClassVar[Schema]
    BOOLEAN_SCHEMA: ClassVar[Schema]
    STRING_SCHEMA: ClassVar[Schema]
    BYTES_SCHEMA: ClassVar[Schema]
    OPTIONAL_INT8_SCHEMA: ClassVar[Schema]
    OPTIONAL_INT16_SCHEMA: ClassVar[Schema]
    OPTIONAL_INT32_SCHEMA: ClassVar[Schema]
    OPTIONAL_INT64_SCHEMA: ClassVar[Schema]
    OPTIONAL_FLOAT32_SCHEMA: ClassVar[Schema]
    OPTIONAL_FLOAT64_SCHEMA: ClassVar[Schema]
    OPTIONAL_BOOLEAN_SCHEMA: ClassVar[Schema]
    OPTIONAL_STRING_SCHEMA: ClassVar[Schema]
    OPTIONAL_BYTES_SCHEMA: ClassVar[Schema]

    def __init__(
        self,
        type: Type,
        *,
        optional: bool = False,
        default: Any = None,
        name: str | None = None,
        version: int | None = None,
        doc: str | None = None,
        parameters: Mapping[str, str] | None = None,
        fields: Sequence[Field] | None = None,
        key_schema: Schema | None = None,
        value_schema: Schema | None = None,
    ) -> None:
        self.type = Type(type)
        self.optional = optional
        self.name = name
        self.version = version
        self.doc = doc
        self.parameters: dict[str, str] | None = dict(parameters) if parameters else None
        self._fields: tuple[Field, ...] = tuple(fields or ())
        self._field_map = {f.name: f for f in self._fields}
        self.key_schema = key_schema
        self.value_schema = value_schema
        self._check_shape()
        self.default = default
        if default is not None:
            validate_value(self, default, "default value")

    def _check_shape(self) -> None:
        if self.type is Type.MAP and (self.key_schema is None or self.value_schema is None):
            msg = "A MAP schema needs both a key schema and a value schema."
            raise DataError(msg)
        if self.type is Type.ARRAY and self.value_schema is None:
            msg = "An ARRAY schema needs an element (value) schema."
            raise DataError(msg)
        if self._fields and self.type is not Type.STRUCT:
            msg = f"Only STRUCT schemas have fields; this one is {self.type.name}."
            raise DataError(msg)

    @property
    def fields(self) -> tuple[Field, ...]:
        """The STRUCT's fields in order; DataError for other types, as in Kafka."""
        if self.type is not Type.STRUCT:
            msg = f"Cannot list fields on non-struct type {self.type.name}."
            raise DataError(msg)
        return self._fields

    def field(self, name: str) -> Field | None:
        """The field called ``name``, or None (DataError for non-struct schemas)."""
        if self.type is not Type.STRUCT:
            msg = f"Cannot look up fields on non-struct type {self.type.name}."
            raise DataError(msg)
        return self._field_map.get(name)

    def _identity(self) -> tuple[Any, ...]:
        return (
            self.type,
            self.optional,
            self.name,
            self.version,
            self.doc,
            self.parameters,
            self._fields,
            self.key_schema,
            self.value_schema,
        )

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if not isinstance(other, Schema):
            return NotImplemented
        return self._identity() == other._identity() and _values_equal(self.default, other.default)

    def __hash__(self) -> int:
        return hash((self.type, self.optional, self.name, self.version, self._fields))

    def __repr__(self) -> str:
        parts = [f"Schema({self.type.name}"]
        if self.name:
            parts.append(f"name={self.name!r}")
        if self.optional:
            parts.append("optional")
        if self.type is Type.STRUCT:
            parts.append("fields=[" + ", ".join(f.name for f in self._fields) + "]")
        return ", ".join(parts) + ")"


class SchemaBuilder:
    """Fluent builder for :class:`Schema`, mirroring Kafka's ``SchemaBuilder``.

    Example::

        SchemaBuilder.struct().name("shop.orders.Value").field("id", Schema.INT32_SCHEMA).build()
    """

    def __init__(self, type: Type) -> None:
        self._type = Type(type)
        self._optional = False
        self._default: Any = None
        self._name: str | None = None
        self._version: int | None = None
        self._doc: str | None = None
        self._parameters: dict[str, str] = {}
        self._fields: dict[str, Field] = {}
        self._key: Schema | None = None
        self._value: Schema | None = None

    @classmethod
    def of(cls, schema: Schema) -> SchemaBuilder:
        """A builder pre-filled with everything from ``schema`` (to derive a modified copy)."""
        b = cls(schema.type)
        b._optional, b._default, b._name = schema.optional, schema.default, schema.name
        b._version, b._doc = schema.version, schema.doc
        b._parameters = dict(schema.parameters or {})
        b._key, b._value = schema.key_schema, schema.value_schema
        if schema.type is Type.STRUCT:
            for f in schema.fields:
                b.field(f.name, f.schema)
        return b

    @classmethod
    def int8(cls) -> SchemaBuilder:
        return cls(Type.INT8)

    @classmethod
    def int16(cls) -> SchemaBuilder:
        return cls(Type.INT16)

    @classmethod
    def int32(cls) -> SchemaBuilder:
        return cls(Type.INT32)

    @classmethod
    def int64(cls) -> SchemaBuilder:
        return cls(Type.INT64)

    @classmethod
    def float32(cls) -> SchemaBuilder:
        return cls(Type.FLOAT32)

    @classmethod
    def float64(cls) -> SchemaBuilder:
        return cls(Type.FLOAT64)

    @classmethod
    def bool(cls) -> SchemaBuilder:
        return cls(Type.BOOLEAN)

    @classmethod
    def string(cls) -> SchemaBuilder:
        return cls(Type.STRING)

    @classmethod
    def bytes(cls) -> SchemaBuilder:
        return cls(Type.BYTES)

    @classmethod
    def struct(cls) -> SchemaBuilder:
        return cls(Type.STRUCT)

    @classmethod
    def array(cls, value_schema: Schema) -> SchemaBuilder:
        b = cls(Type.ARRAY)
        b._value = value_schema
        return b

    @classmethod
    def map(cls, key_schema: Schema, value_schema: Schema) -> SchemaBuilder:
        b = cls(Type.MAP)
        b._key, b._value = key_schema, value_schema
        return b

    @property
    def type(self) -> Type:
        return self._type

    def optional(self) -> SchemaBuilder:
        self._optional = True
        return self

    def required(self) -> SchemaBuilder:
        self._optional = False
        return self

    def default_value(self, value: Any) -> SchemaBuilder:
        self._default = value
        return self

    def name(self, name: str | None) -> SchemaBuilder:
        self._name = name
        return self

    def version(self, version: int | None) -> SchemaBuilder:
        self._version = version
        return self

    def doc(self, doc: str | None) -> SchemaBuilder:
        self._doc = doc
        return self

    def parameter(self, key: str, value: str) -> SchemaBuilder:
        self._parameters[key] = value
        return self

    def parameters(self, params: Mapping[str, str]) -> SchemaBuilder:
        self._parameters.update(params)
        return self

    def field(self, name: str, schema: Schema | SchemaBuilder) -> SchemaBuilder:
        """Append a STRUCT field; a repeated name is an error, as in Kafka."""
        if self._type is not Type.STRUCT:
            msg = f"Cannot add field {name!r}: a {self._type.name} schema has no fields."
            raise DataError(msg)
        if name in self._fields:
            msg = f"Cannot create field because of field name duplication {name}."
            raise DataError(msg)
        built = schema.build() if isinstance(schema, SchemaBuilder) else schema
        self._fields[name] = Field(name, len(self._fields), built)
        return self

    def build(self) -> Schema:
        return Schema(
            self._type,
            optional=self._optional,
            default=self._default,
            name=self._name,
            version=self._version,
            doc=self._doc,
            parameters=self._parameters or None,
            fields=list(self._fields.values()),
            key_schema=self._key,
            value_schema=self._value,
        )


def _install_standard_schemas() -> None:
    for t in (Type.INT8, Type.INT16, Type.INT32, Type.INT64, Type.FLOAT32, Type.FLOAT64):
        setattr(Schema, f"{t.name}_SCHEMA", Schema(t))
        setattr(Schema, f"OPTIONAL_{t.name}_SCHEMA", Schema(t, optional=True))
    for t in (Type.BOOLEAN, Type.STRING, Type.BYTES):
        setattr(Schema, f"{t.name}_SCHEMA", Schema(t))
        setattr(Schema, f"OPTIONAL_{t.name}_SCHEMA", Schema(t, optional=True))


_install_standard_schemas()


_new_object = object.__new__


class Struct:
    """A STRUCT value: field values checked against the schema as they are put (like Kafka)."""

    __slots__ = ("_values", "schema")

    def __init__(self, schema: Schema, values: Mapping[str, Any] | None = None) -> None:
        if schema.type is not Type.STRUCT:
            msg = f"A Struct needs a STRUCT schema, not {schema.type.name}."
            raise DataError(msg)
        self.schema = schema
        self._values: dict[str, Any] = {}
        for name, value in (values or {}).items():
            self.put(name, value)

    @classmethod
    def from_validated(cls, schema: Schema, values: dict[str, Any]) -> Struct:
        """A Struct over ``values`` without per-field checks (the dict is used as is).

        For producers that already guarantee every value fits its field schema, such as a
        converter that decoded the data against that schema; everyone else uses ``put``.
        """
        struct = _new_object(cls)
        struct.schema = schema
        struct._values = values
        return struct

    def _field(self, name: str) -> Field:
        f = self.schema._field_map.get(name)
        if f is None:
            msg = f"{name} is not a valid field name of {self.schema.name or 'the struct'}."
            raise DataError(msg)
        return f

    def put(self, name: str, value: Any) -> Struct:
        """Set a field after validating the value; returns self so puts can be chained."""
        f = self._field(name)
        validate_value(f.schema, value, f"field {name!r}")
        self._values[name] = value
        return self

    def get(self, name: str) -> Any:
        """The field's value, or the field schema's default when unset/None (Kafka semantics)."""
        f = self._field(name)
        value = self._values.get(name)
        return f.schema.default if value is None else value

    def get_without_default(self, name: str) -> Any:
        """The field's value exactly as put (None when unset), ignoring schema defaults."""
        self._field(name)
        return self._values.get(name)

    __getitem__ = get

    def validate(self) -> None:
        """Check every field, required ones never put too; DataError names the first bad one."""
        for f in self.schema.fields:
            validate_value(f.schema, self._values.get(f.name), f"field {f.name!r}")

    def items(self) -> Iterator[tuple[str, Any]]:
        """(field name, value or default) pairs in schema order."""
        for f in self.schema.fields:
            yield f.name, self.get(f.name)

    def to_dict(self) -> dict[str, Any]:
        """A plain, recursive dict copy (structs inside lists and maps too)."""
        values = self._values
        out: dict[str, Any] = {}
        for f in self.schema.fields:
            value = values.get(f.name)
            if value is None:
                value = f.schema.default
            out[f.name] = value if type(value) in _SCALARS else _plain(value)
        return out

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Struct):
            return NotImplemented
        if self.schema != other.schema:
            return False
        return all(
            _values_equal(self._values.get(f.name), other._values.get(f.name))
            for f in self.schema.fields
        )

    def __hash__(self) -> int:
        return hash(self.schema)

    def __repr__(self) -> str:
        inner = ",".join(f"{f.name}={self._values.get(f.name)!r}" for f in self.schema.fields)
        return f"Struct{{{inner}}}"


#: values :func:`_plain` returns unchanged, checked by exact type first in ``to_dict``
_SCALARS = frozenset({str, int, float, bool, bytes, type(None)})


def _plain(value: Any) -> Any:
    if isinstance(value, Struct):
        return value.to_dict()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _values_equal(a: Any, b: Any) -> bool:
    if isinstance(a, bytes | bytearray | memoryview) and isinstance(
        b, bytes | bytearray | memoryview
    ):
        return bytes(a) == bytes(b)
    return bool(a == b)


DECIMAL_NAME = "org.apache.kafka.connect.data.Decimal"
DATE_NAME = "org.apache.kafka.connect.data.Date"
TIME_NAME = "org.apache.kafka.connect.data.Time"
TIMESTAMP_NAME = "org.apache.kafka.connect.data.Timestamp"

#: logical type name -> the Python type its values must have
LOGICAL_PY_TYPES: dict[str, type] = {
    DECIMAL_NAME: _decimal.Decimal,
    DATE_NAME: _dt.date,
    TIME_NAME: _dt.time,
    TIMESTAMP_NAME: _dt.datetime,
}

_PY_TYPES: dict[Type, tuple[type, ...]] = {
    Type.FLOAT32: (float,),
    Type.FLOAT64: (float,),
    Type.BOOLEAN: (bool,),
    Type.STRING: (str,),
    Type.BYTES: (bytes, bytearray, memoryview),
    Type.ARRAY: (list, tuple),
    Type.MAP: (dict, Mapping),
    Type.STRUCT: (Struct,),
}


#: types whose values of exactly these Python types are valid without further checks
_EXACT: dict[Type, type] = {
    Type.STRING: str,
    Type.BOOLEAN: bool,
    Type.FLOAT32: float,
    Type.FLOAT64: float,
    Type.BYTES: bytes,
}


def validate_value(schema: Schema, value: Any, where: str = "value") -> None:
    """Raise DataError unless ``value`` is valid for ``schema`` (Kafka's ``validateValue``)."""
    if value is None:
        if not schema.optional and schema.default is None:
            msg = f"Invalid {where}: null used for required schema {_describe(schema)}."
            raise DataError(msg)
        return
    if schema.name is None and type(value) is _EXACT.get(schema.type):
        return  # the common case, answered before the general checks below
    logical = LOGICAL_PY_TYPES.get(schema.name or "")
    if logical is not None:
        if not isinstance(value, logical):
            raise DataError(_type_message(where, schema, value, logical.__name__))
        return
    t = schema.type
    if t in _INT_RANGES:
        if not isinstance(value, int) or isinstance(value, bool):
            raise DataError(_type_message(where, schema, value, "int"))
        low, high = _INT_RANGES[t]
        if not low <= value <= high:
            msg = f"Invalid {where}: {value} is out of range for {t.name}."
            raise DataError(msg)
        return
    if not isinstance(value, _PY_TYPES[t]):
        raise DataError(_type_message(where, schema, value, _PY_TYPES[t][0].__name__))
    _validate_container(schema, value, where)


def _validate_container(schema: Schema, value: Any, where: str) -> None:
    if schema.type is Type.STRUCT:
        if value.schema != schema:
            msg = f"Invalid {where}: Struct schemas do not match."
            raise DataError(msg)
        value.validate()
    elif schema.type is Type.ARRAY:
        assert schema.value_schema is not None
        for item in value:
            validate_value(schema.value_schema, item, f"element of {where}")
    elif schema.type is Type.MAP:
        assert schema.key_schema is not None and schema.value_schema is not None
        for k, v in value.items():
            validate_value(schema.key_schema, k, f"key of {where}")
            validate_value(schema.value_schema, v, f"value of {where}")


def _describe(schema: Schema) -> str:
    return f"{schema.type.name}" + (f" ({schema.name})" if schema.name else "")


def _type_message(where: str, schema: Schema, value: Any, expected: str) -> str:
    return (
        f"Invalid {where}: {type(value).__name__} given for schema {_describe(schema)}; "
        f"expected {expected}."
    )
