"""Initial snapshot: every captured row as an ``op=r`` event, consistent with the stream.

The rows are read inside one REPEATABLE READ transaction that imports the snapshot exported
when the replication slot was created, so the snapshot shows exactly the data committed
before the slot's consistent point and the stream delivers exactly what committed after it:
nothing missed, nothing doubled at the hand-off.

Each table is read in chunks ordered by primary key (``ctid`` for tables without one) with
``COPY (SELECT ... WHERE key > last LIMIT n) TO STDOUT``: memory stays bounded by the chunk
and every record's offset names the table and key it came from, so after a crash the
snapshot resumes after the last durable row instead of starting over. (A resumed snapshot
reads under a new snapshot; the stream, still at the slot's original consistent point,
replays the changes made meanwhile, so the final state is still exact.)
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql

from connectors.api import SourceRecord
from connectors.sources.postgres_cdc.database import TableRef
from connectors.sources.postgres_cdc.envelope import (
    TableShape,
    change_record,
    fast_struct,
    source_block,
)


@dataclass
class SnapshotTable:
    """A table to snapshot: its shape and the columns that order the chunks."""

    ref: TableRef
    shape: TableShape
    chunk_columns: list[str]  # primary key columns, or [] = use ctid
    estimated_rows: int = 0
    rows_done: int = 0


@dataclass
class SnapshotProgress:
    """Where the snapshot is: for offsets and for the connector status."""

    table_index: int = 0
    last_key: list[str | None] | None = None
    started: bool = False
    tables: list[SnapshotTable] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """Rows done / estimated per table (shown in the status)."""
        return {
            t.ref.full: {"rows": t.rows_done, "estimated": t.estimated_rows} for t in self.tables
        }


class Snapshotter:
    """Reads the tables chunk by chunk on a connection inside the snapshot transaction."""

    def __init__(
        self,
        conn: psycopg.Connection[Any],
        tables: list[SnapshotTable],
        *,
        prefix: str,
        db: str,
        lsn: int,
        fetch_size: int,
        partition: dict[str, Any],
        resume_table: str | None = None,
        resume_key: list[str | None] | None = None,
    ) -> None:
        self.conn = conn
        self.prefix, self.db, self.lsn = prefix, db, lsn
        self.fetch_size = fetch_size
        self.partition = partition
        self.progress = SnapshotProgress(tables=tables)
        if resume_table is not None:
            names = [t.ref.full for t in tables]
            if resume_table in names:
                self.progress.table_index = names.index(resume_table)
                self.progress.last_key = resume_key
            self.progress.started = True
        self._estimate()

    def _estimate(self) -> None:
        """Row estimates from the planner's statistics; never-analyzed tables are counted."""
        for t in self.progress.tables:
            row = self.conn.execute(
                "SELECT reltuples::bigint FROM pg_class WHERE oid = %s", (t.ref.oid,)
            ).fetchone()
            estimate = int(row[0]) if row else 0
            if estimate < 0:
                query = sql.SQL("SELECT count(*) FROM {}").format(t.ref.ident())
                counted = self.conn.execute(query).fetchone()
                estimate = int(counted[0]) if counted else 0
            t.estimated_rows = estimate

    @property
    def done(self) -> bool:
        return self.progress.table_index >= len(self.progress.tables)

    def _query(self, table: SnapshotTable) -> tuple[sql.Composed, list[Any]]:
        cols: sql.Composable = sql.SQL(", ").join(sql.Identifier(n) for n in table.shape.names)
        keys = table.chunk_columns
        order: sql.Composable
        if keys:
            order = sql.SQL(", ").join(sql.Identifier(k) for k in keys)
        else:
            order = sql.SQL("ctid")
            cols = sql.SQL("ctid, ") + cols
        last = self.progress.last_key
        where: sql.Composable = sql.SQL("")
        params: list[Any] = []
        if last is not None:
            marks = sql.SQL(", ").join(sql.Placeholder() * len(last))
            cast = sql.SQL("::tid") if not keys else sql.SQL("")
            where = sql.SQL(" WHERE ({}) > ({}{})").format(order, marks, cast)
            params = list(last)
        query = sql.SQL("COPY (SELECT {} FROM {}{} ORDER BY {} LIMIT {}) TO STDOUT").format(
            cols, table.ref.ident(), where, order, sql.Literal(self.fetch_size + 1)
        )
        return query, params

    def next_chunk(self) -> list[SourceRecord]:
        """The next chunk's records (possibly empty for an empty table); [] also when done."""
        if self.done:
            return []
        table = self.progress.tables[self.progress.table_index]
        query, params = self._query(table)
        with self.conn.cursor() as cur, cur.copy(query, params) as copy:
            rows: list[tuple[Any, ...]] = list(copy.rows())
        more = len(rows) > self.fetch_size
        rows = rows[: self.fetch_size]
        records = self._records(table, rows, last_chunk=not more)
        if more:
            self.progress.last_key = self._key_of(table, rows[-1])
        else:
            self.progress.table_index += 1
            self.progress.last_key = None
        table.rows_done += len(rows)
        return records

    def _key_of(self, table: SnapshotTable, row: tuple[Any, ...]) -> list[str | None]:
        if not table.chunk_columns:
            return [row[0]]
        names = table.shape.names
        return [row[names.index(k)] for k in table.chunk_columns]

    def _records(
        self, table: SnapshotTable, rows: list[tuple[Any, ...]], *, last_chunk: bool
    ) -> list[SourceRecord]:
        shape = table.shape
        now_us = time.time_ns() // 1000
        last_table = self.progress.table_index == len(self.progress.tables) - 1
        plain = source_block(self.prefix, self.db, shape.schema, shape.table, now_us,
                             snapshot="true", lsn=self.lsn)  # fmt: skip
        out: list[SourceRecord] = []
        full = table.ref.full
        no_pk = not table.chunk_columns
        first_index = 0 if (rows and table.rows_done == 0) else -1
        for i, row in enumerate(rows):
            values = list(row[1:]) if no_pk else list(row)
            marker = self._marker(i == first_index, last_chunk and i == len(rows) - 1, last_table)
            src = plain if marker == "true" else source_block(
                self.prefix, self.db, shape.schema, shape.table, now_us,
                snapshot=marker, lsn=self.lsn,
            )  # fmt: skip
            value = fast_struct(shape.envelope_schema, {
                "before": None, "after": shape.value(values), "source": src, "transaction": None,
                "op": "r", "ts_ms": now_us // 1000, "ts_us": now_us, "ts_ns": now_us * 1000,
            })  # fmt: skip
            offset = {
                "lsn": self.lsn,
                "snapshot": "INITIAL",
                "snapshot_table": full,
                "snapshot_key": self._key_of(table, row),
                "last_snapshot_record": marker == "last",
                "ts_usec": now_us,
            }
            out.append(change_record(shape, shape.key(values), value, self.partition, offset,
                                     now_us // 1000))  # fmt: skip
        self.progress.started = True
        return out

    def _marker(self, first_in_table: bool, last_in_table: bool, last_table: bool) -> str:
        if last_in_table and last_table:
            return "last"
        if first_in_table and not self.progress.started:
            return "first"
        if first_in_table:
            return "first_in_data_collection"
        if last_in_table:
            return "last_in_data_collection"
        return "true"
