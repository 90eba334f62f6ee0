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

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import pq, sql

from connectors.api import SourceRecord, Struct
from connectors.sources.postgres_cdc.database import TableRef
from connectors.sources.postgres_cdc.envelope import TableShape, source_block
from connectors.sources.postgres_cdc.snapshot_columns import column_builder
from connectors.sources.postgres_cdc.snapshot_rows import compile_chunk_builder


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


_ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\"}
_ESCAPE = re.compile(r"\\(?:([0-7]{1,3})|x([0-9a-fA-F]{1,2})|(.))", re.DOTALL)


def _unescape_match(m: re.Match[str]) -> str:
    octal, hexa, char = m.groups()
    if octal:
        return chr(int(octal, 8))
    if hexa:
        return chr(int(hexa, 16))
    return _ESCAPES.get(char, char)


def parse_copy_text(data: bytes) -> list[list[str | None]]:
    r"""Rows of COPY's text format: tab-separated, ``\N`` = NULL, backslash escapes.

    Why not psycopg's ``Copy.rows()``: it parses row by row through generators; splitting
    the whole chunk with ``str.split`` (C loops) is several times faster, and escapes are
    rare enough to handle per field.
    """
    text = data.decode()
    if not text:
        return []
    rows: list[list[str | None]] = [line.split("\t") for line in text[:-1].split("\n")]  # type: ignore[misc]
    if "\\" in text:
        for row in rows:
            for i, field in enumerate(row):
                if field is not None and "\\" in field:
                    row[i] = None if field == "\\N" else _ESCAPE.sub(_unescape_match, field)
    return rows


def split_copy_text(data: bytes, width: int) -> tuple[list[str | None], int, bool]:
    r"""COPY text as one flat list of ``count * width`` fields: (fields, count, nulls).

    Without escapes (the common case) tabs and newlines are pure separators, so the whole
    chunk is split in one C call; when every backslash is a NULL marker (``\N`` fields), those
    fields become None; other escapes go through :func:`parse_copy_text`. ``nulls`` says
    whether any field may be None.
    """
    text = data.decode()
    if not text:
        return [], 0, False
    count = text.count("\n")
    backslashes = text.count("\\")
    if backslashes and backslashes != text.count("\\N"):
        flat = [field for row in parse_copy_text(data) for field in row]
    else:
        flat = text[:-1].replace("\n", "\t").split("\t")  # type: ignore[assignment]
        if backslashes:
            flat = [None if field == "\\N" else field for field in flat]
    if len(flat) != count * width:
        msg = f"COPY returned {len(flat)} fields for {count} rows of {width} columns"
        raise psycopg.DataError(msg)
    return flat, count, bool(backslashes)


def copy_out(conn: psycopg.Connection[Any], query: sql.Composable) -> bytes:
    """Run ``COPY ... TO STDOUT`` and return all its data.

    Why libpq directly: psycopg's ``Copy`` hands out one row per generator round trip, which
    costs more than everything else we do per row; ``get_copy_data`` in a plain loop does not.
    """
    send_copy(conn, query)
    return receive_copy(conn)


def send_copy(conn: psycopg.Connection[Any], query: sql.Composable) -> None:
    """Send ``COPY ... TO STDOUT`` without waiting: the server works while we do."""
    conn.pgconn.send_query(query.as_string(conn).encode())


def receive_copy(conn: psycopg.Connection[Any]) -> bytes:
    """All the data of the COPY sent by :func:`send_copy` (its error, if it failed)."""
    pg = conn.pgconn
    res = pg.get_result()
    if res is None or res.status != pq.ExecStatus.COPY_OUT:
        detail = (res.error_message if res is not None else pg.error_message).decode(
            errors="replace"
        )
        while pg.get_result() is not None:
            pass
        raise psycopg.DatabaseError(detail.strip() or "COPY TO STDOUT failed")
    parts: list[memoryview] = []
    append = parts.append
    get = pg.get_copy_data
    while True:
        size, data = get(0)
        if size < 0:
            break
        append(data)  # libpq's buffer, joined once below without a copy each
    failed = None
    while (res := pg.get_result()) is not None:
        if res.status == pq.ExecStatus.FATAL_ERROR:
            failed = res.error_message.decode(errors="replace").strip()
    if failed:
        raise psycopg.DatabaseError(failed)
    return b"".join(parts)


@dataclass
class _Chunk:
    """A chunk read by COPY whose records are being built, piece by piece."""

    table: SnapshotTable
    fields: list[str | None]  # count * width COPY fields, row after row
    width: int
    count: int
    nulls: bool
    last_chunk: bool
    first_in_table: bool
    last_table: bool
    now_us: int
    plain: Struct
    built: int = 0


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
        batch_size: int = 2048,
    ) -> None:
        self.conn = conn
        self.prefix, self.db, self.lsn = prefix, db, lsn
        self.fetch_size = fetch_size
        self.partition = partition
        self.progress = SnapshotProgress(tables=tables)
        self._builders: dict[str, dict[Any, Any]] = {}
        self._prefetched = False  # the next chunk's COPY is sent, its data not read yet
        self._chunk: _Chunk | None = None  # the chunk being turned into records
        self.piece = batch_size
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
        return self._chunk is None and self.progress.table_index >= len(self.progress.tables)

    def _query(self, table: SnapshotTable) -> sql.Composed:
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
        if last is not None:
            marks = sql.SQL(", ").join(sql.Literal(v) for v in last)
            cast = sql.SQL("::tid") if not keys else sql.SQL("")
            where = sql.SQL(" WHERE ({}) > ({}{})").format(order, marks, cast)
        return sql.SQL("COPY (SELECT {} FROM {}{} ORDER BY {} LIMIT {}) TO STDOUT").format(
            cols, table.ref.ident(), where, order, sql.Literal(self.fetch_size + 1)
        )

    def next_chunk(self) -> Sequence[SourceRecord]:
        """The next records (possibly none, for an empty table); [] also when done.

        A COPY chunk is read whole and handed on :attr:`piece` rows at a time, as columnar
        batches (:mod:`snapshot_columns`). The table's first and last rows carry snapshot
        markers in their ``source`` block, so each of them goes alone, as a record.
        """
        chunk = self._chunk
        if chunk is None:
            if self.done:
                return []
            chunk = self._chunk = self._read_chunk()
        start = chunk.built
        first = start == 0 and chunk.first_in_table
        last_row = chunk.count - 1 if chunk.last_chunk else chunk.count
        if first or start == last_row:
            stop = start + 1
            out: Sequence[SourceRecord] = self._marked(chunk, start, first, start == last_row)
        else:
            stop = min(start + self.piece, chunk.count, last_row)
            build = self._builder(chunk.table, chunk.nulls, columns=True)
            out = build(chunk.fields, chunk.width, start, stop, chunk.now_us, chunk.plain,
                        self.partition, self.lsn)  # fmt: skip
        chunk.built = stop
        self.progress.started = True
        if chunk.built >= chunk.count:
            self._chunk = None
        return out

    def _marked(self, chunk: _Chunk, row: int, first: bool, last: bool) -> list[SourceRecord]:
        """The record of one row with its snapshot marker (a table's first or last row)."""
        width = chunk.width
        fields = [tuple(chunk.fields[row * width : (row + 1) * width])]
        build = self._builder(chunk.table, chunk.nulls, columns=False)
        out: list[SourceRecord] = build(fields, chunk.now_us, chunk.plain, self.partition, self.lsn)
        self._mark(out[0], chunk.table, chunk, first, last)
        return out

    def _read_chunk(self) -> _Chunk:
        """Read the current table's next chunk; progress moves past it, its COPY is sent."""
        table = self.progress.tables[self.progress.table_index]
        if not self._prefetched:
            send_copy(self.conn, self._query(table))
        self._prefetched = False
        chunk = self._chunk_of(table, receive_copy(self.conn))
        if self.progress.table_index < len(self.progress.tables):
            # the next chunk's COPY runs in the server while this one is processed
            send_copy(self.conn, self._query(self.progress.tables[self.progress.table_index]))
            self._prefetched = True
        return chunk

    def _chunk_of(self, table: SnapshotTable, data: bytes) -> _Chunk:
        """The chunk of ``table`` in COPY ``data``; progress moves past it."""
        width = len(table.shape.names) + (0 if table.chunk_columns else 1)
        fields, count, nulls = split_copy_text(data, width)
        more = count > self.fetch_size
        if more:
            count = self.fetch_size
            del fields[count * width :]
        now_us = time.time_ns() // 1000
        shape = table.shape
        chunk = _Chunk(
            table, fields, width, count, nulls, not more,
            table.rows_done == 0, self.progress.table_index == len(self.progress.tables) - 1,
            now_us, source_block(self.prefix, self.db, shape.schema, shape.table, now_us,
                                 snapshot="true", lsn=self.lsn),
        )  # fmt: skip
        if more:
            self.progress.last_key = self._key_of(table, fields[(count - 1) * width :])
        else:
            self.progress.table_index += 1
            self.progress.last_key = None
        table.rows_done += count
        return chunk

    def _mark(
        self, record: SourceRecord, table: SnapshotTable, chunk: _Chunk, first: bool, last: bool
    ) -> None:
        """Give a table's first or last record its snapshot marker."""
        marker = self._marker(first, last, chunk.last_table)
        shape = table.shape
        record.value._values["source"] = source_block(
            self.prefix, self.db, shape.schema, shape.table, chunk.now_us, snapshot=marker,
            lsn=self.lsn,
        )  # fmt: skip
        if marker == "last":
            record.source_offset["last_snapshot_record"] = True

    def _key_of(self, table: SnapshotTable, row: list[Any]) -> list[str | None]:
        if not table.chunk_columns:
            return [row[0]]
        names = table.shape.names
        return [row[names.index(k)] for k in table.chunk_columns]

    def _builder(self, table: SnapshotTable, nulls: bool, *, columns: bool) -> Any:
        """The table's columnar or record-by-record chunk builder (made once per kind)."""
        cache = self._builders.setdefault(table.ref.full, {})
        builder = cache.get((nulls, columns))
        if builder is None or cache.get("shape") is not table.shape:
            if cache.get("shape") is not table.shape:
                cache.clear()
            cache["shape"] = table.shape
            make = column_builder if columns else compile_chunk_builder
            builder = make(
                table.shape, table=table.ref.full, key_columns=table.chunk_columns, nulls=nulls
            )
            cache[(nulls, columns)] = builder
        return builder

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
