"""What a keyed sink (Elasticsearch, Redis) does with one record: upsert, delete or skip.

Both sinks keep a copy of a table in step with the database, so both must agree on the
meaning of every record the log can hold:

* a Debezium envelope (``before``/``after``/``op``, as a Struct or a schemaless dict) is
  unwrapped here, so the sinks work with or without the ``ExtractNewRecordState`` transform:
  ``c``/``r``/``u`` upsert ``after``, ``d`` deletes, ``t``/``m`` are skipped;
* a flattened row with ``__deleted: "true"`` (the transform's ``rewrite`` mode) deletes;
* a tombstone (null value) follows ``behavior.on.null.values`` (ignore | delete | fail);
* TOAST placeholders (``__debezium_unavailable_value``: a column PostgreSQL did not send
  because it did not change) are removed from the row and listed in :attr:`Change.missing`,
  so the sink leaves those fields as they are instead of overwriting them with the marker.

The envelope test is :func:`connectors.transforms.debezium.envelope_op`, the same one the
unwrap transform uses, so a record is an envelope for the sinks exactly when it is for it.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

import orjson

from connectors.api import DataError, SinkRecord, Struct
from connectors.transforms.debezium import DELETED_FIELD, envelope_op

#: Header Debezium puts on the delete event of a primary-key change: the row's new key.
NEW_KEY_HEADER = "__debezium.newkey"
#: Debezium's default ``unavailable.value.placeholder``.
TOAST_PLACEHOLDER = "__debezium_unavailable_value"
NULL_BEHAVIORS = ("ignore", "delete", "fail")
_NEVER_PLACEHOLDER = frozenset({int, float, bool, type(None)})


class Action(Enum):
    """What the sink does with one record."""

    UPSERT = "upsert"
    DELETE = "delete"
    SKIP = "skip"


@dataclass(slots=True)
class Change:
    """One record, decided.

    Attributes:
        action: upsert, delete or skip.
        record: the record as the sink received it (what goes to the DLQ on failure).
        row: the row to write (plain dict, TOAST placeholders removed; never to be
            mutated: it may be the record's own value); None for
            deletes, skips and values that are not rows.
        raw: the value to write when it is not a row (a string, bytes, a number).
        missing: columns whose value the source did not send (TOAST): leave them as stored.
        op: the Debezium op when the value was an envelope, else None.
        old: for an envelope delete, the ``before`` row when the source sent one (key
            templates over row fields need it).
        new_key: for the delete half of a primary-key change (Debezium's
            ``__debezium.newkey`` header), the row's new key: sinks copy the stored row
            there first, so columns the create event leaves out (TOAST) are not lost.
    """

    action: Action
    record: SinkRecord
    row: dict[str, Any] | None = None
    raw: Any = None
    missing: tuple[str, ...] = ()
    op: str | None = None
    old: dict[str, Any] | None = None
    new_key: Any = None


class Decider:
    """Turns records into :class:`Change` objects with one sink's settings."""

    def __init__(self, on_null: str = "ignore", placeholder: str = TOAST_PLACEHOLDER) -> None:
        if on_null not in NULL_BEHAVIORS:
            msg = f"behavior.on.null.values must be one of {', '.join(NULL_BEHAVIORS)}"
            raise ValueError(msg)
        self.on_null = on_null
        self.placeholder = placeholder
        self._placeholder_bytes = _placeholder_bytes(placeholder)

    def decide(self, record: SinkRecord) -> Change:
        """The action for one record; DataError for a tombstone under ``fail``."""
        value = record.value
        if value is None:
            return self._tombstone(record)
        plain = type(value) is dict and "op" not in value  # a plain row: the common fast case
        op = None if plain else envelope_op(value)
        if op is None:
            row = _plain_row(value)
            if row is not None and row.get(DELETED_FIELD) == "true":
                return Change(Action.DELETE, record)
            return self._upsert(record, row, None)
        if op == "d":
            moved = record.headers.last_with_name(NEW_KEY_HEADER)
            new_key = _header_key(moved.value) if moved is not None else None
            return Change(Action.DELETE, record, op=op, old=_plain_row(value.get("before")),
                          new_key=new_key)  # fmt: skip
        if op not in ("c", "r", "u"):
            return Change(Action.SKIP, record, op=op)
        after = value.get("after")
        if after is None:  # an update without a row image cannot be applied
            return Change(Action.SKIP, record, op=op)
        return self._upsert(record, _plain_row(after), op)

    def _tombstone(self, record: SinkRecord) -> Change:
        if self.on_null == "delete":
            return Change(Action.DELETE, record)
        if self.on_null == "ignore":
            return Change(Action.SKIP, record)
        msg = (
            f"Record at {record.topic}-{record.kafka_partition}@{record.kafka_offset} has a null "
            "value (a tombstone) and behavior.on.null.values=fail; set it to 'delete' to remove "
            "the document/key or 'ignore' to skip such records"
        )
        raise DataError(msg)

    def _upsert(self, record: SinkRecord, row: dict[str, Any] | None, op: str | None) -> Change:
        if row is None:
            return Change(Action.UPSERT, record, None, record.value, (), op)
        missing = self._missing(row)
        if missing:
            row = {k: v for k, v in row.items() if k not in missing}
        return Change(Action.UPSERT, record, row, None, missing, op)

    def _missing(self, row: dict[str, Any]) -> tuple[str, ...]:
        """Columns holding the placeholder; numbers and None are skipped without a call."""
        found: list[str] = []
        placeholder = self.placeholder
        for name, value in row.items():
            kind = type(value)
            if kind is str:
                if value == placeholder:
                    found.append(name)
            elif kind in _NEVER_PLACEHOLDER:
                continue
            elif self.is_placeholder(value):
                found.append(name)
        return tuple(found)

    def is_placeholder(self, value: Any) -> bool:
        """True for the placeholder in any of the shapes Debezium converts it to (COMPAT 2.10)."""
        if isinstance(value, str):
            return value == self.placeholder
        if isinstance(value, bytes | bytearray):
            return bytes(value) == self._placeholder_bytes
        if isinstance(value, list) and value:
            if len(value) == 1:
                return self.is_placeholder(value[0])
            return value == list(self._placeholder_bytes)
        if isinstance(value, Mapping) and len(value) == 1:
            ((k, v),) = value.items()
            return bool(k == self.placeholder and v == self.placeholder)
        return False


def _header_key(value: Any) -> Any:
    """A key carried in a header: a Struct/map, or JSON text of one (header converters vary)."""
    if isinstance(value, str | bytes) and value[:1] in ("{", b"{"):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            return value
    return value


def _placeholder_bytes(placeholder: str) -> bytes:
    if placeholder.startswith("hex:"):
        return bytes.fromhex(placeholder[4:])
    return placeholder.encode()


def _plain_row(value: Any) -> dict[str, Any] | None:
    """A plain dict of a Struct or mapping value; None when the value is not a row.

    A dict value is returned as it is (no copy, it is on every record's path): sinks never
    mutate :attr:`Change.row`.
    """
    if type(value) is dict:
        return value
    if isinstance(value, Struct):
        return value.to_dict()
    if isinstance(value, Mapping):
        return dict(value)
    return None


def key_parts(key: Any) -> list[Any]:
    """The values of a record key in field order (one for a scalar key)."""
    if isinstance(key, Struct):
        return [key.get(f.name) for f in key.schema.fields]
    if isinstance(key, Mapping):
        return list(key.values())
    return [key]


def key_string(key: Any, separator: str = ":") -> str:
    """A record key as text: scalars as-is, Struct/map keys as their values joined.

    ``{"id": 42}`` becomes ``42`` and ``{"a": 1, "b": "x"}`` becomes ``1:x``, so a
    Debezium primary-key struct gives the same id whatever converter produced it.
    """
    kind = type(key)
    if kind is str:
        return key  # type: ignore[no-any-return]
    if kind is int:
        return str(key)
    if key is None:
        msg = "record has a null key; give the topic keys (e.g. a primary key) to write it"
        raise DataError(msg)
    return separator.join(scalar_text(part) for part in key_parts(key))


def scalar_text(value: Any) -> str:
    """One key/field value as text (bytes as UTF-8, booleans as JSON, floats minimal)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", "replace")
    if value is None or isinstance(value, bool | dict | list | Struct):
        return dumps(value).decode()
    return str(value)


def json_default(value: Any) -> Any:
    """JSON fallback for orjson: Structs as objects, Decimals as exact strings, bytes as base64.

    Decimals are written as strings so no digit is lost; use the source's
    ``decimal.handling.mode=double`` to get JSON numbers instead.
    """
    if isinstance(value, Struct):
        return value.to_dict()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    msg = f"cannot write a {type(value).__name__} as JSON"
    raise TypeError(msg)


def dumps(value: Any) -> bytes:
    """Compact JSON bytes of a row or value (see :func:`json_default`)."""
    return orjson.dumps(value, default=json_default, option=orjson.OPT_NON_STR_KEYS)
