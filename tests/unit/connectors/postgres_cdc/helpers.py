"""Helpers shared by the postgres_cdc unit tests: pgoutput wire bytes, record comparison."""

from __future__ import annotations

import struct

from connectors.api import SourceRecord
from connectors.converters.json import JsonConverter
from connectors.sources.postgres_cdc.pgoutput import UNCHANGED_TOAST


def cstr(s: str) -> bytes:
    """A pgoutput C string: UTF-8 and a terminating NUL."""
    return s.encode() + b"\0"


def tuple_data(*cols: object) -> bytes:
    """A pgoutput TupleData: None is null, UNCHANGED_TOAST unchanged, bytes binary, else text."""
    out = struct.pack(">h", len(cols))
    for c in cols:
        if c is None:
            out += b"n"
        elif c is UNCHANGED_TOAST:
            out += b"u"
        elif isinstance(c, bytes):
            out += b"b" + struct.pack(">i", len(c)) + c
        else:
            raw = str(c).encode()
            out += b"t" + struct.pack(">i", len(raw)) + raw
    return out


def json_bytes(records: list[SourceRecord]) -> list[tuple[bytes | None, bytes | None]]:
    """Each record's key and value as the JsonConverter writes them (keys without schema)."""
    key_conv, value_conv = JsonConverter(), JsonConverter()
    key_conv.configure({"schemas.enable": "false"}, is_key=True)
    value_conv.configure({"schemas.enable": "true"}, is_key=False)
    # (a truncate's null key has the table's key schema, which JSON refuses: compared above)
    return [(None if r.key is None else key_conv.from_connect_data(r.topic, r.key_schema, r.key),
             value_conv.from_connect_data(r.topic, r.value_schema, r.value))
            for r in records]  # fmt: skip


def same_records(ours: list[SourceRecord], ref: list[SourceRecord]) -> None:
    """The fast paths' records equal the reference path's, field by field and as JSON bytes."""
    assert len(ours) == len(ref)
    for a, b in zip(ours, ref, strict=True):
        for name in ("topic", "kafka_partition", "key_schema", "value_schema", "timestamp",
                     "headers", "source_partition", "source_offset"):  # fmt: skip
            assert getattr(a, name) == getattr(b, name), name
        assert a.key == b.key and a.value == b.value
        if a.value is not None:
            a.value.validate()
    assert json_bytes(ours) == json_bytes(ref)
