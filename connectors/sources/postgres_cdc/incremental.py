"""Signals and incremental snapshots while streaming (Debezium's DBLog watermark method).

A row inserted into the signal table (``signal.data.collection``: columns id, type, data)
reaches us through our own change stream, so signals are ordered with the data changes.
``execute-snapshot`` queues tables; each chunk is read between two markers written to the
signal table: ``<chunk>-open`` and ``<chunk>-close``. Rows read are buffered by key; while
the window is open, any streamed change of a buffered key drops that row from the buffer
(the streamed event is newer). At the close marker the rest is emitted as ``op=r`` with
``source.snapshot=incremental``. Because the read happened between the markers, a change
the read did not see is streamed after the close marker: no row ends up stale.

Progress lives in every record's offset while a snapshot runs (Debezium's keys
``incremental_snapshot_collections/_primary_key/_maximum_key``), so it resumes after a
restart.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg import sql

from connectors.api import SourceRecord, Struct
from connectors.sources.postgres_cdc.envelope import (
    change_record,
    envelope,
    source_block,
    topic_name,
)
from connectors.sources.postgres_cdc.stream import track_key

if TYPE_CHECKING:
    from connectors.sources.postgres_cdc.task import PostgresCdcTask

log = logging.getLogger(__name__)
_KEYS = ("incremental_snapshot_collections", "incremental_snapshot_primary_key",
         "incremental_snapshot_maximum_key", "incremental_snapshot_correlation_id")  # fmt: skip


@dataclass
class _State:
    collections: list[str] = field(default_factory=list)
    filters: dict[str, str] = field(default_factory=dict)
    last_key: list[str | None] | None = None
    max_key: list[str | None] | None = None
    correlation: str = ""

    def to_offset(self) -> dict[str, Any]:
        return {
            "incremental_snapshot_collections": json.dumps(
                [
                    {"data-collection": c, "filter": self.filters.get(c, "")}
                    for c in self.collections
                ]
            ),
            "incremental_snapshot_primary_key": json.dumps(self.last_key),
            "incremental_snapshot_maximum_key": json.dumps(self.max_key),
            "incremental_snapshot_correlation_id": self.correlation,
        }


def _from_offset(offset: Mapping[str, Any] | None) -> _State | None:
    if not offset or not offset.get("incremental_snapshot_collections"):
        return None
    items = json.loads(offset["incremental_snapshot_collections"])
    filters = {i["data-collection"]: i["filter"] for i in items if i.get("filter")}
    state = _State([i["data-collection"] for i in items], filters)
    state.last_key = json.loads(offset.get("incremental_snapshot_primary_key") or "null")
    state.max_key = json.loads(offset.get("incremental_snapshot_maximum_key") or "null")
    state.correlation = offset.get("incremental_snapshot_correlation_id") or ""
    return state if state.collections else None


class IncrementalSnapshots:
    """Watches the signal table in the stream and runs incremental snapshot chunks."""

    def __init__(self, task: PostgresCdcTask, offset: Mapping[str, Any] | None) -> None:
        self.task = task
        signal = task.cfg["signal.data.collection"]
        self.signal = tuple(signal.split(".", 1)) if signal else None
        self.signal_topic = topic_name(task.cfg.prefix, *self.signal) if self.signal else None
        self.state = _from_offset(offset)
        self.chunk_id: str | None = None
        self.window_open = False
        self.buffer: dict[tuple[Any, ...], list[Any]] = {}
        self.chunk_last: list[str | None] | None = None
        self.chunk_full = False

    def is_signal(self, schema: str, table: str) -> bool:
        return self.signal == (schema, table)

    def on_change(self, topic: str, op: str, key: Struct | None) -> None:
        """A streamed change: inside an open window it wins over the buffered row."""
        state = self.state
        if (
            self.window_open
            and state
            and key is not None
            and topic == self._topic(state.collections[0])
        ):
            self.buffer.pop(_key_tuple(key), None)

    def _topic(self, full: str) -> str:
        schema, table = full.split(".", 1)
        return topic_name(self.task.cfg.prefix, schema, table)

    # -- stream side -----------------------------------------------------------------------

    def filter(self, records: list[SourceRecord]) -> list[SourceRecord]:
        """Consume signal-table events, emit closed windows, tag offsets with progress."""
        if self.signal_topic is None and self.state is None:
            return records
        out: list[SourceRecord] = []
        for record in records:
            if record.topic == self.signal_topic:
                out.extend(self._signal(record))
                key = track_key(record.source_offset)
                if key is not None:
                    self.task.stream.tracker.acked(key)
                continue
            out.append(record)
        if self.state is not None:
            progress = self.state.to_offset()
            for record in out:
                if record.source_offset is not None and "lsn_commit" in record.source_offset:
                    record.source_offset.update(progress)
        return out

    def _signal(self, record: SourceRecord) -> list[SourceRecord]:
        value = record.value
        if not isinstance(value, Struct) or value.get("op") != "c":
            return []
        row = value.get("after")
        sid, kind, data = row.get("id"), row.get("type"), row.get("data")
        if kind == "snapshot-window-open" and self.chunk_id and sid == f"{self.chunk_id}-open":
            self.window_open = True
            self.task.stream.on_change = self.on_change  # only paid while a window is open
        elif kind == "snapshot-window-close" and self.chunk_id and sid == f"{self.chunk_id}-close":
            return self._close_window(record)
        elif kind == "execute-snapshot":
            self._execute(json.loads(data or "{}"), sid)
        elif kind == "stop-snapshot":
            log.info("stop-snapshot signal %s: incremental snapshot stopped", sid)
            self.state, self.chunk_id, self.window_open, self.buffer = None, None, False, {}
            self.task.stream.on_change = None
        elif kind == "log":
            log.info("signal %s: %s", sid, json.loads(data or "{}").get("message"))
        return []

    def _execute(self, data: dict[str, Any], sid: str) -> None:
        if str(data.get("type", "incremental")).lower() != "incremental":
            log.warning("signal %s: only incremental snapshots are supported; ignored", sid)
            return
        patterns = [re.compile(p) for p in data.get("data-collections", [])]
        tables = [t.full for t in self.task.tables if any(p.fullmatch(t.full) for p in patterns)]
        if not tables:
            log.warning("signal %s: data-collections %s match no captured table", sid, patterns)
            return
        filters = {c["data-collection"]: c["filter"] for c in data.get("additional-conditions", [])}
        state = self.state or _State(correlation=sid)
        state.collections.extend(t for t in tables if t not in state.collections)
        state.filters.update(filters)
        self.state = state
        log.info("incremental snapshot of %s requested by signal %s", tables, sid)

    def _close_window(self, record: SourceRecord) -> list[SourceRecord]:
        state = self.state
        self.window_open = False
        self.task.stream.on_change = None
        self.chunk_id = None
        if state is None:
            return []
        table = state.collections[0]
        rows, self.buffer = list(self.buffer.values()), {}
        out = self._emit(table, rows, record)
        state.last_key = self.chunk_last
        if not self.chunk_full:
            state.collections.pop(0)
            state.last_key = state.max_key = None
            if not state.collections:
                log.info("incremental snapshot %s finished", state.correlation)
                self.state = None
        return out

    def _emit(self, table: str, rows: list[Any], marker: SourceRecord) -> list[SourceRecord]:
        ref = next(t for t in self.task.tables if t.full == table)
        shape = self.task.shape_of(ref)
        now = time.time_ns() // 1000
        src = source_block(self.task.cfg.prefix, self.task.cfg["database.dbname"], shape.schema,
                           shape.table, now, snapshot="incremental")  # fmt: skip
        offset = dict(marker.source_offset or {})
        key = track_key(offset)
        out = []
        for row in rows:
            value = envelope(shape, "r", None, shape.value(row), src)
            out.append(change_record(shape, shape.key(row), value, self.task.partition,
                                     dict(offset), now // 1000))  # fmt: skip
        if key is not None:
            self.task.stream.tracker.add(key, len(out))
        return out

    # -- poll side -------------------------------------------------------------------------

    def poll_chunk(self) -> list[SourceRecord]:
        """Start the next chunk when none is in flight: open marker, read, close marker."""
        state = self.state
        if state is None or self.chunk_id is not None or self.signal is None:
            return []
        conn = self.task.conn
        table = state.collections[0]
        ref = next((t for t in self.task.tables if t.full == table), None)
        if ref is None:
            state.collections.pop(0)
            return []
        shape = self.task.shape_of(ref)
        keys = [shape.names[i] for i in shape.key_idx]
        if not keys:
            log.warning("incremental snapshot of %s skipped: the table has no key", table)
            state.collections.pop(0)
            return []
        if state.max_key is None:
            state.max_key = self._max_key(conn, ref, keys)
        self.chunk_id = str(uuid.uuid4())
        self._marker(conn, "open")
        self._read_chunk(conn, ref, shape, keys, state)
        self._marker(conn, "close")
        return []

    def _max_key(
        self, conn: psycopg.Connection[Any], ref: Any, keys: list[str]
    ) -> list[str | None] | None:
        order = sql.SQL(", ").join(sql.SQL("{} DESC").format(sql.Identifier(k)) for k in keys)
        # Aliases, or ORDER BY would sort by the text output column of the same name.
        cols = sql.SQL(", ").join(
            sql.SQL("{}::text AS {}").format(sql.Identifier(k), sql.Identifier(f"_k{i}"))
            for i, k in enumerate(keys)
        )
        row = conn.execute(sql.SQL("SELECT {} FROM {} ORDER BY {} LIMIT 1").format(
            cols, ref.ident(), order)).fetchone()  # fmt: skip
        return None if row is None else list(row)

    def _read_chunk(
        self, conn: psycopg.Connection[Any], ref: Any, shape: Any, keys: list[str], state: _State
    ) -> None:
        size = self.task.cfg["incremental.snapshot.chunk.size"]
        order = sql.SQL(", ").join(sql.Identifier(k) for k in keys)
        conds: list[sql.Composable] = []
        params: list[Any] = []
        marks = sql.SQL(", ").join(sql.Placeholder() * len(keys))
        if state.last_key is not None:
            conds.append(sql.SQL("({}) > ({})").format(order, marks))
            params += state.last_key
        if state.max_key is not None:
            conds.append(sql.SQL("({}) <= ({})").format(order, marks))
            params += state.max_key
        extra = state.filters.get(ref.full)
        if extra:
            conds.append(sql.SQL("(" + extra.replace("{", "{{").replace("}", "}}") + ")"))
        where = sql.SQL(" WHERE ") + sql.SQL(" AND ").join(conds) if conds else sql.SQL("")
        cols = sql.SQL(", ").join(sql.Identifier(n) for n in shape.names)
        query = sql.SQL("COPY (SELECT {} FROM {}{} ORDER BY {} LIMIT {}) TO STDOUT").format(
            cols, ref.ident(), where, order, sql.Literal(size)
        )
        with conn.cursor() as cur, cur.copy(query, params) as copy:
            rows = [list(r) for r in copy.rows()]
        self.buffer = {_key_tuple(shape.key(r)): r for r in rows}
        self.chunk_full = len(rows) == size
        self.chunk_last = [rows[-1][shape.names.index(k)] for k in keys] if rows else state.last_key
        if not rows:
            self.chunk_full = False

    def _marker(self, conn: psycopg.Connection[Any], kind: str) -> None:
        assert self.signal is not None
        ident = sql.SQL("{}.{}").format(*(sql.Identifier(p) for p in self.signal))
        conn.execute(sql.SQL("INSERT INTO {} (id, type, data) VALUES (%s, %s, %s)").format(ident),
                     (f"{self.chunk_id}-{kind}", f"snapshot-window-{kind}", "{}"))  # fmt: skip


def _key_tuple(key: Struct | None) -> tuple[Any, ...]:
    if key is None:
        return ()
    return tuple(v for _, v in key.items())
