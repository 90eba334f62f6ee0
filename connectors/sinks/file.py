"""File sink: append each record's value to a file as one line (Kafka's ``FileStreamSink``).

Same keys as FileStreamSink (``file``, plus the runtime's ``topics``). ``flush`` writes the
buffer and fsyncs, so the offsets the runtime commits afterwards never run ahead of the
file. Delivery is at-least-once: after a crash between the fsync and the offset commit the
last batch is written again (see docs/connectors-reference.md for deduplication advice).

Values are written as: strings as they are, bytes decoded as UTF-8, null as ``null``
(FileStreamSink's ``String.valueOf``), structs/maps/lists as compact JSON.
"""

from __future__ import annotations

import codecs
import datetime as dt
import decimal
import os
from collections.abc import Mapping, Sequence
from functools import partial
from operator import attrgetter
from typing import IO, Any

import orjson

from connectors.api import (
    NO_DEFAULT,
    ConfigDef,
    ConfigType,
    ConfiguredConnector,
    Importance,
    NonEmptyString,
    SinkConnector,
    SinkRecord,
    SinkRecordBatch,
    SinkTask,
    Struct,
    TopicPartition,
)

VERSION = "1.0.0"


def _known_encoding(name: str, value: Any) -> None:
    try:
        codecs.lookup(str(value))
    except LookupError:
        msg = f"unknown encoding {value!r}; use a Python codec name such as utf-8 or latin-1"
        raise ValueError(msg) from None


CONFIG_DEF = (
    ConfigDef()
    .define("file", ConfigType.STRING, NO_DEFAULT, NonEmptyString(), Importance.HIGH,
            "The file to append to (created with its parent directories if missing).",
            group="File", order=1)
    .define("file.fsync", ConfigType.BOOLEAN, True, None, Importance.LOW,
            "fsync the file on every flush, so committed offsets never run ahead of the disk. "
            "Turn off only for scratch files.", group="File", order=2)
    .define("file.encoding", ConfigType.STRING, "utf-8", _known_encoding, Importance.LOW,
            "Encoding of the lines written.", group="File", order=3)
)  # fmt: skip


def _json_default(value: Any) -> Any:
    if isinstance(value, Struct):
        return value.to_dict()
    if isinstance(value, bytes | bytearray):
        return value.decode("utf-8", "replace")
    if isinstance(value, decimal.Decimal | dt.date | dt.time):
        return str(value)
    msg = f"cannot write a {type(value).__name__} as JSON"
    raise TypeError(msg)


def format_value(value: Any) -> str:
    """The text of one line for a record value (see the module docstring)."""
    if isinstance(value, str):
        return value
    if type(value) is Struct:  # what the default hook would do, minus orjson's round trip
        return orjson.dumps(value.to_dict(), default=_json_default).decode()
    if value is None:
        return "null"
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", "replace")
    if isinstance(value, bool | int | float):
        return orjson.dumps(value).decode()
    return orjson.dumps(value, default=_json_default).decode()


def format_values(values: Sequence[Any]) -> str:
    """The lines of many values, joined: what :func:`format_value` gives for each."""
    try:
        return "\n".join(values)  # all strings (lines), the common case: as they are
    except TypeError:
        pass
    lines = _struct_lines(values)
    return lines if lines is not None else "\n".join(map(format_value, values))


def _struct_lines(values: Sequence[Any]) -> str | None:
    """Structs of one schema written from their values directly, or None.

    ``to_dict`` builds a dict in schema order with defaults for nulls; when no field has a
    default and every struct's values already hold exactly the fields in that order, that
    dict equals the values, so orjson (with the same default hook for anything else) can
    write them as they are.
    """
    if not values or set(map(type, values)) != {Struct}:
        return None
    schema = values[0].schema
    if len(set(map(id, map(_SCHEMA, values)))) != 1:
        return None
    if any(f.schema.default is not None for f in schema.fields):
        return None
    dicts = list(map(_VALUES, values))
    if set(map(tuple, dicts)) != {tuple(f.name for f in schema.fields)}:
        return None
    return b"\n".join(map(_DUMPS, dicts)).decode()


_SCHEMA = attrgetter("schema")
_VALUES = attrgetter("_values")
_DUMPS = partial(orjson.dumps, default=_json_default)


class FileSinkTask(SinkTask):
    """Buffers lines in put(); flush() writes and fsyncs them."""

    def __init__(self) -> None:
        self._file: IO[bytes] | None = None

    def version(self) -> str:
        return VERSION

    def start(self, config: Mapping[str, str]) -> None:
        cfg = CONFIG_DEF.parse(config)
        self._path: str = cfg["file"]
        self._fsync: bool = cfg["file.fsync"]
        self._encoding: str = cfg["file.encoding"]
        parent = os.path.dirname(os.path.abspath(self._path))
        os.makedirs(parent, exist_ok=True)
        self._file = open(self._path, "ab", buffering=1 << 20)  # noqa: SIM115 - held by the task

    def put(self, records: Sequence[SinkRecord]) -> None:
        if not records or self._file is None:
            return
        values = records.values if type(records) is SinkRecordBatch else [r.value for r in records]
        self._file.write((format_values(values) + "\n").encode(self._encoding, "replace"))

    def flush(self, current_offsets: Mapping[TopicPartition, int]) -> None:
        if self._file is None:
            return
        self._file.flush()
        if self._fsync:
            os.fsync(self._file.fileno())

    def stop(self) -> None:
        if self._file is not None:
            self._file.flush()
            self._file.close()
            self._file = None


class FileSinkConnector(ConfiguredConnector, SinkConnector):
    """One task: several writers appending to one file would interleave lines."""

    CONFIG_DEF = CONFIG_DEF
    TASK_CLASS = FileSinkTask
    VERSION = VERSION
    MAX_TASKS = 1
