"""One table (or query) polled incrementally, with offsets as Kafka's JDBC source keeps them.

Modes and the rows each query asks for (``end`` = database time - timestamp.delay.interval.ms):

* ``incrementing``: ``inc > last ORDER BY inc`` - offset ``{"incrementing": n}``
* ``timestamp``: ``ts > last AND ts < end ORDER BY ts`` - offset
  ``{"timestamp": ms, "timestamp_nanos": ns}`` (ns = nanoseconds within the second)
* ``timestamp+incrementing``: ``ts < end AND ((ts = last AND inc > last_inc) OR ts > last)
  ORDER BY ts, inc`` - both offsets; catches rows committed late with an already seen timestamp
* ``bulk``: the whole table on every poll, no offset.

Each query reads at most ``batch.max.rows``. In ``timestamp`` mode rows sharing the last
timestamp of a full batch are left for the next query (so none is skipped by ``ts > last``),
and a record carries its own timestamp as offset only when it is the last row with that
timestamp - so a restart after any record never skips its tied neighbours.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    MetaData,
    Select,
    Table,
    and_,
    func,
    literal_column,
    or_,
    select,
    text,
)
from sqlalchemy import column as sql_column
from sqlalchemy.engine import Connection
from sqlalchemy.sql import FromClause

from connectors.api import SourceRecord
from connectors.sources.sql_schema import RowSchema

INCREMENTING, TIMESTAMP, BOTH, BULK = "incrementing", "timestamp", "timestamp+incrementing", "bulk"
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def to_offset_time(value: dt.datetime) -> dict[str, int]:
    """JDBC's timestamp offset: epoch milliseconds and nanoseconds within the second."""
    aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    delta = aware - _EPOCH
    seconds = delta.days * 86_400 + delta.seconds
    return {"timestamp": seconds * 1000 + delta.microseconds // 1000,
            "timestamp_nanos": delta.microseconds * 1000}  # fmt: skip


def from_offset_time(offset: dict[str, Any]) -> dt.datetime:
    """The aware UTC datetime a JDBC timestamp offset stands for (to microseconds)."""
    ms = int(offset["timestamp"])
    nanos = int(offset.get("timestamp_nanos", (ms % 1000) * 1_000_000))
    return _EPOCH + dt.timedelta(seconds=ms // 1000, microseconds=nanos // 1000)


@dataclass
class QuerySpec:
    """What to poll and how (from the task config)."""

    mode: str
    incrementing: str
    timestamps: Sequence[str]
    topic: str
    batch_rows: int
    delay: dt.timedelta


class Querier:
    """Polls one table or query; holds its position (the last offset handed out)."""

    def __init__(self, spec: QuerySpec, partition: dict[str, Any], offset: dict[str, Any] | None):
        self.spec, self.partition = spec, partition
        self.last_inc: int | None = None
        self.last_ts: dt.datetime | None = None
        if offset:
            if "incrementing" in offset and offset["incrementing"] is not None:
                self.last_inc = int(offset["incrementing"])
            if offset.get("timestamp") is not None:
                self.last_ts = from_offset_time(offset)
        self.next_due = 0.0
        self._schema: RowSchema | None = None
        self._ts_aware: bool | None = None

    # -- query building -----------------------------------------------------------------
    def source(self, conn: Connection) -> FromClause:
        raise NotImplementedError

    def _col(self, source: FromClause, name: str) -> ColumnElement[Any]:
        return source.c[name]

    def _ts_expr(self, source: FromClause) -> ColumnElement[Any]:
        cols = [self._col(source, n) for n in self.spec.timestamps]
        return cols[0] if len(cols) == 1 else func.coalesce(*cols)

    def _bind(self, value: dt.datetime) -> dt.datetime:
        """Compare like with like: naive columns hold UTC, aware ones get aware values."""
        aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return aware if self._ts_aware else aware.astimezone(dt.UTC).replace(tzinfo=None)

    def build(self, conn: Connection, end: dt.datetime | None, limit: int | None) -> Select[Any]:
        source = self.source(conn)
        query: Select[Any] = select(literal_column("*")).select_from(source)
        mode, inc = self.spec.mode, None
        if mode in (INCREMENTING, BOTH):
            inc = self._col(source, self.spec.incrementing)
        if mode == INCREMENTING:
            assert inc is not None
            if self.last_inc is not None:
                query = query.where(inc > self.last_inc)
            query = query.order_by(inc)
        elif mode in (TIMESTAMP, BOTH):
            query = self._timestamp_where(query, source, inc, end)
        return query.limit(limit) if limit else query

    def _timestamp_where(
        self, query: Select[Any], source: FromClause, inc: Any, end: dt.datetime | None
    ) -> Select[Any]:
        ts = self._ts_expr(source)
        if end is not None:
            query = query.where(ts < self._bind(end))
        if self.last_ts is not None:
            last = self._bind(self.last_ts)
            if inc is not None and self.last_inc is not None:
                query = query.where(or_(and_(ts == last, inc > self.last_inc), ts > last))
            else:
                query = query.where(ts > last)
        order = [ts, inc] if inc is not None else [ts]
        return query.where(ts.is_not(None)).order_by(*order)

    # -- reading ------------------------------------------------------------------------
    def poll(self, conn: Connection) -> list[SourceRecord]:
        """Run one query and turn its rows into records carrying their offsets."""
        timed = self.spec.mode in (TIMESTAMP, BOTH)
        if timed and self._ts_aware is None and not self._probe_timestamp_kind(conn):
            return []
        end = self._end(conn) if self.spec.mode in (TIMESTAMP, BOTH) else None
        limit = None if self.spec.mode == BULK else self.spec.batch_rows
        result = conn.execute(self.build(conn, end, limit))
        keys = list(result.keys())
        rows = [tuple(r) for r in result]
        if self.spec.mode == TIMESTAMP and limit and len(rows) == limit:
            rows = self._complete_ties(conn, keys, rows, end)
        return self._records(keys, rows)

    def _probe_timestamp_kind(self, conn: Connection) -> bool:
        """Learn whether the timestamp column is timezone-aware; False if the source is empty."""
        source = self.source(conn)
        ts = self._ts_expr(source)
        value = conn.execute(select(ts).select_from(source).where(ts.is_not(None)).limit(1))
        found = value.scalar()
        if not isinstance(found, dt.datetime):
            return False
        self._ts_aware = found.tzinfo is not None
        return True

    def _end(self, conn: Connection) -> dt.datetime:
        now = conn.execute(select(func.current_timestamp())).scalar()
        if isinstance(now, str):
            now = dt.datetime.fromisoformat(now)
        if not isinstance(now, dt.datetime):
            now = dt.datetime.now(dt.UTC)
        if now.tzinfo is None:
            now = now.replace(tzinfo=dt.UTC)
        return now - self.spec.delay

    def _complete_ties(
        self, conn: Connection, keys: list[str], rows: list[tuple[Any, ...]], end: Any
    ) -> list[tuple[Any, ...]]:
        """Timestamp mode: never split a group of rows sharing a timestamp across queries."""
        idx = [keys.index(n) for n in self.spec.timestamps]
        last = self._row_ts(rows[-1], idx)
        kept = [r for r in rows if self._row_ts(r, idx) != last]
        if kept:
            return kept
        source = self.source(conn)
        tied: Select[Any] = select(literal_column("*")).select_from(source)
        tied = tied.where(self._ts_expr(source) == self._bind(last))  # type: ignore[arg-type]
        return [tuple(r) for r in conn.execute(tied)]

    @staticmethod
    def _row_ts(row: Sequence[Any], idx: Sequence[int]) -> dt.datetime | None:
        return next((row[i] for i in idx if row[i] is not None), None)

    def _records(self, keys: list[str], rows: list[tuple[Any, ...]]) -> list[SourceRecord]:
        if not rows:
            return []
        schema = self._row_schema(keys, rows)
        inc_i = keys.index(self.spec.incrementing) if self.spec.mode in (INCREMENTING, BOTH) else -1
        ts_idx = [keys.index(n) for n in self.spec.timestamps] if self.spec.mode in (
            TIMESTAMP, BOTH) else []  # fmt: skip
        records = []
        for i, row in enumerate(rows):
            offset = self._advance(row, inc_i, ts_idx, rows[i + 1] if i + 1 < len(rows) else None)
            records.append(SourceRecord(
                self.spec.topic, None, None, None, schema.schema, schema.struct(row),
                source_partition=self.partition, source_offset=offset,
            ))  # fmt: skip
        return records

    def _advance(
        self, row: Sequence[Any], inc_i: int, ts_idx: list[int], following: Sequence[Any] | None
    ) -> dict[str, Any]:
        """Move the position past ``row`` and return the offset its record carries."""
        if inc_i >= 0:
            self.last_inc = int(row[inc_i])
        if ts_idx:
            ts = self._row_ts(row, ts_idx)
            tie_follows = following is not None and self._row_ts(following, ts_idx) == ts
            if ts is not None and not (self.spec.mode == TIMESTAMP and tie_follows):
                self.last_ts = ts if ts.tzinfo else ts.replace(tzinfo=dt.UTC)
        return self.offset()

    def offset(self) -> dict[str, Any]:
        """The current position in JDBC's offset format."""
        out: dict[str, Any] = {}
        if self.spec.mode in (TIMESTAMP, BOTH) and self.last_ts is not None:
            out.update(to_offset_time(self.last_ts))
        if self.spec.mode in (INCREMENTING, BOTH) and self.last_inc is not None:
            out["incrementing"] = self.last_inc
        return out

    def _row_schema(self, keys: list[str], rows: list[tuple[Any, ...]]) -> RowSchema:
        raise NotImplementedError


class TableQuerier(Querier):
    """A table, reflected once: its columns give the record schema (named after the table)."""

    def __init__(self, spec: QuerySpec, table: str, schema: str | None,
                 offset: dict[str, Any] | None) -> None:  # fmt: skip
        super().__init__(spec, {"table": table}, offset)
        self.table_name, self.schema_name = table, schema
        self._table: Table | None = None

    def source(self, conn: Connection) -> FromClause:
        if self._table is None:
            name, schema = self.table_name, self.schema_name
            if "." in name and schema is None:
                schema, name = name.split(".", 1)
            self._table = Table(name, MetaData(), autoload_with=conn, schema=schema)
            ts_cols = [self._table.c[n] for n in self.spec.timestamps if n in self._table.c]
            if ts_cols and self._ts_aware is None:
                self._ts_aware = bool(getattr(ts_cols[0].type, "timezone", False))
        return self._table

    def _row_schema(self, keys: list[str], rows: list[tuple[Any, ...]]) -> RowSchema:
        if self._schema is None or not self._schema.matches(keys):
            assert self._table is not None
            columns: list[Column[Any]] = [self._table.c[k] for k in keys]
            self._schema = RowSchema.for_columns(self._table.name, columns)
        return self._schema


class QueryQuerier(Querier):
    """A free-form SELECT, wrapped as a subquery so the mode's conditions can be added."""

    def __init__(self, spec: QuerySpec, query: str, offset: dict[str, Any] | None) -> None:
        super().__init__(spec, {"query": "query"}, offset)
        self.query = query.strip().rstrip(";")

    def source(self, conn: Connection) -> FromClause:
        names = {*self.spec.timestamps, self.spec.incrementing} - {""}
        columns: list[ColumnElement[Any]] = [sql_column(n) for n in sorted(names)]
        return text(self.query).columns(*columns).subquery("cdchub_query")

    def _row_schema(self, keys: list[str], rows: list[tuple[Any, ...]]) -> RowSchema:
        if self._schema is None or not self._schema.matches(keys):
            self._schema = RowSchema.for_values("query", keys, rows)
        return self._schema
