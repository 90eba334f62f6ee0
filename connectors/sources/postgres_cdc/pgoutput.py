"""Decoder of PostgreSQL's ``pgoutput`` logical replication messages (protocol version 1).

Why our own decoder: ``pgoutput`` is built into every PostgreSQL >= 10, needs no server
plugin, and its messages are simple length-prefixed binary records. Each message kind is
declared once in :data:`LAYOUTS` as a list of (field, kind) pairs; :func:`decode` walks that
table, so adding a message means adding a row, not a parser. Tuple data (the column values of
Insert/Update/Delete) stays in PostgreSQL's text format; :mod:`.types` converts it.

Only the fields a CDC source needs are kept; LSNs are plain ints (``0/16B3748`` = 0x16B3748).
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

#: A column of tuple data: None (NULL), :data:`UNCHANGED_TOAST`, or the text representation.
TupleValue = str | None | object

#: Marks a TOASTed column that an UPDATE did not change: pgoutput does not send its value.
UNCHANGED_TOAST = object()

_I8 = struct.Struct(">b")
_I16 = struct.Struct(">h")
_I32 = struct.Struct(">i")
_U32 = struct.Struct(">I")
_I64 = struct.Struct(">q")


class PgOutputError(ValueError):
    """A message that does not follow the pgoutput protocol (a bug or a newer protocol)."""


@dataclass(slots=True)
class Column:
    """One column of a Relation message."""

    name: str
    type_oid: int
    type_modifier: int
    is_key: bool


@dataclass(slots=True)
class Message:
    """A decoded pgoutput message: ``kind`` is the message name, ``fields`` its values."""

    kind: str
    fields: dict[str, Any]

    def __getitem__(self, name: str) -> Any:
        return self.fields[name]


class _Reader:
    """A cursor over one message's bytes; every read checks it stays inside the message."""

    __slots__ = ("buf", "pos")

    def __init__(self, buf: bytes | memoryview, pos: int = 1) -> None:
        self.buf = buf if isinstance(buf, bytes) else bytes(buf)
        self.pos = pos

    def fixed(self, fmt: struct.Struct) -> int:
        end = self.pos + fmt.size
        if end > len(self.buf):
            msg = f"pgoutput message truncated at byte {self.pos}"
            raise PgOutputError(msg)
        (value,) = fmt.unpack_from(self.buf, self.pos)
        self.pos = end
        return int(value)

    def string(self) -> str:
        end = self.buf.find(b"\0", self.pos)
        if end < 0:
            msg = f"pgoutput string not terminated after byte {self.pos}"
            raise PgOutputError(msg)
        text = self.buf[self.pos : end].decode()
        self.pos = end + 1
        return text

    def byte(self) -> bytes:
        value = self.buf[self.pos : self.pos + 1]
        self.pos += 1
        return value

    def blob(self) -> bytes:
        size = self.fixed(_I32)
        value = self.buf[self.pos : self.pos + size]
        self.pos += size
        return value

    def tuple_data(self) -> list[TupleValue]:
        """TupleData: Int16 count, then per column 'n' (null), 'u' (unchanged TOAST), 't'/'b'."""
        out, self.pos = _tuple_at(self.buf, self.pos)
        return out

    def columns(self) -> list[Column]:
        count = self.fixed(_I16)
        cols = []
        for _ in range(count):
            flags = self.fixed(_I8)
            name = self.string()
            oid = self.fixed(_U32)
            typmod = self.fixed(_I32)
            cols.append(Column(name, oid, typmod, bool(flags & 1)))
        return cols

    def relids(self, count: int) -> list[int]:
        return [self.fixed(_U32) for _ in range(count)]

    def old_or_new(self, fields: dict[str, Any]) -> None:
        """Update: optional 'K' (old key) or 'O' (old row) tuple, then 'N' and the new tuple."""
        tag = self.byte()
        if tag in (b"K", b"O"):
            fields["old_kind"] = tag.decode()
            fields["old"] = self.tuple_data()
            tag = self.byte()
        if tag != b"N":
            msg = f"expected 'N' before the new tuple, got {tag!r}"
            raise PgOutputError(msg)
        fields["new"] = self.tuple_data()

    def tagged_old(self, fields: dict[str, Any]) -> None:
        """Delete: 'K' (replica identity columns only) or 'O' (whole old row)."""
        tag = self.byte()
        if tag not in (b"K", b"O"):
            msg = f"expected 'K' or 'O' in a Delete, got {tag!r}"
            raise PgOutputError(msg)
        fields["old_kind"] = tag.decode()
        fields["old"] = self.tuple_data()

    def new_tuple(self, fields: dict[str, Any]) -> None:
        tag = self.byte()
        if tag != b"N":
            msg = f"expected 'N' in an Insert, got {tag!r}"
            raise PgOutputError(msg)
        fields["new"] = self.tuple_data()


def _tuple_at(buf: bytes, pos: int) -> tuple[list[TupleValue], int]:
    """Decode TupleData at ``pos``; returns the values and the position after them."""
    try:
        (count,) = _I16.unpack_from(buf, pos)
        pos += 2
        out: list[TupleValue] = []
        append = out.append
        unpack = _I32.unpack_from
        for _ in range(count):
            tag = buf[pos]
            pos += 1
            if tag == 0x74:  # 't' text
                (size,) = unpack(buf, pos)
                pos += 4
                append(buf[pos : pos + size].decode())
                pos += size
            elif tag == 0x6E:  # 'n'
                append(None)
            elif tag == 0x75:  # 'u'
                append(UNCHANGED_TOAST)
            elif tag == 0x62:  # 'b' binary (only with the binary option)
                (size,) = unpack(buf, pos)
                append(buf[pos + 4 : pos + 4 + size])
                pos += 4 + size
            else:
                msg = f"unknown tuple column tag {chr(tag)!r} at byte {pos - 1}"
                raise PgOutputError(msg)
    except (IndexError, struct.error):
        msg = f"pgoutput tuple data truncated at byte {pos}"
        raise PgOutputError(msg) from None
    return out, pos


def _insert(buf: bytes) -> Message:
    """Fast path for the most common message (same result as the table-driven decoder)."""
    if len(buf) < 6 or buf[5] != 0x4E:
        return _generic(buf, b"I")
    (relid,) = _U32.unpack_from(buf, 1)
    new, _ = _tuple_at(buf, 6)
    return Message("Insert", {"relid": relid, "new": new})


_BEGIN = struct.Struct(">qqI")
_COMMIT = struct.Struct(">bqqq")


def _begin(buf: bytes) -> Message:
    if len(buf) != 21:
        return _generic(buf, b"B")
    lsn, ts, xid = _BEGIN.unpack_from(buf, 1)
    return Message("Begin", {"final_lsn": lsn, "commit_ts": ts, "xid": xid})


def _commit(buf: bytes) -> Message:
    if len(buf) != 26:
        return _generic(buf, b"C")
    flags, lsn, end, ts = _COMMIT.unpack_from(buf, 1)
    return Message("Commit", {"flags": flags, "commit_lsn": lsn, "end_lsn": end, "commit_ts": ts})


def _update(buf: bytes) -> Message:
    """Fast path for updates without an old tuple (REPLICA IDENTITY DEFAULT, key unchanged)."""
    if len(buf) < 6 or buf[5] != 0x4E:
        return _generic(buf, b"U")
    (relid,) = _U32.unpack_from(buf, 1)
    new, _ = _tuple_at(buf, 6)
    return Message("Update", {"relid": relid, "new": new})


_READERS: dict[str, Callable[[_Reader], Any]] = {
    "int8": lambda r: r.fixed(_I8),
    "int16": lambda r: r.fixed(_I16),
    "int32": lambda r: r.fixed(_I32),
    "uint32": lambda r: r.fixed(_U32),
    "int64": lambda r: r.fixed(_I64),
    "string": _Reader.string,
    "byte": lambda r: r.byte().decode(),
    "blob": _Reader.blob,
    "columns": _Reader.columns,
}

#: Message tag -> (name, [(field, kind)]). Kinds starting with ``*`` fill several fields.
LAYOUTS: dict[bytes, tuple[str, list[tuple[str, str]]]] = {
    b"B": ("Begin", [("final_lsn", "int64"), ("commit_ts", "int64"), ("xid", "uint32")]),
    b"C": (
        "Commit",
        [("flags", "int8"), ("commit_lsn", "int64"), ("end_lsn", "int64"), ("commit_ts", "int64")],
    ),
    b"O": ("Origin", [("origin_lsn", "int64"), ("name", "string")]),
    b"R": (
        "Relation",
        [
            ("relid", "uint32"),
            ("namespace", "string"),
            ("name", "string"),
            ("replica_identity", "byte"),
            ("columns", "columns"),
        ],
    ),
    b"Y": ("Type", [("type_oid", "uint32"), ("namespace", "string"), ("name", "string")]),
    b"I": ("Insert", [("relid", "uint32"), ("*", "new")]),
    b"U": ("Update", [("relid", "uint32"), ("*", "old_or_new")]),
    b"D": ("Delete", [("relid", "uint32"), ("*", "old")]),
    b"T": ("Truncate", [("count", "int32"), ("options", "int8"), ("*", "relids")]),
    b"M": (
        "Message",
        [("flags", "int8"), ("lsn", "int64"), ("prefix", "string"), ("content", "blob")],
    ),
}

_MULTI: dict[str, Callable[[_Reader, dict[str, Any]], None]] = {
    "new": _Reader.new_tuple,
    "old_or_new": _Reader.old_or_new,
    "old": _Reader.tagged_old,
    "relids": lambda r, f: f.__setitem__("relids", r.relids(f["count"])),
}


def decode(data: bytes | memoryview) -> Message:
    """Decode one pgoutput message (the payload of an XLogData replication message)."""
    buf = data if isinstance(data, bytes) else bytes(data)
    tag = buf[:1]
    fast = _FAST.get(tag)
    return fast(buf) if fast is not None else _generic(buf, tag)


def _generic(data: bytes, tag: bytes) -> Message:
    layout = LAYOUTS.get(tag)
    if layout is None:
        msg = f"unknown pgoutput message type {tag!r}; is the server newer than protocol 1?"
        raise PgOutputError(msg)
    name, spec = layout
    reader = _Reader(data)
    fields: dict[str, Any] = {}
    for field, kind in spec:
        if field == "*":
            _MULTI[kind](reader, fields)
        else:
            fields[field] = _READERS[kind](reader)
    return Message(name, fields)


_FAST: dict[bytes, Callable[[bytes], Message]] = {
    b"I": _insert,
    b"U": _update,
    b"B": _begin,
    b"C": _commit,
}

#: Microseconds between the Unix epoch and PostgreSQL's epoch (2000-01-01).
PG_EPOCH_OFFSET_US = 946_684_800_000_000


def pg_ts_to_unix_us(pg_us: int) -> int:
    """A PostgreSQL timestamp (us since 2000-01-01) as microseconds since the Unix epoch."""
    return pg_us + PG_EPOCH_OFFSET_US


def format_lsn(lsn: int) -> str:
    """The textual LSN form PostgreSQL uses (``16/B374D848``)."""
    return f"{lsn >> 32:X}/{lsn & 0xFFFFFFFF:X}"


def parse_lsn(text: str) -> int:
    """Parse ``16/B374D848`` into an int."""
    high, _, low = text.partition("/")
    return (int(high, 16) << 32) | int(low, 16)
