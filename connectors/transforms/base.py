"""Shared machinery of the bundled transforms: key/value targeting, type checks, caches.

Most Kafka SMTs come as ``$Key`` and ``$Value`` pairs doing the same work on the record's
key or value; :class:`KeyValueTransform` holds that work once and each pair is two tiny
subclasses setting :attr:`KeyValueTransform.target`.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping
from itertools import repeat
from operator import is_, is_not, itemgetter
from typing import Any, ClassVar, TypeVar

from connectors.api import (
    ConfigDef,
    ConfigType,
    ConnectRecord,
    DataError,
    Importance,
    Schema,
    SchemaBuilder,
    Struct,
    Transformation,
    Type,
    validate_value,
)

D = TypeVar("D")
_FIRST, _SECOND = itemgetter(0), itemgetter(1)
_NO_RECORD = ConnectRecord("")
"""What value-only transforms get for ``record`` in :meth:`KeyValueTransform.apply_to_values`
(they never read it)."""

REPLACE_NULL_WITH_DEFAULT = "replace.null.with.default"


def define_replace_null(config: ConfigDef) -> ConfigDef:
    """Add Kafka's ``replace.null.with.default`` key (KIP-1040) to a transform's ConfigDef."""
    return config.define(
        REPLACE_NULL_WITH_DEFAULT, ConfigType.BOOLEAN, True, importance=Importance.MEDIUM,
        documentation="Whether a null field value is replaced by the field's default value.",
    )  # fmt: skip


def non_empty_list(hint: str) -> Callable[[str, Any], None]:
    """A LIST validator refusing an empty list; ``hint`` tells the user what to list."""

    def check(name: str, value: Any) -> None:
        if not value:
            msg = f"Empty list; {hint}"
            raise ValueError(msg)

    return check


class SchemaCache:
    """A small LRU of what is derived from a schema (Kafka keeps 16), built once per schema.

    Keys are compared by equality (equal schemas derive equal results), with a shortcut for
    the key of the previous call compared by identity: a stream of records sharing one
    schema object then costs neither hashing nor comparing schemas per record.
    """

    def __init__(self, size: int = 16) -> None:
        self.size = size
        self._items: OrderedDict[Any, Any] = OrderedDict()
        #: (key, value) of the previous call, one attribute so a reader never mixes two calls
        self._last: tuple[Any, Any] | None = None

    def get_or_build(self, key: Any, build: Callable[[], D]) -> D:
        """The value derived from ``key``; ``build()`` only when it is not cached."""
        last = self._last
        if last is not None and last[0] is key:
            return last[1]  # type: ignore[no-any-return]
        found = self._items.get(key)
        if found is not None:
            self._items.move_to_end(key)
        else:
            found = build()
            self._items[key] = found
            if len(self._items) > self.size:
                self._items.popitem(last=False)
        self._last = (key, found)
        return found


def require_map(value: Any, purpose: str) -> dict[str, Any]:
    """A copy of the schemaless value as a dict, or a DataError naming the transform."""
    if type(value) is dict:
        return value.copy()
    if not isinstance(value, Mapping):
        found = "null" if value is None else type(value).__name__
        msg = f"[{purpose}] needs a map value when the record has no schema, found: {found}"
        raise DataError(msg)
    return dict(value)


def require_struct(value: Any, purpose: str) -> Struct:
    """The schemaful value as a Struct, or a DataError naming the transform."""
    if not isinstance(value, Struct):
        found = "null" if value is None else type(value).__name__
        msg = f"[{purpose}] needs a Struct value for a schemaful record, found: {found}"
        raise DataError(msg)
    return value


def field_value(struct: Struct, name: str, replace_null_with_default: bool) -> Any:
    """A field's value, with or without its default for null (``replace.null.with.default``)."""
    return struct.get(name) if replace_null_with_default else struct.get_without_default(name)


def copied_values(
    struct: Struct, plan: list[tuple[str, str, Schema]], replace_null_with_default: bool
) -> dict[str, Any]:
    """The values of a new struct taking fields of ``struct`` (trusted, no re-validation).

    ``plan`` lists (old name, new name, field schema) and must come from ``struct.schema``
    itself. A value ``struct`` holds already passed its field's checks, so only nulls are
    checked (a required field never set), with the same errors as ``Struct.put``.
    """
    values = struct._values
    out: dict[str, Any] = {}
    for old, new, schema in plan:
        value = values.get(old)
        if value is None:
            if replace_null_with_default and schema.default is not None:
                value = schema.default
            else:
                validate_value(schema, None, f"field {new!r}")
        out[new] = value
    return out


def copied_values_of_many(
    structs: list[Any],
    schema: Schema,
    plan: list[tuple[str, str, Schema]],
    extra: dict[str, Any] | None = None,
) -> list[dict[str, Any]] | None:
    """:func:`copied_values` for many Structs of exactly ``schema``, plus ``extra`` fields.

    None when one of them needs the careful path: not a Struct of that very schema, or a
    planned field unset or null (defaults and required-field errors are decided there).
    One tight loop: measured, faster than C ``map`` chains over columns, which build more
    intermediate objects than they save calls.
    """
    pairs = [(old, new) for old, new, _ in plan]
    extra = extra or {}
    out: list[dict[str, Any]] = []
    append = out.append
    for struct in structs:
        if type(struct) is not Struct or struct.schema is not schema:
            return None
        values = struct._values
        row = {}
        for old, new in pairs:
            value = values.get(old)
            if value is None:
                return None
            row[new] = value
        if extra:
            row.update(extra)
        append(row)
    return out


def structs_of(schema: Schema, rows: list[dict[str, Any]]) -> list[Struct]:
    """``Struct.from_validated(schema, row)`` for each row, without a call per row."""
    new = object.__new__
    out: list[Struct] = []
    append = out.append
    for row in rows:
        struct = new(Struct)
        struct.schema = schema
        struct._values = row
        append(struct)
    return out


def copy_basics(schema: Schema, builder: SchemaBuilder | None = None) -> SchemaBuilder:
    """A builder with ``schema``'s name, version, doc and parameters (Kafka's ``SchemaUtil``)."""
    if builder is not None:
        b = builder
    elif schema.type is Type.ARRAY and schema.value_schema is not None:
        b = SchemaBuilder.array(schema.value_schema)
    elif schema.type is Type.MAP and schema.key_schema and schema.value_schema:
        b = SchemaBuilder.map(schema.key_schema, schema.value_schema)
    else:
        b = SchemaBuilder(schema.type)
    b.name(schema.name).version(schema.version).doc(schema.doc)
    if schema.parameters:
        b.parameters(schema.parameters)
    return b


def copy_struct_basics(schema: Schema) -> SchemaBuilder:
    """A STRUCT builder with ``schema``'s metadata and optionality but no fields yet."""
    b = copy_basics(schema, SchemaBuilder.struct())
    return b.optional() if schema.optional else b


def optional_copy(schema: Schema) -> Schema:
    """The same schema made optional (for fields that may now be missing)."""
    if schema.optional:
        return schema
    return SchemaBuilder.of(schema).optional().build()


class KeyValueTransform(Transformation[ConnectRecord]):
    """A transform working on the record key (``$Key``) or value (``$Value``).

    Subclasses declare ``CONFIG_DEF`` and ``PURPOSE``, read their settings in
    :meth:`setup`, and implement :meth:`apply_schemaless` and :meth:`apply_with_schema`,
    each returning the new (schema, value) of the targeted part.
    """

    target: ClassVar[str] = "value"
    CONFIG_DEF: ClassVar[ConfigDef] = ConfigDef()
    PURPOSE: ClassVar[str] = "transform"
    #: Kafka returns tombstones (null key/value) unchanged for most transforms.
    PASS_NULL: ClassVar[bool] = True
    #: Whether :meth:`apply_schemaless`/:meth:`apply_with_schema` read nothing of the
    #: record but the value they are given (then :meth:`apply_to_values` needs no records).
    VALUE_ONLY: ClassVar[bool] = False

    def __init__(self) -> None:
        self.config: dict[str, Any] = {}
        self.schema_cache = SchemaCache()

    def version(self) -> str:
        return "1.0"

    def config_def(self) -> ConfigDef:
        return self.CONFIG_DEF

    def configure(self, configs: Mapping[str, Any]) -> None:
        self.config = self.CONFIG_DEF.parse(configs)
        self.setup(self.config)

    def setup(self, config: dict[str, Any]) -> None:
        """Read parsed settings; raise ConfigError for combinations ConfigDef cannot check."""
        return

    def operating(self, record: ConnectRecord) -> tuple[Schema | None, Any]:
        if self.target == "key":
            return record.key_schema, record.key
        return record.value_schema, record.value

    def updated(self, record: ConnectRecord, schema: Schema | None, value: Any) -> ConnectRecord:
        if self.target == "key":
            return record.new_record(key_schema=schema, key=value)
        return record.with_value(schema, value)

    def apply(self, record: ConnectRecord) -> ConnectRecord | None:
        on_key = self.target == "key"
        if on_key:
            schema, value = record.key_schema, record.key
        else:
            schema, value = record.value_schema, record.value
        if value is None and self.PASS_NULL:
            return record
        if schema is None:
            new_schema, new_value = self.apply_schemaless(record, value)
        else:
            new_schema, new_value = self.apply_with_schema(record, schema, value)
        if on_key:
            return record.new_record(key_schema=new_schema, key=new_value)
        return record.with_value(new_schema, new_value)

    def value_only(self) -> bool:
        """Whether this configured transform reads nothing but the value (see VALUE_ONLY)."""
        return self.VALUE_ONLY

    def apply_to_values(
        self, schema: Schema | None, values: list[Any]
    ) -> tuple[Schema | None, list[Any]] | None:
        """:meth:`apply` for many values of one schema, without record objects.

        Only ``$Value`` transforms that read nothing but the value take part; a batch where
        the values would end up with different schemas (a tombstone passed through among
        changed values, say) goes record by record.
        """
        if self.target != "value" or not self.value_only():
            return None
        if self.PASS_NULL and not all(map(is_not, values, repeat(None))):
            return None
        if schema is None:
            schemaless = self.apply_schemaless
            results = [schemaless(_NO_RECORD, v) for v in values]
        else:
            with_schema = self.apply_with_schema
            results = [with_schema(_NO_RECORD, schema, v) for v in values]
        if not results:
            return None
        new_schema = results[0][0]
        if not all(map(is_, map(_FIRST, results), repeat(new_schema))):
            return None
        return new_schema, list(map(_SECOND, results))

    def apply_schemaless(self, record: ConnectRecord, value: Any) -> tuple[Schema | None, Any]:
        raise NotImplementedError

    def apply_with_schema(
        self, record: ConnectRecord, schema: Schema, value: Any
    ) -> tuple[Schema | None, Any]:
        raise NotImplementedError
