"""The batch stream path (raw XLogData, compiled per-table builders) gives the generic records."""

from __future__ import annotations

import struct
from typing import Any

import pytest

from connectors.api import SourceRecord, SourceRecordBatch
from connectors.converters.json import JsonConverter
from connectors.sources.postgres_cdc import envelope as envelope_module
from connectors.sources.postgres_cdc import heartbeat as heartbeat_module
from connectors.sources.postgres_cdc.envelope import ColumnInfo, TableShape, build_shape
from connectors.sources.postgres_cdc.pgoutput import UNCHANGED_TOAST, Message
from connectors.sources.postgres_cdc.replication import XLogData
from connectors.sources.postgres_cdc.stream import ChangeStream, StreamSettings, track_key
from connectors.sources.postgres_cdc.types import Catalog, Modes, PgType, TypeMapper
from tests.unit.connectors.postgres_cdc.helpers import cstr, same_records, tuple_data

TYPES = [(20, "int8"), (23, "int4"), (25, "text"), (1184, "timestamptz"), (16, "bool"),
         (1700, "numeric"), (701, "float8"), (17, "bytea")]  # fmt: skip
OID = dict((name, oid) for oid, name in TYPES)
NOW_US = 1_763_700_000_123_456


def mapper() -> TypeMapper:
    cat = Catalog()
    for oid, name in TYPES:
        cat.types[oid] = PgType(oid, name, "b", category="N")
    return TypeMapper(cat, Modes())


COLS = [("id", "int8", True, 1), ("n", "int4", False, 0), ("s", "text", False, 0),
        ("t", "timestamptz", False, 0), ("b", "bool", False, 0), ("d", "numeric", False, 0),
        ("f", "float8", False, 0), ("raw", "bytea", False, 0)]  # fmt: skip


def shape_for_cols(cols: list[tuple[str, str, bool, int]], **opts: Any) -> Any:
    infos = [ColumnInfo(n, OID[t], -1, nn, k) for n, t, nn, k in cols]

    def shape_for(msg: Message) -> TableShape | None:
        if msg["name"] == "ignored":
            return None
        return build_shape("p", msg["namespace"], msg["name"], infos, mapper(),
                           opts.get("keep") or (lambda c: True), opts.get("key_override"),
                           opts.get("mask"))  # fmt: skip

    return shape_for


def relation(relid: int, name: str, ncols: int) -> bytes:
    cols = struct.pack(">h", ncols)
    for i in range(ncols):
        cols += b"\x00" + cstr(f"c{i}") + struct.pack(">Ii", 23, -1)
    return b"R" + struct.pack(">I", relid) + cstr("public") + cstr(name) + b"d" + cols


def begin(final_lsn: int, xid: int) -> bytes:
    return b"B" + struct.pack(">qqI", final_lsn, 800_000_000_000_000, xid)


def commit(lsn: int, end: int) -> bytes:
    return b"C" + struct.pack(">bqqq", 0, lsn, end, 800_000_000_000_000)


def insert(relid: int, *cols: object) -> bytes:
    return b"I" + struct.pack(">I", relid) + b"N" + tuple_data(*cols)


def update(relid: int, *cols: object, old: tuple[bytes, tuple[object, ...]] | None = None) -> bytes:
    head = b"U" + struct.pack(">I", relid)
    if old is not None:
        head += old[0] + tuple_data(*old[1])
    return head + b"N" + tuple_data(*cols)


def delete(relid: int, kind: bytes, *cols: object) -> bytes:
    return b"D" + struct.pack(">I", relid) + kind + tuple_data(*cols)


def wire(lsn: int, payload: bytes) -> bytes:
    return b"w" + struct.pack(">qqq", lsn, lsn, 0) + payload


ROW = ("1", "7", "héllo", "2026-11-21 05:23:12.123456+00", "t", "1.50", "1.5e+300", "\\x0aff")
ODD = ("2", "0", None, "infinity", "f", "NaN", "-Infinity", None)
TOAST = ("3", "0", UNCHANGED_TOAST, "2026-01-01 00:00:00.5+05:30", None, "-0.001", "1e-7",
         UNCHANGED_TOAST)  # fmt: skip


def stream_messages() -> list[bytes]:
    """Two tables, a skipped one, the common forms and every unusual one, in two transactions."""
    msgs = [relation(1, "t", 8), relation(2, "u", 8), relation(3, "ignored", 8)]
    msgs += [begin(1000, 7), insert(1, *ROW), insert(1, *ODD), insert(2, *TOAST),
             insert(3, *ROW), update(1, *ROW), update(1, *ODD, old=(b"K", ODD)),
             update(1, *TOAST, old=(b"O", ROW)), update(1, *ROW, old=(b"K", ODD[:1] + ROW[1:])),
             delete(1, b"K", "1", "7", *[None] * 6), delete(2, b"O", *ROW),
             insert(1, *ROW[:2], b"ab", *ROW[3:]),  # a binary value: the generic path
             b"T" + struct.pack(">ib", 1, 0) + struct.pack(">I", 1),
             commit(1000, 1100)]  # fmt: skip
    msgs += [begin(2000, 8), insert(2, *ROW), update(2, *ODD), commit(2000, 2100)]
    msgs += [begin(3000, 9), commit(3000, 3100)]
    lsn = 100
    out = []
    for m in msgs:
        lsn += 10
        out.append(wire(lsn, m))
    return out


def settings(**extra: Any) -> StreamSettings:
    return StreamSettings(prefix="p", db="db", partition={"server": "p"}, **extra)


def run(
    messages: list[bytes], shape_for: Any, *, batched: bool, position: tuple[int, int] = (0, 0),
    chunk: int = 5, **extra: Any,
) -> tuple[list[SourceRecord], ChangeStream]:  # fmt: skip
    stream = ChangeStream(settings(**extra), shape_for, position)
    stream.now_us = NOW_US
    out: list[SourceRecord] = []
    if batched:
        for i in range(0, len(messages), chunk):
            out += stream.handle_wire(messages[i : i + chunk])
    else:
        for m in messages:
            start, end = struct.unpack_from(">qq", m, 1)
            out += stream.handle(XLogData(start, end, m[25:]))
    return out, stream


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """The generic path stamps envelopes with the current time: make it the stream's."""
    monkeypatch.setattr(envelope_module.time, "time_ns", lambda: NOW_US * 1000)
    monkeypatch.setattr(heartbeat_module.time, "time", lambda: NOW_US / 1e6)


def check(shape_for: Any, **extra: Any) -> list[SourceRecord]:
    messages = stream_messages()
    ref, ref_stream = run(messages, shape_for, batched=False, **extra)
    for chunk in (1, 3, 100):
        ours, stream = run(messages, shape_for, batched=True, chunk=chunk, **extra)
        same_records(ours, ref)
        assert stream.position == ref_stream.position
        assert stream.tracker.appended_lsn == ref_stream.tracker.appended_lsn
        assert list(stream.tracker._entries.items()) == list(ref_stream.tracker._entries.items())
    return ref


def test_batches_match_the_message_by_message_path(monkeypatch: pytest.MonkeyPatch) -> None:
    ref = check(shape_for_cols(COLS))
    assert [r.value.get("op") if r.value else None for r in ref[:5]] == ["c", "c", "c", "u", "u"]
    generic: list[int] = []
    handle = ChangeStream.handle
    monkeypatch.setattr(ChangeStream, "handle", lambda s, x: generic.append(x.payload[0]) or
                        handle(s, x))  # fmt: skip
    _, stream = run(stream_messages(), shape_for_cols(COLS), batched=True)
    assert len(stream._readers) == 2  # the ignored table has none
    # the generic path: relations, an ignored table, old tuples, deletes, binary, truncate
    assert bytes(generic) == b"RRR" + b"I" + b"UUUDDIT"


def test_filters_masks_keys_and_options() -> None:
    composite = [("id", "int8", True, 2), ("n", "int4", True, 1), *COLS[2:]]
    check(shape_for_cols(composite, keep=lambda c: c not in ("b", "f"),
                         mask=lambda c: (lambda v: "***") if c == "s" else None))  # fmt: skip
    check(shape_for_cols([(n, t, nn, 0) for n, t, nn, _ in COLS]))  # no key
    check(shape_for_cols(COLS, key_override=["n"]))
    check(shape_for_cols(COLS), skipped={"c", "t"})
    check(shape_for_cols(COLS), skipped={"u"}, tombstones=False)
    check(shape_for_cols(COLS), transaction_topic="p.transaction")


def test_replays_are_skipped_as_before() -> None:
    for position in [(1000, 3), (1000, 14), (2000, 1), (5000, 0)]:
        check(shape_for_cols(COLS), position=position)


def test_acked_records_confirm_their_transactions() -> None:
    ours, stream = run(stream_messages(), shape_for_cols(COLS), batched=True)
    assert stream.tracker.appended_lsn == 0 and not stream.tracker.idle
    for r in ours:
        key = track_key(r.source_offset)
        assert key is not None
        stream.tracker.acked(key)
    assert stream.tracker.idle and stream.tracker.appended_lsn == 3100


def test_task_commit_record_acks_through_the_tracker() -> None:
    from connectors.sources.postgres_cdc.task import PostgresCdcTask

    ours, stream = run(stream_messages(), shape_for_cols(COLS), batched=True)
    task = PostgresCdcTask.__new__(PostgresCdcTask)
    task.stream, task._acked_entry = stream, None
    stream.tracker.add((5000, True))
    stream.tracker.end((5000, True), 5000)
    beat = SourceRecord("hb", source_offset={"lsn": 5000, "lsn_commit": 5000, "heartbeat": True})
    for r in [*ours[:-1], beat]:
        task.commit_record(r, None)
    assert stream.tracker.appended_lsn == 1100  # the last record of the second is in flight
    task.commit_record(ours[-1], None)
    assert stream.tracker.idle and stream.tracker.appended_lsn == 5000
    # a transaction seen again after its entry was done gets a new entry: acks reach it
    stream.tracker.add((1000, False), 1)
    stream.tracker.end((1000, False), 6000)
    task.commit_record(ours[0], None)
    assert stream.tracker.idle and stream.tracker.appended_lsn == 6000
    task.commit_record(SourceRecord("snap", source_offset={"snapshot": "INITIAL"}), None)


def update_run(transactions: int, per_tx: int) -> list[bytes]:
    """One table's updates: ``transactions`` transactions of ``per_tx`` updates each."""
    msgs = [relation(1, "t", 8)]
    for t in range(transactions):
        msgs.append(begin(1000 * (t + 1), 7 + t))
        msgs += [update(1, str(t * per_tx + i), *ROW[1:]) for i in range(per_tx)]
        msgs.append(commit(1000 * (t + 1), 1000 * (t + 1) + 500))
    return [wire(100 + 10 * j, m) for j, m in enumerate(msgs)]


@pytest.mark.parametrize(("transactions", "per_tx"), [(1, 6), (5, 1), (3, 2)])
def test_runs_become_columnar_batches_that_encode_as_their_records(
    transactions: int, per_tx: int
) -> None:
    stream = ChangeStream(settings(), shape_for_cols(COLS))
    stream.now_us = NOW_US
    pieces = stream.wire_pieces(update_run(transactions, per_tx))
    assert [type(p) for p in pieces] == [SourceRecordBatch]  # (a Relation makes no record)
    batch = pieces[0]
    assert isinstance(batch, SourceRecordBatch) and len(batch) == transactions * per_tx
    records = list(batch)
    for schemas in ("true", "false"):
        values, keys = JsonConverter(), JsonConverter()
        values.configure({"schemas.enable": schemas})
        keys.configure({"schemas.enable": schemas}, is_key=True)
        assert values.from_connect_batch("t", batch.value_schema, batch.values) == [
            values.from_connect_data("t", r.value_schema, r.value) for r in records
        ]
        assert keys.from_connect_batch("t", batch.key_schema, batch.keys) == [
            keys.from_connect_data("t", r.key_schema, r.key) for r in records
        ]
    ref, _ = run(update_run(transactions, per_tx), shape_for_cols(COLS), batched=False)
    same_records(records, ref)


def test_task_commit_batch_acks_like_commit_record() -> None:
    from connectors.sources.postgres_cdc.task import PostgresCdcTask

    def task_for() -> tuple[PostgresCdcTask, SourceRecordBatch]:
        stream = ChangeStream(settings(), shape_for_cols(COLS))
        pieces = stream.wire_pieces(update_run(4, 3))
        task = PostgresCdcTask.__new__(PostgresCdcTask)
        task.stream, task._acked_entry = stream, None
        batch = pieces[0]
        assert isinstance(batch, SourceRecordBatch)
        return task, batch

    by_batch, batch = task_for()
    by_record, same = task_for()
    by_batch.commit_batch(batch)
    for r in list(same):
        by_record.commit_record(r, None)
    assert by_batch.stream.tracker.idle and by_record.stream.tracker.idle
    assert by_batch.stream.tracker.appended_lsn == by_record.stream.tracker.appended_lsn == 4500
