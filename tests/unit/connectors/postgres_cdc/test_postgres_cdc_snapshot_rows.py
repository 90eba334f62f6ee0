"""The generated snapshot chunk builders give exactly the records of the generic code."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import psycopg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.api import SourceRecord, SourceRecordBatch
from connectors.converters.json import JsonConverter
from connectors.sources.postgres_cdc.database import TableRef
from connectors.sources.postgres_cdc.envelope import (
    ColumnInfo,
    TableShape,
    build_shape,
    fast_struct,
    source_block,
)
from connectors.sources.postgres_cdc.snapshot import (
    SnapshotProgress,
    SnapshotTable,
    Snapshotter,
    parse_copy_text,
    split_copy_text,
)
from connectors.sources.postgres_cdc.snapshot_columns import convert_column
from connectors.sources.postgres_cdc.snapshot_rows import compile_chunk_builder
from connectors.sources.postgres_cdc.types import Catalog, Modes, PgType, TypeMapper
from connectors.sources.postgres_cdc.types import _zoned_timestamp as zoned
from tests.unit.connectors.postgres_cdc.helpers import same_records

TYPES = [(20, "int8"), (23, "int4"), (25, "text"), (1184, "timestamptz"), (16, "bool"),
         (1700, "numeric"), (1082, "date")]  # fmt: skip
OID = dict((name, oid) for oid, name in TYPES)


def mapper() -> TypeMapper:
    cat = Catalog()
    for oid, name in TYPES:
        cat.types[oid] = PgType(oid, name, "b", category="N")
    return TypeMapper(cat, Modes())


def shape_of(
    cols: list[tuple[str, str, bool, int]],
    *,
    keep: Any = None,
    key_override: list[str] | None = None,
    mask: Any = None,
) -> TableShape:
    infos = [ColumnInfo(n, OID[t], -1, nn, k) for n, t, nn, k in cols]
    return build_shape("p", "public", "t", infos, mapper(), keep or (lambda c: True),
                       key_override, mask)  # fmt: skip


def reference_records(
    snap: Snapshotter, table: SnapshotTable, rows: list[list[Any]], now_us: int, last_chunk: bool
) -> list[SourceRecord]:
    """The generic per-row code the builders replaced (snapshot.py before them)."""
    shape = table.shape
    now_ms = now_us // 1000
    last_table = snap.progress.table_index == len(snap.progress.tables) - 1
    plain = source_block(snap.prefix, snap.db, shape.schema, shape.table, now_us,
                         snapshot="true", lsn=snap.lsn)  # fmt: skip
    out = []
    base = {"lsn": snap.lsn, "snapshot": "INITIAL", "snapshot_table": table.ref.full,
            "snapshot_key": None, "last_snapshot_record": False, "ts_usec": now_us}  # fmt: skip
    no_pk = not table.chunk_columns
    key_pos = [shape.names.index(k) for k in table.chunk_columns]
    first_index = 0 if (rows and table.rows_done == 0) else -1
    last_index = len(rows) - 1 if last_chunk else -2
    for i, row in enumerate(rows):
        values = row[1:] if no_pk else row
        src = plain
        if i in (first_index, last_index):
            marker = snap._marker(i == first_index, i == last_index, last_table)
            src = source_block(snap.prefix, snap.db, shape.schema, shape.table, now_us,
                               snapshot=marker, lsn=snap.lsn)  # fmt: skip
        after = shape.value(values)
        value = fast_struct(shape.envelope_schema, {
            "before": None, "after": after, "source": src, "transaction": None,
            "op": "r", "ts_ms": now_ms, "ts_us": now_us, "ts_ns": now_us * 1000,
        })  # fmt: skip
        offset = base.copy()
        offset["snapshot_key"] = [row[0]] if no_pk else [row[p] for p in key_pos]
        if src is not plain and src._values["snapshot"] == "last":
            offset["last_snapshot_record"] = True
        out.append(SourceRecord(shape.topic, None, shape.key_schema, shape.key_of(after),
                                shape.envelope_schema, value, timestamp=now_ms,
                                source_partition=snap.partition, source_offset=offset))  # fmt: skip
    return out


def snapshotter(table: SnapshotTable, *, started: bool, last_table: bool) -> Snapshotter:
    snap = Snapshotter.__new__(Snapshotter)
    snap.prefix, snap.db, snap.lsn, snap.fetch_size = "p", "db", 1234, 100
    snap.partition = {"server": "p"}
    other = SnapshotTable(TableRef(1, "public", "z"), table.shape, [])
    tables = [table] if last_table else [table, other]
    snap.progress = SnapshotProgress(started=started, tables=tables)
    snap._builders, snap._chunk, snap._prefetched, snap.piece = {}, None, False, 256
    return snap


COLS = [("id", "int8", True, 1), ("n", "int4", False, 0), ("s", "text", False, 0),
        ("t", "timestamptz", False, 0), ("b", "bool", False, 0), ("d", "numeric", False, 0),
        ("day", "date", False, 0)]  # fmt: skip
ROWS = (
    "1\t7\thello\t2026-11-21 05:23:12.123456+00\tt\t1.50\t2024-02-29\n"
    "2\t-3\t\t2026-11-21 05:23:12+00\tf\tNaN\t1970-01-01\n"
    "3\t0\tx y\t2026-11-21 05:23:12.1+00\tt\t-0.001\t2000-01-01\n"
    "4\t0\tz\tinfinity\tt\t1\t2000-01-01\n"
    "5\t0\tz\t2000-01-01 00:00:00+00 BC\tt\t1\t2000-01-01\n"
    "6\t0\tz\t12345-01-01 00:00:00+00\tt\t1\t2000-01-01\n"
    "7\t0\tz\t2026-01-01 00:00:00.5+05:30\tt\t1\t2000-01-01\n"
)
ESCAPED = ROWS + "8\t\\N\ta\\tb\\\\c\\nd\t\\N\t\\N\t\\N\t\\N\n"
NULLS = ROWS + "8\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\n"
TEXT_N = NULLS + "9\t1\t\\\\N\t\\N\tt\t1\t2000-01-01\n"  # the text \N, not a NULL


def check(shape: TableShape, chunk_columns: list[str], text: str) -> None:
    for piece, started, last_table, last_chunk, done in [
        (256, False, True, True, 0), (3, True, False, False, 5), (1, True, True, False, 0),
        (2, True, False, True, 3), (3, False, True, True, 0),
    ]:  # fmt: skip
        table = SnapshotTable(TableRef(1, "public", "t"), shape, chunk_columns, rows_done=done)
        ref_table = SnapshotTable(TableRef(1, "public", "t"), shape, chunk_columns, rows_done=done)
        data = text.encode()
        width = len(shape.names) + (0 if chunk_columns else 1)
        _, count, nulls = split_copy_text(data, width)
        assert nulls == ("\\" in text) and count == text.count("\n")
        ours = snapshotter(table, started=started, last_table=last_table)
        ref = snapshotter(ref_table, started=started, last_table=last_table)
        # a chunk that is not the table's last has one row more than fetch_size
        ours.fetch_size = 100 if last_chunk else count - 1
        rows = parse_copy_text(data)[: ours.fetch_size]
        ours._chunk = ours._chunk_of(table, data)
        got: list[SourceRecord] = []
        ours.piece = piece
        while ours._chunk is not None:
            part = ours.next_chunk()
            assert 0 < len(part) <= piece
            got += part
        now_us = got[0].value.get("ts_us")
        same_records(got, reference_records(ref, ref_table, rows, now_us, last_chunk))
        assert ours.progress.started
        assert table.rows_done == done + len(rows)
        assert ours.progress.table_index == (0 if not last_chunk else 1)
        assert ours.progress.last_key == (None if last_chunk else ours._key_of(table, rows[-1]))


def test_builder_matches_generic_code_for_common_and_unusual_values() -> None:
    check(shape_of(COLS), ["id"], ROWS)
    check(shape_of(COLS), ["id"], ESCAPED)
    check(shape_of(COLS), ["id"], NULLS)
    check(shape_of(COLS), ["id"], TEXT_N)


def test_builder_without_key_with_filters_masks_and_composite_keys() -> None:
    ctid_rows = "".join(f"(0,{i})\t{line}\n" for i, line in enumerate(ROWS.splitlines()))
    no_pk = [(n, t, nn, 0) for n, t, nn, _ in COLS]
    check(shape_of(no_pk), [], ctid_rows)
    composite = [("id", "int8", True, 2), ("n", "int4", True, 1), *COLS[2:]]
    shape = shape_of(composite, keep=lambda c: c not in ("b", "day"),
                     mask=lambda c: (lambda v: "***") if c == "s" else None)  # fmt: skip
    check(shape, ["n", "id"], ROWS)
    check(shape_of(COLS, key_override=["s"]), ["id"], ROWS)
    check(shape_of(COLS[:1]), ["id"], "1\n2\n")


def test_split_copy_text_nulls_escapes_and_misaligned_rows() -> None:
    assert split_copy_text(b"", 2) == ([], 0, False)
    assert split_copy_text(b"1\t\\N\n\\N\tx\n", 2) == (["1", None, None, "x"], 2, True)
    assert split_copy_text(b"1\t\\\\N\n", 2) == (["1", "\\N"], 1, True)
    assert split_copy_text(b"1\ta\\tb\n", 2) == (["1", "a\tb"], 1, True)
    with pytest.raises(psycopg.DataError, match="3 fields for 2 rows"):
        split_copy_text(b"1\t2\n3\n", 2)


@settings(max_examples=400, deadline=None)
@given(
    st.datetimes(min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 30)),  # noqa: DTZ001
    st.sampled_from(["+00", "+01", "-05:30", "+00:00"]),
    st.sampled_from(["{}", "{} BC", "{}x"]),
    st.booleans(),
)
def test_inline_zoned_timestamp_matches_types(
    moment: dt.datetime, zone: str, form: str, trim: bool
) -> None:
    text = moment.isoformat(" ")
    if trim and "." in text:  # PostgreSQL's form; untrimmed zeros must give the same too
        text = text.rstrip("0").rstrip(".")
    text = form.format(text + zone)
    shape = shape_of([("id", "int8", True, 1), ("t", "timestamptz", False, 0)])
    build = compile_chunk_builder(shape, table="public.t", key_columns=["id"], nulls=False)
    source = source_block("p", "db", "public", "t", time.time_ns() // 1000)
    try:
        expected = zoned(text)
    except (ValueError, ArithmeticError, OverflowError):
        expected = None  # the guarded converter sends unparseable values as null
    (record,) = build([("1", text)], 0, source, {}, 1)
    assert record.value.get("after").get("t") == expected


def test_inline_zoned_timestamp_edge_forms() -> None:
    shape = shape_of([("id", "int8", True, 1), ("t", "timestamptz", False, 0)])
    build = compile_chunk_builder(shape, table="public.t", key_columns=["id"], nulls=False)
    source = source_block("p", "db", "public", "t", 0)
    texts = [
        "2026-11-21 05:23:12.+00", "2026-11-21 05:23:12.120+00", "2026-11-21 05:23:12.000+00",
        "2026-11-21 05:23:12. 1+00", "2026-11-21 05:23:12+00", "2026-11-21 05:23:12.1+00",
        "2026-11-21 05:23:10+00", "2026-11-21 05:23:12.123456+00", "0001-01-01 00:00:00+00",
    ]  # fmt: skip
    records = build([(str(i), t) for i, t in enumerate(texts)], 0, source, {}, 1)
    assert [r.value.get("after").get("t") for r in records] == [zoned(t) for t in texts]


def test_timestamptz_columns_convert_as_the_converter_does() -> None:
    texts = [
        "2026-11-21 05:23:12.+00", "2026-11-21 05:23:12.120+00", "2026-11-21 05:23:12.000+00",
        "2026-11-21 05:23:12+00", "2026-11-21 05:23:12.1+00", "2026-11-21 05:23:10+00",
        "2026-11-21 05:23:12.123456+00", "0001-01-01 00:00:00+00", "2026-11-21 05:23:12.5+00",
    ]  # fmt: skip
    odd = ["2026-01-01 00:00:00.5+05:30", "2000-01-01 00:00:00+00 BC", "infinity",
           "12345-01-01 00:00:00+00", "2026-11-21 05:23:12. 1+00"]  # fmt: skip
    shape = shape_of([("id", "int8", True, 1), ("t", "timestamptz", False, 0)])
    conv = shape.converters[1]
    plain = [t for t in texts if t != "2026-11-21 05:23:12.+00"]
    assert convert_column(conv, plain, nulls=False) == [zoned(t) for t in plain]
    for bad in [*odd, "2026-11-21 05:23:12.+00"]:  # any value off the common form: one by one
        column = [*plain, bad]
        assert convert_column(conv, column, nulls=False) == [conv(t) for t in column]


@pytest.mark.parametrize("text", [ROWS, NULLS, ESCAPED], ids=["plain", "nulls", "escapes"])
def test_columnar_batches_encode_as_their_records_do(text: str) -> None:
    shape = shape_of(COLS)
    table = SnapshotTable(TableRef(1, "public", "t"), shape, ["id"])
    snap = snapshotter(table, started=True, last_table=False)
    snap.fetch_size = 100
    snap._chunk = snap._chunk_of(table, text.encode())
    values, keys = JsonConverter(), JsonConverter()
    values.configure({"schemas.enable": "true"})
    keys.configure({"schemas.enable": "false"}, is_key=True)
    batches = 0
    while snap._chunk is not None:
        part = snap.next_chunk()
        if isinstance(part, SourceRecordBatch):  # all rows but the marked first and last
            batches += 1
            records = list(part)
            assert values.from_connect_batch("t", part.value_schema, part.values) == [
                values.from_connect_data("t", r.value_schema, r.value) for r in records
            ]
            assert keys.from_connect_batch("t", part.key_schema, part.keys) == [
                keys.from_connect_data("t", r.key_schema, r.key) for r in records
            ]
    assert batches == 1
