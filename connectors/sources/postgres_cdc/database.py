"""Catalog queries and the server checks that turn setup mistakes into clear errors.

Every check here exists because the failure it prevents is otherwise obscure: a logical slot
on a ``wal_level=replica`` server fails with a generic error, a missing SELECT grant only
shows up mid-snapshot, and a slot held by another process makes streaming hang or flap.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

from connectors.api import ConnectError, RetriableError
from connectors.sources.postgres_cdc.config import PgCdcConfig
from connectors.sources.postgres_cdc.envelope import ColumnInfo
from connectors.sources.postgres_cdc.types import CATALOG_QUERY, Catalog

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TableRef:
    """A captured table."""

    schema: str
    name: str
    oid: int

    @property
    def full(self) -> str:
        return f"{self.schema}.{self.name}"

    def ident(self) -> sql.Composed:
        return sql.SQL("{}.{}").format(sql.Identifier(self.schema), sql.Identifier(self.name))


def connect(cfg: PgCdcConfig, *, autocommit: bool = True) -> psycopg.Connection[Any]:
    """A regular connection; a refused/unreachable server is retriable, bad credentials not."""
    try:
        return psycopg.connect(cfg.conninfo(), autocommit=autocommit)
    except psycopg.OperationalError as exc:
        text = str(exc).strip()
        if "authentication" in text or "does not exist" in text or "no pg_hba" in text:
            msg = f"cannot log in to PostgreSQL: {text}; check database.user/password/dbname"
            raise ConnectError(msg) from None
        msg = (
            f"cannot reach PostgreSQL at {cfg['database.hostname']}:{cfg['database.port']}: {text}"
        )
        raise RetriableError(msg) from None


def check_server(conn: psycopg.Connection[Any], user: str) -> None:
    """wal_level must be logical and the user needs REPLICATION (or superuser)."""
    row = conn.execute("SHOW wal_level").fetchone()
    level = row[0] if row else "?"
    if level != "logical":
        msg = (
            f"wal_level is '{level}', logical decoding needs 'logical': set wal_level = logical "
            "in postgresql.conf (or ALTER SYSTEM SET wal_level = logical) and restart "
            "PostgreSQL - a reload is not enough"
        )
        raise ConnectError(msg)
    row = conn.execute(
        "SELECT rolreplication OR rolsuper FROM pg_roles WHERE rolname = current_user"
    ).fetchone()
    if not row or not row[0]:
        msg = (
            f"user '{user}' lacks the REPLICATION attribute needed to read a replication slot; "
            f'run ALTER ROLE "{user}" REPLICATION as a superuser'
        )
        raise ConnectError(msg)


def load_catalog(conn: psycopg.Connection[Any], catalog: Catalog) -> None:
    """(Re)load every base/enum/domain/range type of the database."""
    catalog.load_rows(conn.execute(CATALOG_QUERY).fetchall())


def list_tables(conn: psycopg.Connection[Any], cfg: PgCdcConfig) -> list[TableRef]:
    """Captured tables, sorted; include-list entries that match nothing are warned about."""
    rows = conn.execute(
        "SELECT n.nspname, c.relname, c.oid FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition "
        "AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
        "AND n.nspname NOT LIKE 'pg_toast%' ORDER BY 1, 2"
    ).fetchall()
    tables = [TableRef(s, t, int(o)) for s, t, o in rows if cfg.captured(s, t)]
    for pattern in cfg.table_include:
        if not any(pattern.fullmatch(f"{s}.{t}") for s, t, _ in rows):
            log.warning(
                "table.include.list entry %r matches no table in database %s; check the "
                "spelling (schema.table, a regular expression)",
                pattern.pattern,
                cfg["database.dbname"],
            )
    return tables


def find_table(conn: psycopg.Connection[Any], full: str) -> TableRef | None:
    """A table by ``schema.table`` name (e.g. the signal table), or None when missing."""
    schema, _, name = full.partition(".")
    row = conn.execute(
        "SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %s AND c.relname = %s",
        (schema, name),
    ).fetchone()
    return None if row is None else TableRef(schema, name, int(row[0]))


def check_select(conn: psycopg.Connection[Any], user: str, tables: list[TableRef]) -> None:
    """Every captured table must be readable, or the snapshot fails halfway."""
    denied = [
        t.full
        for t in tables
        if not conn.execute("SELECT has_table_privilege(%s, 'SELECT')", (t.oid,)).fetchone()[0]  # type: ignore[index]
    ]
    if denied:
        msg = (
            f"user '{user}' has no SELECT privilege on {', '.join(denied)}; "
            f'run GRANT SELECT ON {", ".join(denied)} TO "{user}" (or narrow table.include.list)'
        )
        raise ConnectError(msg)


def column_infos(conn: psycopg.Connection[Any], relid: int) -> list[ColumnInfo]:
    """Columns of a table with NOT NULL and their position in the primary key."""
    rows = conn.execute(
        "SELECT a.attname, a.atttypid, a.atttypmod, a.attnotnull, "
        "COALESCE((SELECT k.n FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(att, n) "
        "WHERE k.att = a.attnum), 0) "
        "FROM pg_attribute a LEFT JOIN pg_index i ON i.indrelid = a.attrelid AND i.indisprimary "
        "WHERE a.attrelid = %s AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
        (relid,),
    ).fetchall()
    return [ColumnInfo(n, int(o), int(m), bool(nn), int(k)) for n, o, m, nn, k in rows]


def ensure_publication(
    conn: psycopg.Connection[Any], cfg: PgCdcConfig, tables: list[TableRef]
) -> None:
    """Create (or, in filtered mode, align) the publication per publication.autocreate.mode."""
    name = cfg["publication.name"]
    mode = cfg["publication.autocreate.mode"]
    exists = conn.execute("SELECT 1 FROM pg_publication WHERE pubname = %s", (name,)).fetchone()
    ident = sql.Identifier(name)
    idents = sql.SQL(", ").join(t.ident() for t in tables)
    if exists:
        if mode == "filtered" and tables:
            conn.execute(sql.SQL("ALTER PUBLICATION {} SET TABLE {}").format(ident, idents))
        return
    if mode == "disabled":
        msg = (
            f"publication '{name}' does not exist and publication.autocreate.mode=disabled; "
            f"create it (CREATE PUBLICATION {name} FOR ALL TABLES, or FOR TABLE ...) or set "
            "publication.autocreate.mode=all_tables|filtered"
        )
        raise ConnectError(msg)
    if mode == "all_tables":
        conn.execute(sql.SQL("CREATE PUBLICATION {} FOR ALL TABLES{}").format(ident, _root(conn)))
    elif mode == "filtered" and tables:
        conn.execute(
            sql.SQL("CREATE PUBLICATION {} FOR TABLE {}{}").format(ident, idents, _root(conn))
        )
    else:
        conn.execute(sql.SQL("CREATE PUBLICATION {}").format(ident))


def _root(conn: psycopg.Connection[Any]) -> sql.SQL:
    """Publish partitions' changes as their partitioned table's (PG 13+), as the snapshot does.

    Without it a change to ``orders_2024`` arrives as that partition, outside an include
    list naming ``public.orders``, and on a different topic than the snapshot's rows.
    """
    if conn.info.server_version >= 130000:
        return sql.SQL(" WITH (publish_via_partition_root = true)")
    return sql.SQL("")


@dataclass(frozen=True)
class SlotState:
    """A row of pg_replication_slots."""

    active_pid: int | None
    confirmed_flush: str | None
    plugin: str
    database: str


def slot_state(conn: psycopg.Connection[Any], name: str) -> SlotState | None:
    """The slot's row, or None when it does not exist."""
    row = conn.execute(
        "SELECT active_pid, confirmed_flush_lsn::text, plugin, database "
        "FROM pg_replication_slots WHERE slot_name = %s",
        (name,),
    ).fetchone()
    return None if row is None else SlotState(row[0], row[1], row[2] or "", row[3] or "")


def temp_slot_name(slot: str) -> str:
    """The temporary copy's name: fixed per slot, so two readers of one slot collide."""
    name = f"{slot}_cdchub_tmp"
    if len(name) <= 63:
        return name
    digest = hashlib.sha1(slot.encode()).hexdigest()[:8]
    return f"{slot[:42]}_{digest}_cdchub_tmp"


def wait_slot_free(
    conn: psycopg.Connection[Any], cfg: PgCdcConfig, wait_s: float = 5.0
) -> SlotState | None:
    """The slot's state once no other process holds it; ConnectError if it stays busy.

    A short wait covers our own previous walsender that the server has not yet noticed is
    gone (after a crash or a dropped connection).
    """
    name = cfg["slot.name"]
    deadline = time.monotonic() + wait_s
    while True:
        state = slot_state(conn, name)
        # a task reading through slot functions holds the slot's temporary copy instead
        copy = slot_state(conn, temp_slot_name(name))
        holder = state.active_pid if state is not None else None
        if holder is None and copy is not None:
            holder = copy.active_pid
        if state is None or holder is None:
            break
        if time.monotonic() > deadline:
            msg = (
                f"replication slot '{name}' is active for PID {holder}: another "
                "process (another connector?) is reading it. Stop that process, or give this "
                "connector its own slot.name"
            )
            raise ConnectError(msg)
        time.sleep(0.2)
    if state is not None and state.plugin != "pgoutput":
        msg = (
            f"replication slot '{name}' uses plugin {state.plugin}, not pgoutput; "
            "drop it or choose another slot.name"
        )
        raise ConnectError(msg)
    if state is not None and state.database != cfg["database.dbname"]:
        msg = (
            f"replication slot '{name}' belongs to database {state.database}; "
            "choose another slot.name"
        )
        raise ConnectError(msg)
    return state


def drop_slot(conn: psycopg.Connection[Any], name: str, wait_s: float = 3.0) -> None:
    """Drop our slot (slot.drop.on.stop), waiting briefly for our walsender to exit."""
    deadline = time.monotonic() + wait_s
    while True:
        state = slot_state(conn, name)
        if state is None:
            return
        if state.active_pid is None or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    conn.execute("SELECT pg_drop_replication_slot(%s)", (name,))
