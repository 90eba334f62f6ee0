"""The PostgreSQL CDC source task: checks, slot and publication, snapshot, then the stream.

Life of a task: ``start`` checks the server (wal_level, privileges, publication, slot), decides
from ``snapshot.mode`` and the stored offset whether a snapshot is needed, and creates the slot
if missing (exporting its snapshot for the initial read). ``poll`` returns snapshot chunks
until the snapshot is done, then streams. The slot is confirmed (``commit``) only up to what
the runtime reported durable. Connection failures while streaming reconnect with exponential
back-off and resume from the slot; replays are skipped by position.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Mapping, Sequence
from typing import Any

import psycopg
from psycopg import sql

from connectors.api import (
    ConnectError,
    RecordMetadata,
    RetriableError,
    SourceRecord,
    SourceRecordBatch,
    SourceTask,
)
from connectors.sources.postgres_cdc import database as db
from connectors.sources.postgres_cdc.config import parse_config
from connectors.sources.postgres_cdc.envelope import VERSION, ColumnInfo, TableShape, build_shape
from connectors.sources.postgres_cdc.heartbeat import heartbeat_record
from connectors.sources.postgres_cdc.incremental import IncrementalSnapshots
from connectors.sources.postgres_cdc.pgoutput import Message
from connectors.sources.postgres_cdc.replication import ReplicationConnection, ReplicationError
from connectors.sources.postgres_cdc.slot_functions import SlotFunctionReader
from connectors.sources.postgres_cdc.snapshot import SnapshotTable, Snapshotter
from connectors.sources.postgres_cdc.stream import (
    HEARTBEAT_PREFIX,
    ChangeStream,
    StreamSettings,
    track_key,
)
from connectors.sources.postgres_cdc.stream_columns import StreamOffsets, last_offset, merge_pieces
from connectors.sources.postgres_cdc.types import Catalog, TypeMapper

log = logging.getLogger(__name__)
_NETWORK_ERRORS = (ReplicationError, psycopg.OperationalError, psycopg.InterfaceError, OSError)
#: At most this many streamed messages read per poll (fewer when max.batch.size is smaller):
#: runs of changes become columnar batches, whose fixed per-batch costs (formats, schema
#: lookups, one log append) are then spread over many events.
STREAM_POLL_RECORDS = 4096


def snapshot_needed(mode: str, offset: Mapping[str, Any] | None, slot_exists: bool) -> bool:
    """Whether to (re)run the initial snapshot, per snapshot.mode and the stored offset."""
    if mode in ("never", "no_data"):
        return False
    if mode == "always":
        return True
    unfinished = bool(offset and offset.get("snapshot") and not offset.get("last_snapshot_record"))
    if mode == "when_needed":
        return offset is None or unfinished or not slot_exists
    return offset is None or unfinished


class PostgresCdcTask(SourceTask):
    """Streams one database's changes (one task per connector, like Debezium's)."""

    def version(self) -> str:
        return VERSION

    def start(self, config: Mapping[str, str]) -> None:
        self.cfg = parse_config(config)
        self.partition = {"server": self.cfg.prefix}
        self.catalog = Catalog()
        self.mapper = TypeMapper(self.catalog, self.cfg.modes)
        self.repl: ReplicationConnection | SlotFunctionReader | None = None
        self.snapshotter: Snapshotter | None = None
        #: what one poll read beyond the piece it returned: batches and record lists, in order
        self._ready: deque[Sequence[SourceRecord]] = deque()
        self.finished = False
        self._confirm_lsn = 0
        self._acked_since_commit = False
        self._acked_entry: list[Any] | None = None
        self._events = 0
        self._started = time.monotonic()
        self._behind_ms = 0
        self._failures = 0
        self._retry_at = 0.0
        self._next_beat = 0.0
        self._warned_no_key: set[str] = set()
        assert self.context is not None, "initialize() must run before start()"
        offset = self.context.offset_storage_reader().offset(self.partition)
        self.conn = db.connect(self.cfg)
        try:
            self._bootstrap(offset)
        except Exception:
            self.stop()
            raise

    def _bootstrap(self, offset: dict[str, Any] | None) -> None:
        cfg = self.cfg
        db.check_server(self.conn, cfg["database.user"])
        db.load_catalog(self.conn, self.catalog)
        self.tables = db.list_tables(self.conn, cfg)
        db.check_select(self.conn, cfg["database.user"], self.tables)
        published = list(self.tables)
        if cfg["signal.data.collection"]:
            signal = db.find_table(self.conn, cfg["signal.data.collection"])
            if signal is None:
                log.warning(
                    "signal.data.collection %s does not exist: create it with columns "
                    "(id varchar(42) PRIMARY KEY, type varchar(32) NOT NULL, data varchar(2048))",
                    cfg["signal.data.collection"],
                )
            elif signal not in published:
                published.append(signal)
        db.ensure_publication(self.conn, cfg, published)
        slot = db.wait_slot_free(self.conn, cfg)
        mode = cfg["snapshot.mode"]
        snap = snapshot_needed(mode, offset, slot is not None)
        self.stream = ChangeStream(self._stream_settings(), self._shape_for, _position(offset))
        self.incremental = IncrementalSnapshots(self, offset)
        if slot is None:
            self._create_slot(export=snap)
        elif snap:
            lsn = _lsn_of(slot.confirmed_flush)
            self._open_snapshot(None, lsn, offset if _unfinished(offset) else None)
        if not snap and mode == "initial_only":
            self.finished = True
        if cfg["heartbeat.interval.ms"]:
            self._next_beat = time.monotonic() + cfg["heartbeat.interval.ms"] / 1000

    def _stream_settings(self) -> StreamSettings:
        cfg = self.cfg
        tx_topic = (
            f"{cfg.prefix}.{cfg['topic.transaction']}"
            if cfg["provide.transaction.metadata"]
            else None
        )
        return StreamSettings(
            prefix=cfg.prefix,
            db=cfg["database.dbname"],
            partition=self.partition,
            tombstones=cfg["tombstones.on.delete"],
            skipped=cfg.skipped(),
            transaction_topic=tx_topic,
        )

    def _create_slot(self, *, export: bool) -> None:
        repl = ReplicationConnection(self.cfg.conninfo())
        try:
            info = repl.create_slot(self.cfg["slot.name"], export_snapshot=export)
            if export:
                self._open_snapshot(info.snapshot_name, info.consistent_lsn, None)
        except ReplicationError as exc:
            msg = f"cannot create replication slot '{self.cfg['slot.name']}': {exc}"
            raise ConnectError(msg) from None
        finally:
            repl.close()

    def _open_snapshot(self, name: str | None, lsn: int, resume: dict[str, Any] | None) -> None:
        """Start the snapshot transaction (importing ``name`` when the slot exported one)."""
        conn = db.connect(self.cfg, autocommit=False)
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        if name:
            conn.execute(sql.SQL("SET TRANSACTION SNAPSHOT {}").format(sql.Literal(name)))
        self.snapshotter = Snapshotter(
            conn,
            [self._snapshot_table(t) for t in self.tables],
            prefix=self.cfg.prefix,
            db=self.cfg["database.dbname"],
            lsn=lsn,
            fetch_size=self.cfg["snapshot.fetch.size"],
            partition=self.partition,
            resume_table=resume.get("snapshot_table") if resume else None,
            resume_key=resume.get("snapshot_key") if resume else None,
            batch_size=self.cfg["max.batch.size"],
        )

    def _snapshot_table(self, ref: db.TableRef) -> SnapshotTable:
        cols = db.column_infos(self.conn, ref.oid)
        shape = self._build_shape(ref.schema, ref.name, cols)
        pk = sorted((c for c in cols if c.key_position), key=lambda c: c.key_position)
        return SnapshotTable(ref, shape, [c.name for c in pk])

    def shape_of(self, ref: db.TableRef) -> TableShape:
        """The current shape of a captured table, from the catalog."""
        return self._build_shape(ref.schema, ref.name, db.column_infos(self.conn, ref.oid))

    def _build_shape(self, schema: str, table: str, cols: list[ColumnInfo]) -> TableShape:
        cfg = self.cfg
        override = cfg.message_key(schema, table)
        shape = build_shape(cfg.prefix, schema, table, cols, self.mapper,
                            lambda c: cfg.column_kept(schema, table, c), override,
                            lambda c: cfg.mask(schema, table, c))  # fmt: skip
        full = f"{schema}.{table}"
        if shape.key_schema is None and full not in self._warned_no_key:
            self._warned_no_key.add(full)
            log.warning(
                "table %s has no primary key: its events have a null key; add a primary key or "
                "set message.key.columns (updates/deletes also need REPLICA IDENTITY FULL)",
                full,
            )
        return shape

    def _shape_for(self, msg: Message) -> TableShape | None:
        """A Relation message (new table, or a changed one) -> the table's current shape."""
        schema, table = msg["namespace"], msg["name"]
        if not self.cfg.captured(schema, table) and not self.incremental.is_signal(schema, table):
            return None
        if any(c.type_oid not in self.catalog.types for c in msg["columns"]):
            db.load_catalog(self.conn, self.catalog)
        known = {c.name: c for c in db.column_infos(self.conn, msg["relid"])}
        cols = []
        for c in msg["columns"]:
            info = known.get(c.name)
            cols.append(ColumnInfo(c.name, c.type_oid, c.type_modifier,
                                   info.not_null if info else False,
                                   info.key_position if info else 0))  # fmt: skip
        return self._build_shape(schema, table, cols)

    # -- polling ---------------------------------------------------------------------------

    def poll(self) -> Sequence[SourceRecord] | None:
        if self.snapshotter is not None:
            try:
                return self._poll_snapshot()
            except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
                msg = (
                    f"connection lost during the snapshot ({exc}); restart the task: the "
                    "snapshot resumes after the last durable row"
                )
                raise ConnectError(msg) from None
        if self.finished:
            time.sleep(min(1.0, self.cfg["poll.interval.ms"] / 1000))
            return []
        try:
            records = self._poll_stream()
        except _NETWORK_ERRORS as exc:
            self._connection_lost(exc)
            return []
        self._failures = 0
        return records

    def _poll_snapshot(self) -> Sequence[SourceRecord]:
        """At most max.batch.size snapshot records per poll (a chunk may span several)."""
        snap = self.snapshotter
        assert snap is not None
        records = snap.next_chunk()  # at most max.batch.size records, or a marked row
        if snap.done:
            snap.conn.commit()
            snap.conn.close()
            self.snapshotter = None
            log.info("snapshot of %s finished: %s", self.cfg.prefix, snap.progress.summary())
            if self.cfg["snapshot.mode"] == "initial_only":
                self.finished = True
        return records

    def _poll_stream(self) -> Sequence[SourceRecord]:
        if self._ready:  # a batch read by an earlier poll
            return self._ready.popleft()
        if time.monotonic() < self._retry_at:
            time.sleep(min(0.1, self._retry_at - time.monotonic()))
            return []
        repl = self.repl or self._start_stream()
        if self._confirm_lsn:
            repl.confirm(self._confirm_lsn)
        pieces: list[Sequence[SourceRecord]] = [self.incremental.poll_chunk()]
        limit = min(self.cfg["max.batch.size"], STREAM_POLL_RECORDS)
        timeout = self.cfg["poll.interval.ms"] / 1000
        handle = self.stream.handle
        self.stream.now_us = time.time_ns() // 1000
        signals = self.incremental.signal is not None or self.incremental.state is not None
        filtered = self.incremental.filter
        repl.idle = self._idle()
        count = 0
        while count < limit:
            if signals:  # message by message: the incremental snapshot watches each one
                batch = repl.read_many(timeout, limit - count)
                records = [r for data in batch for r in filtered(handle(data))]
                pieces.append(records)
                count += len(records)
                received = len(batch)
            else:
                wire = repl.read_wire(timeout, limit - count)
                new = self.stream.wire_pieces(wire)
                pieces += new
                count += sum(map(len, new))
                received = len(wire)
            if not received:
                break
            timeout = 0.0
        repl.send_status()
        if count:
            self._events += count
            last_ts = last_offset(pieces).get("ts_usec")
            if last_ts:
                self._behind_ms = max(0, int(time.time() * 1000) - int(last_ts) // 1000)
        pieces.append(self._heartbeat())
        self._ready.extend(merge_pieces(pieces))
        return self._ready.popleft() if self._ready else []

    def _start_stream(self) -> ReplicationConnection | SlotFunctionReader:
        db.wait_slot_free(self.conn, self.cfg)
        repl: ReplicationConnection | SlotFunctionReader
        if self.cfg["replication.transport"] == "slot_functions":
            wait = min(0.05, self.cfg["poll.interval.ms"] / 1000)
            repl = SlotFunctionReader(self.cfg.conninfo(), max_delay=wait)
        else:
            repl = ReplicationConnection(self.cfg.conninfo())
        try:
            repl.start(self.cfg["slot.name"], 0, self.cfg["publication.name"])
        except Exception:
            repl.close()
            raise
        self.stream.tx = None
        self.repl = repl
        return repl

    def _heartbeat(self) -> list[SourceRecord]:
        interval = self.cfg["heartbeat.interval.ms"]
        if not interval or time.monotonic() < self._next_beat:
            return []
        self._next_beat = time.monotonic() + interval / 1000
        query = self.cfg["heartbeat.action.query"] or (
            f"SELECT pg_logical_emit_message(false, '{HEARTBEAT_PREFIX}', '')"
        )
        try:
            self.conn.execute(query)
        except psycopg.Error as exc:
            log.warning("heartbeat.action.query failed (%s); the heartbeat is still sent", exc)
        assert self.repl is not None
        lsn = self.repl.received_lsn
        if self.stream.tx is not None or not lsn:
            return []
        key = (lsn, True)
        self.stream.tracker.add(key)
        self.stream.tracker.end(key, lsn)
        topic = f"{self.cfg['topic.heartbeat.prefix']}.{self.cfg.prefix}"
        offset = {"lsn": lsn, "lsn_commit": lsn, "heartbeat": True}
        return [heartbeat_record(topic, self.cfg.prefix, self.partition, offset)]

    def _connection_lost(self, exc: BaseException) -> None:
        """Close everything; the next polls reconnect after an exponential back-off."""
        self._failures += 1
        limit = self.cfg["errors.max.retries"]
        self._close_stream()
        if limit >= 0 and self._failures > limit:
            msg = f"PostgreSQL connection lost {self._failures} times in a row, giving up: {exc}"
            raise ConnectError(msg) from None
        cap = self.cfg["retriable.restart.connector.wait.ms"] / 1000
        delay = min(cap, 0.1 * 2 ** (self._failures - 1))
        self._retry_at = time.monotonic() + delay
        log.warning("PostgreSQL connection lost (%s); reconnecting in %.1f s", exc, delay)
        try:
            self.conn.close()
            self.conn = db.connect(self.cfg)
        except (RetriableError, ConnectError, psycopg.Error):
            pass

    def _close_stream(self) -> None:
        if self.repl is not None:
            self.repl.close()
            self.repl = None

    # -- durability ------------------------------------------------------------------------

    def _idle(self) -> bool:
        """True when every change received so far is durable (or was not captured)."""
        return (
            self.stream.tx is None
            and self.stream.tracker.idle
            and not self._acked_since_commit
            and self._confirm_lsn >= self.stream.tracker.appended_lsn
        )

    def commit_record(self, record: SourceRecord, metadata: RecordMetadata | None) -> None:
        self._acked_since_commit = True
        offset = record.source_offset
        lsn = offset.get("lsn_commit") if offset else None
        if lsn is None:
            return
        if "heartbeat" in offset:
            key = track_key(offset)
            if key is not None:
                self.stream.tracker.acked(key)
            return
        # the common case, without a key tuple: consecutive records share their transaction
        entry = self._acked_entry
        if entry is None or entry[2] is None or entry[2][0] != lsn:
            entry = self.stream.tracker._entries.get((int(lsn), False))
            if entry is None:
                return
            self._acked_entry = entry
        entry[0] -= 1
        if entry[0] <= 0:
            self.stream.tracker._pop()

    def commit_batch(self, batch: SourceRecordBatch) -> None:
        """A columnar batch was written: its events' transactions are acked all at once."""
        self._acked_since_commit = True
        offsets = batch.source_offsets
        if type(offsets) is StreamOffsets:
            self.stream.tracker.acked_entries(offsets.entries, offsets.each)
        elif len(batch) and offsets[-1].get("lsn_commit") is not None:
            super().commit_batch(batch)  # streamed records of another form: one by one

    def commit(self) -> None:
        """Everything acked so far is fsynced now: the slot may move up to it."""
        self._confirm_lsn = max(self._confirm_lsn, self.stream.tracker.appended_lsn)
        self._acked_since_commit = False

    def stop(self) -> None:
        if getattr(self, "repl", None) is not None:
            self._close_stream()
        snap = getattr(self, "snapshotter", None)
        if snap is not None:
            snap.conn.close()
        conn = getattr(self, "conn", None)
        if conn is not None:
            if self.cfg["slot.drop.on.stop"]:
                try:
                    db.drop_slot(conn, self.cfg["slot.name"])
                except psycopg.Error as exc:
                    log.warning("could not drop slot %s: %s", self.cfg["slot.name"], exc)
            conn.close()

    def progress(self) -> dict[str, Any] | None:
        """Snapshot rows done/estimated, or streaming lag (read by the runtime's REST threads)."""
        snap = self.snapshotter
        if snap is not None:
            tables = snap.progress.tables
            return {
                "phase": "snapshot",
                "done": sum(t.rows_done for t in tables),
                "total": sum(max(t.estimated_rows, t.rows_done) for t in tables),
                "unit": "rows",
                "tables": snap.progress.summary(),
            }
        repl = self.repl
        received = repl.received_lsn if repl is not None else 0
        out: dict[str, Any] = {
            "phase": "finished" if self.finished else "streaming",
            "confirmed_lsn": self._confirm_lsn,
            "lag_bytes": max(0, received - self._confirm_lsn) if received else 0,
            "events": self._events,
            "events_per_s": round(self._events / max(1e-3, time.monotonic() - self._started), 1),
            "ms_behind_source": self._behind_ms,
        }
        inc = self.incremental.state
        if inc is not None:
            out["incremental_snapshot"] = {"tables": list(inc.collections), "key": inc.last_key}
        return out


def _unfinished(offset: Mapping[str, Any] | None) -> bool:
    return bool(offset and offset.get("snapshot") and not offset.get("last_snapshot_record"))


def _position(offset: Mapping[str, Any] | None) -> tuple[int, int]:
    if not offset or "lsn_commit" not in offset or offset.get("heartbeat"):
        return (0, 0)
    return int(offset["lsn_commit"]), int(offset.get("events", 0))


def _lsn_of(text: str | None) -> int:
    if not text:
        return 0
    high, _, low = text.partition("/")
    return (int(high, 16) << 32) | int(low, 16)
