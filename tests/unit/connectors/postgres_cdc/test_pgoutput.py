"""The pgoutput decoder against hand-built protocol messages."""

from __future__ import annotations

import struct

import pytest

from connectors.sources.postgres_cdc.pgoutput import (
    UNCHANGED_TOAST,
    PgOutputError,
    decode,
    format_lsn,
    parse_lsn,
)
from tests.unit.connectors.postgres_cdc.helpers import cstr, tuple_data


def test_begin_commit() -> None:
    begin = decode(b"B" + struct.pack(">qqI", 0x16B3748, 1234, 4000000000))
    assert begin.kind == "Begin"
    assert begin.fields == {"final_lsn": 0x16B3748, "commit_ts": 1234, "xid": 4000000000}
    commit = decode(b"C" + struct.pack(">bqqq", 0, 10, 20, 30))
    assert commit.fields == {"flags": 0, "commit_lsn": 10, "end_lsn": 20, "commit_ts": 30}


def test_relation_columns() -> None:
    cols = struct.pack(">h", 2) + b"\x01" + cstr("id") + struct.pack(">Ii", 23, -1)
    cols += b"\x00" + cstr("n") + struct.pack(">Ii", 1700, (10 << 16 | 2) + 4)
    msg = decode(b"R" + struct.pack(">I", 16384) + cstr("public") + cstr("t") + b"d" + cols)
    assert (msg["namespace"], msg["name"], msg["replica_identity"]) == ("public", "t", "d")
    assert [(c.name, c.type_oid, c.is_key) for c in msg["columns"]] == [
        ("id", 23, True),
        ("n", 1700, False),
    ]


def test_insert_update_delete_tuples() -> None:
    ins = decode(b"I" + struct.pack(">I", 7) + b"N" + tuple_data("1", None, "é"))
    assert ins["new"] == ["1", None, "é"]
    upd = decode(
        b"U"
        + struct.pack(">I", 7)
        + b"O"
        + tuple_data("1", "a")
        + b"N"
        + tuple_data("2", UNCHANGED_TOAST)
    )
    assert upd["old_kind"] == "O" and upd["old"] == ["1", "a"]
    assert upd["new"][1] is UNCHANGED_TOAST
    plain = decode(b"U" + struct.pack(">I", 7) + b"N" + tuple_data("3"))
    assert "old" not in plain.fields and plain["new"] == ["3"]
    dele = decode(b"D" + struct.pack(">I", 7) + b"K" + tuple_data("1", None))
    assert dele["old_kind"] == "K" and dele["old"] == ["1", None]


def test_truncate_message_type_origin() -> None:
    tr = decode(b"T" + struct.pack(">ib", 2, 1) + struct.pack(">II", 5, 6))
    assert tr["relids"] == [5, 6] and tr["options"] == 1
    m = decode(b"M" + struct.pack(">bq", 1, 99) + cstr("pfx") + struct.pack(">i", 3) + b"abc")
    assert (m["prefix"], m["content"], m["lsn"]) == ("pfx", b"abc", 99)
    ty = decode(b"Y" + struct.pack(">I", 16500) + cstr("public") + cstr("mood"))
    assert ty.fields == {"type_oid": 16500, "namespace": "public", "name": "mood"}
    org = decode(b"O" + struct.pack(">q", 5) + cstr("node1"))
    assert org.fields == {"origin_lsn": 5, "name": "node1"}


def test_bad_messages_are_reported() -> None:
    with pytest.raises(PgOutputError, match="unknown pgoutput message type"):
        decode(b"Z123")
    with pytest.raises(PgOutputError, match="truncated"):
        decode(b"B" + b"\0" * 5)
    with pytest.raises(PgOutputError, match="expected 'N'"):
        decode(b"I" + struct.pack(">I", 7) + b"X")
    with pytest.raises(PgOutputError, match="unknown tuple column tag"):
        decode(b"I" + struct.pack(">I", 7) + b"N" + struct.pack(">h", 1) + b"q")


def test_lsn_text_round_trip() -> None:
    assert format_lsn(parse_lsn("16/B374D848")) == "16/B374D848"
    assert parse_lsn("0/16B3748") == 0x16B3748
