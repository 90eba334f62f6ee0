"""Turns decoded pgoutput messages into Debezium change events, and tracks their durability.

Positions: every event is identified by (commit LSN of its transaction, index inside the
transaction). Transactions arrive in commit order, so that pair grows strictly; an event at or
below the last emitted/committed pair is a replay (after a reconnect or restart) and is
skipped. The slot is confirmed only up to the end LSN of the last transaction whose records
are all durable (:class:`DurabilityTracker`).
"""

from __future__ import annotations

import logging
import struct
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from connectors.api import Headers, SourceRecord, Struct
from connectors.sources.postgres_cdc.envelope import (
    SOURCE_SCHEMA,
    TRANSACTION_BLOCK,
    TableShape,
    change_record,
    envelope,
    fast_struct,
    source_block,
)
from connectors.sources.postgres_cdc.heartbeat import message_record, transaction_record
from connectors.sources.postgres_cdc.pgoutput import (
    PG_EPOCH_OFFSET_US,
    UNCHANGED_TOAST,
    Message,
    TupleValue,
    decode,
    pg_ts_to_unix_us,
)
from connectors.sources.postgres_cdc.replication import XLogData
from connectors.sources.postgres_cdc.stream_columns import ChangeRun, RowReaders

log = logging.getLogger(__name__)
#: fields of an XLogData message as received: header, then the pgoutput payload at byte 25
_HEADER_AT = struct.Struct(">qq")  # at 1: WAL start, WAL end
_RELID_AT = struct.Struct(">I")  # at 26 in Insert/Update/Delete
_BEGIN_AT = struct.Struct(">qqI")  # at 26: final LSN, commit time, xid
_COMMIT_AT = struct.Struct(">q")  # at 35: end LSN
HEARTBEAT_PREFIX = "cdchub-heartbeat"

TrackKey = tuple[int, bool]
_new = object.__new__


class DurabilityTracker:
    """Which WAL position is safe to confirm: every record up to it is in the log.

    One entry per transaction (or heartbeat), in stream order: ``[records in flight, end
    LSN or None while open, key]``.
    """

    def __init__(self) -> None:
        self._entries: dict[TrackKey, list[Any]] = {}
        self._order: deque[list[Any]] = deque()
        self.appended_lsn = 0

    def _entry(self, key: TrackKey) -> list[Any]:
        entry = self._entries.get(key)
        if entry is None:
            entry = self._entries[key] = [0, None, key]
            self._order.append(entry)
        return entry

    def add(self, key: TrackKey, count: int = 1) -> None:
        self._entry(key)[0] += count

    def end(self, key: TrackKey, end_lsn: int) -> None:
        self._entry(key)[1] = end_lsn
        self._pop()

    def acked(self, key: TrackKey) -> None:
        entry = self._entries.get(key)
        if entry is not None:
            entry[0] -= 1
            if entry[0] <= 0:
                self._pop()

    def acked_entries(self, entries: Sequence[list[Any]], each: int = 1) -> None:
        """:meth:`acked` for ``each`` records of every transaction entry in ``entries``.

        The batch path hands the entries it counted its events in (``_Tx.entry``) straight
        back: no key to build and look up per event. An entry the tracker dropped since (a
        restarted stream) is detached, so counting it down changes nothing.
        """
        for entry in entries:
            entry[0] -= each
        self._pop()

    def _pop(self) -> None:
        order = self._order
        while order:
            first = order[0]
            if first[0] > 0 or first[1] is None:
                return
            if first[1] > self.appended_lsn:
                self.appended_lsn = first[1]
            order.popleft()
            del self._entries[first[2]]
            first[2] = None  # gone: whoever kept the entry must look its key up again

    @property
    def idle(self) -> bool:
        return not self._order


def track_key(offset: dict[str, Any] | None) -> TrackKey | None:
    """The tracker key a record's offset belongs to (None for snapshot records)."""
    if not offset or "lsn_commit" not in offset:
        return None
    return int(offset["lsn_commit"]), bool(offset.get("heartbeat"))


class _Tx:
    """The transaction being streamed (between its Begin and Commit messages)."""

    __slots__ = ("_counts", "begun", "entry", "final_lsn", "fresh", "index", "ts_us", "xid")

    def __init__(self, xid: int, final_lsn: int, ts_us: int) -> None:
        self.xid = xid
        self.final_lsn = final_lsn
        self.ts_us = ts_us
        self.index = 0
        self._counts: dict[str, int] | None = None
        self.begun = False
        #: the tracker entry of this transaction's records (count, end LSN, key)
        self.entry: list[Any] = []
        #: no event of it was emitted before (not a replay): the batch path may build its
        #: events without comparing each one with the stream position
        self.fresh = False

    @property
    def counts(self) -> dict[str, int]:
        """Events per table so far (for transaction metadata; made on first use)."""
        if self._counts is None:
            self._counts = {}
        return self._counts

    @property
    def id(self) -> str:
        return f"{self.xid}:{self.final_lsn}"


@dataclass
class StreamSettings:
    """What the stream needs from the config."""

    prefix: str
    db: str
    partition: dict[str, Any]
    tombstones: bool = True
    skipped: set[str] = field(default_factory=lambda: {"t"})
    transaction_topic: str | None = None


class ChangeStream:
    """Stateful pgoutput -> records conversion (relations, current transaction, position)."""

    def __init__(
        self,
        settings: StreamSettings,
        shape_for: Callable[[Message], TableShape | None],
        position: tuple[int, int] = (0, 0),
    ) -> None:
        self.s = settings
        self.shape_for = shape_for
        self.relations: dict[int, TableShape | None] = {}
        self.tx: _Tx | None = None
        self.position = position
        self.tracker = DurabilityTracker()
        self.on_change: Callable[[str, str, Struct | None], None] | None = None
        self.messages_topic = f"{settings.prefix}.message"
        self._templates: dict[str, dict[str, Any]] = {}
        self._readers = RowReaders()
        #: "Processed at" time of events (envelope ts_*), refreshed by the task per poll.
        self.now_us = time.time_ns() // 1000

    def handle(self, x: XLogData) -> list[SourceRecord]:
        """Records for one replication payload (often none: Begin, Relation, Commit...)."""
        msg = decode(x.payload)
        kind = msg.kind
        if kind in ("Insert", "Update", "Delete"):
            return self._change(msg, x.wal_start)
        handler = _HANDLERS.get(kind)
        return handler(self, msg, x) if handler is not None else []

    def _begin(self, msg: Message, x: XLogData) -> list[SourceRecord]:
        self._open(msg["xid"], msg["final_lsn"], pg_ts_to_unix_us(msg["commit_ts"]))
        return []

    def _open(self, xid: int, final_lsn: int, ts_us: int) -> _Tx:
        if self.tx is not None:
            self.sync_position()
        tx = self.tx = _new(_Tx)  # _Tx(...) without the call: one per transaction
        tx.xid, tx.final_lsn, tx.ts_us, tx.index = xid, final_lsn, ts_us, 0
        tx._counts, tx.begun = None, False
        tx.entry = self.tracker._entry((final_lsn, False))
        tx.fresh = final_lsn > self.position[0]
        return tx

    def sync_position(self) -> None:
        """Record in ``position`` the events the batch path emitted without updating it."""
        tx = self.tx
        if tx is not None and tx.fresh and tx.index and (tx.final_lsn, tx.index) > self.position:
            self.position = (tx.final_lsn, tx.index)

    def _commit(self, msg: Message, x: XLogData) -> list[SourceRecord]:
        self.sync_position()
        tx, self.tx = self.tx, None
        out: list[SourceRecord] = []
        if tx is None:
            return out
        if self.s.transaction_topic and tx.begun:
            tx.index += 1
            offset = self._offset(tx, x.wal_start)
            out.append(transaction_record(self.s.transaction_topic, tx.id, "END", self.s.partition,
                                          offset, tx.counts))  # fmt: skip
            self.tracker.add((tx.final_lsn, False))
        self.tracker.end((tx.final_lsn, False), msg["end_lsn"])
        return out

    def _relation(self, msg: Message, x: XLogData) -> list[SourceRecord]:
        shape = self.shape_for(msg)
        self.relations[msg["relid"]] = shape
        self._readers.forget(msg["relid"])
        if shape is not None and not self.s.transaction_topic:
            self._readers.learn(msg["relid"], shape)
        return []

    def handle_wire(self, messages: list[bytes]) -> list[SourceRecord]:
        """Records for XLogData messages as received: :meth:`wire_pieces`' records, in order."""
        return [record for piece in self.wire_pieces(messages) for record in piece]

    def wire_pieces(self, messages: list[bytes]) -> list[Sequence[SourceRecord]]:
        """The records for XLogData messages as received (``ReplicationConnection.read_wire``).

        The same records as :meth:`handle` on each message, in order, in pieces: runs of
        inserts and updates of one table without an old tuple (the bulk of most streams) are
        read by the table's compiled row reader into a :class:`ChangeRun` and handed on as
        one columnar batch; Begin and Commit are decoded inline; everything else, and any
        message not in its common form, goes through :meth:`handle` into a list of records.
        """
        pieces: list[Sequence[SourceRecord]] = []
        records: list[SourceRecord] = []  # the pending list piece (never beside a run)
        run: ChangeRun | None = None
        readers = self._readers
        tx = self.tx
        now_us = self.now_us
        fast_c = fast_u = self.on_change is None and not self.s.transaction_topic
        skipped = self.s.skipped
        fast_c = fast_c and "c" not in skipped
        fast_u = fast_u and "u" not in skipped
        begin, commit, relid_at = (
            _BEGIN_AT.unpack_from,
            _COMMIT_AT.unpack_from,
            _RELID_AT.unpack_from,
        )
        pop = self.tracker._pop
        try:
            for msg in messages:
                tag = msg[25]
                if tag == 0x49 or tag == 0x55:  # Insert, Update
                    relid = relid_at(msg, 26)[0]
                    read = readers.get(relid)
                    if (
                        read is not None
                        and tx is not None
                        and tx.fresh
                        and (fast_c if tag == 0x49 else fast_u)
                        and (row := read(msg)) is not None
                    ):
                        index = tx.index + 1
                        tx.index = index
                        tx.entry[0] += 1
                        if run is None or run.relid != relid:
                            if run is not None:
                                pieces.append(run.batch(self.s, now_us))
                            elif records:
                                pieces.append(records)
                                records = []
                            run = ChangeRun(relid, readers.shapes[relid])
                        run.append((row, tx, index, "c" if tag == 0x49 else "u"))
                        continue
                elif tag == 0x42 and len(msg) == 46:  # Begin
                    final_lsn, commit_ts, xid = begin(msg, 26)
                    tx = self._open(xid, final_lsn, commit_ts + PG_EPOCH_OFFSET_US)
                    continue
                elif tag == 0x43 and len(msg) == 51 and not self.s.transaction_topic:  # Commit
                    if tx is not None:
                        if tx.fresh and tx.index:
                            self.position = (tx.final_lsn, tx.index)
                        self.tx = None
                        tx.entry[1] = commit(msg, 35)[0]
                        pop()
                        tx = None
                    continue
                if run is not None:  # a Relation may change the table's shape: end the run
                    pieces.append(run.batch(self.s, now_us))
                    run = None
                wal_start, wal_end = _HEADER_AT.unpack_from(msg, 1)
                records.extend(self.handle(XLogData(wal_start, wal_end, msg[25:])))
                tx = self.tx
        finally:
            self.sync_position()
        if run is not None:
            pieces.append(run.batch(self.s, now_us))
        elif records:
            pieces.append(records)
        return pieces

    def _offset(self, tx: _Tx, lsn: int) -> dict[str, Any]:
        return {"lsn": lsn, "lsn_proc": lsn, "lsn_commit": tx.final_lsn, "txId": tx.xid,
                "ts_usec": tx.ts_us, "events": tx.index}  # fmt: skip

    def _next_event(self, tx: _Tx) -> bool:
        """Count the event; False when it was already emitted (a replay)."""
        tx.index += 1
        if (tx.final_lsn, tx.index) <= self.position:
            return False
        self.position = (tx.final_lsn, tx.index)
        return True

    def _source(self, shape: TableShape, tx: _Tx, lsn: int) -> Struct:
        seq = f'["{tx.final_lsn}","{lsn}"]'
        return source_block(self.s.prefix, self.s.db, shape.schema, shape.table, tx.ts_us,
                            txId=tx.xid, lsn=lsn, sequence=seq)  # fmt: skip

    def _begin_records(self, tx: _Tx, lsn: int) -> list[SourceRecord]:
        if not self.s.transaction_topic or tx.begun:
            return []
        tx.begun = True
        offset = self._offset(tx, lsn)
        self.tracker.add((tx.final_lsn, False))
        return [
            transaction_record(self.s.transaction_topic, tx.id, "BEGIN", self.s.partition, offset)
        ]

    def _change(self, msg: Message, lsn: int) -> list[SourceRecord]:
        shape = self.relations.get(msg["relid"])
        tx = self.tx
        if shape is None or tx is None:
            return []
        op = _OPS[msg.kind]
        tx.index += 1
        if (tx.final_lsn, tx.index) <= self.position:
            return []  # a replay of an event already emitted
        self.position = (tx.final_lsn, tx.index)
        new: list[TupleValue] | None = msg.fields.get("new")
        old: list[TupleValue] | None = msg.fields.get("old")
        if self.on_change is not None:
            row = new if new is not None else old
            assert row is not None
            self.on_change(shape.topic, op, shape.key(row))
        if op in self.s.skipped:
            return []
        if old is None and new is not None and not self.s.transaction_topic:
            self.tracker.add((tx.final_lsn, False))
            return [self._fast(shape, tx, lsn, op, new)]
        out = self._begin_records(tx, lsn)
        if op == "c":
            assert new is not None
            data = [self._event(shape, tx, lsn, "c", None, new)]
        elif op == "d":
            assert old is not None
            data = self._delete(shape, tx, lsn, old, msg["old_kind"])
        else:
            assert new is not None
            data = self._update(shape, tx, lsn, old, new, msg.fields.get("old_kind"))
        self.tracker.add((tx.final_lsn, False), len(data))
        name = f"{shape.schema}.{shape.table}"
        tx.counts[name] = tx.counts.get(name, 0) + 1
        out.extend(data)
        return out

    def _fast(
        self, shape: TableShape, tx: _Tx, lsn: int, op: str, new: list[TupleValue]
    ) -> SourceRecord:
        """Inserts and updates without an old tuple: the bulk of most streams, kept lean."""
        after = shape.value(new)
        key = shape.key_of(after)
        src = self._templates.get(shape.topic)
        if src is None or src["schema"] != shape.schema:
            src = self._templates[shape.topic] = source_block(
                self.s.prefix, self.s.db, shape.schema, shape.table, 0
            )._values  # fmt: skip
        ts = tx.ts_us
        values = src.copy()
        values["ts_ms"], values["ts_us"], values["ts_ns"] = ts // 1000, ts, ts * 1000
        values["txId"], values["lsn"] = tx.xid, lsn
        values["sequence"] = f'["{tx.final_lsn}","{lsn}"]'
        now = self.now_us
        value = fast_struct(shape.envelope_schema, {
            "before": None, "after": after, "source": fast_struct(SOURCE_SCHEMA, values),
            "transaction": None, "op": op, "ts_ms": now // 1000, "ts_us": now, "ts_ns": now * 1000,
        })  # fmt: skip
        offset = {"lsn": lsn, "lsn_proc": lsn, "lsn_commit": tx.final_lsn, "txId": tx.xid,
                  "ts_usec": ts, "events": tx.index}  # fmt: skip
        return SourceRecord(shape.topic, None, shape.key_schema, key, shape.envelope_schema,
                            value, timestamp=ts // 1000, source_partition=self.s.partition,
                            source_offset=offset)  # fmt: skip

    def _event(
        self,
        shape: TableShape,
        tx: _Tx,
        lsn: int,
        op: str,
        before: list[TupleValue] | None,
        after: list[TupleValue] | None,
        *,
        headers: Headers | None = None,
        identity_only: bool = False,
    ) -> SourceRecord:
        key = shape.key(after or before or [])
        old = None if before is None else shape.value(before, identity_only=identity_only)
        value = envelope(
            shape, op, old,
            None if after is None else shape.value(after), self._source(shape, tx, lsn),
            self._tx_block(tx, shape),
        )  # fmt: skip
        return change_record(shape, key, value, self.s.partition, self._offset(tx, lsn),
                             tx.ts_us // 1000, headers)  # fmt: skip

    def _tx_block(self, tx: _Tx, shape: TableShape) -> Struct | None:
        if not self.s.transaction_topic:
            return None
        name = f"{shape.schema}.{shape.table}"
        return fast_struct(TRANSACTION_BLOCK, {
            "id": tx.id, "total_order": sum(tx.counts.values()) + 1,
            "data_collection_order": tx.counts.get(name, 0) + 1,
        })  # fmt: skip

    def _delete(
        self, shape: TableShape, tx: _Tx, lsn: int, old: list[TupleValue], kind: str
    ) -> list[SourceRecord]:
        out = [self._event(shape, tx, lsn, "d", old, None, identity_only=kind == "K")]
        if self.s.tombstones:
            out.append(change_record(shape, out[0].key, None, self.s.partition,
                                     self._offset(tx, lsn), tx.ts_us // 1000))  # fmt: skip
        return out

    def _update(
        self,
        shape: TableShape,
        tx: _Tx,
        lsn: int,
        old: list[TupleValue] | None,
        new: list[TupleValue],
        kind: str | None,
    ) -> list[SourceRecord]:
        if old is not None and kind == "O":
            new = [o if n is UNCHANGED_TOAST else n for n, o in zip(new, old, strict=True)]
        before = old
        if old is not None and shape.key_schema is not None:
            old_key, new_key = shape.key(old), shape.key(new)
            if old_key != new_key:
                return self._key_change(shape, tx, lsn, before, new, old_key, new_key,
                                        identity_only=kind == "K")  # fmt: skip
        return [self._event(shape, tx, lsn, "u", before, new, identity_only=kind == "K")]

    def _key_change(
        self,
        shape: TableShape,
        tx: _Tx,
        lsn: int,
        before: list[TupleValue] | None,
        new: list[TupleValue],
        old_key: Struct | None,
        new_key: Struct | None,
        *,
        identity_only: bool,
    ) -> list[SourceRecord]:
        """A primary-key update: delete (old key) + tombstone + create (new key)."""
        assert before is not None
        newkey = Headers().add("__debezium.newkey", new_key, shape.key_schema)
        out = [self._event(shape, tx, lsn, "d", before, None, headers=newkey,
                           identity_only=identity_only)]  # fmt: skip
        if self.s.tombstones:
            out.append(change_record(shape, old_key, None, self.s.partition,
                                     self._offset(tx, lsn), tx.ts_us // 1000))  # fmt: skip
        oldkey = Headers().add("__debezium.oldkey", old_key, shape.key_schema)
        out.append(self._event(shape, tx, lsn, "c", None, new, headers=oldkey))
        return out

    def _truncate(self, msg: Message, x: XLogData) -> list[SourceRecord]:
        tx = self.tx
        if tx is None or "t" in self.s.skipped:
            return []
        out: list[SourceRecord] = []
        for relid in msg["relids"]:
            shape = self.relations.get(relid)
            if shape is None or not self._next_event(tx):
                continue
            value = envelope(shape, "t", None, None, self._source(shape, tx, x.wal_start))
            out.append(change_record(shape, None, value, self.s.partition,
                                     self._offset(tx, x.wal_start), tx.ts_us // 1000))  # fmt: skip
        self.tracker.add((tx.final_lsn, False), len(out))
        return out

    def _message(self, msg: Message, x: XLogData) -> list[SourceRecord]:
        prefix = msg["prefix"]
        if prefix == HEARTBEAT_PREFIX:
            return []
        tx = self.tx
        transactional = bool(msg["flags"] & 1) and tx is not None
        if transactional:
            assert tx is not None
            if not self._next_event(tx):
                return []
            key: TrackKey = (tx.final_lsn, False)
            offset = self._offset(tx, x.wal_start)
            src = source_block(
                self.s.prefix, self.s.db, "", "", tx.ts_us, txId=tx.xid, lsn=msg["lsn"]
            )
        else:
            key = (msg["lsn"], True)
            offset = {"lsn": msg["lsn"], "lsn_commit": msg["lsn"], "heartbeat": True}
            src = source_block(self.s.prefix, self.s.db, "", "", 0, lsn=msg["lsn"])
        record = message_record(
            self.messages_topic, prefix, msg["content"], src, self.s.partition, offset
        )
        self.tracker.add(key)
        if not transactional:
            self.tracker.end(key, x.wal_end)
        return [record]


_OPS = {"Insert": "c", "Update": "u", "Delete": "d"}

_HANDLERS: dict[str, Callable[[ChangeStream, Message, XLogData], list[SourceRecord]]] = {
    "Begin": ChangeStream._begin,
    "Commit": ChangeStream._commit,
    "Relation": ChangeStream._relation,
    "Truncate": ChangeStream._truncate,
    "Message": ChangeStream._message,
}
