"""A database per test module on the shared private PostgreSQL, and helpers to run the task."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest

from connectors.api import SourceRecord, Struct
from connectors.sources.postgres_cdc.task import PostgresCdcTask
from tests.fixtures.postgres import PostgresServer
from tests.support.sdk_harness import MemoryOffsetStore, start_source_task

_counter = itertools.count()


@dataclass
class PgDb:
    """One database: SQL helpers and connector configs pointing at it."""

    server: PostgresServer
    name: str

    @property
    def dsn(self) -> str:
        return f"host=127.0.0.1 port={self.server.port} user=postgres dbname={self.name}"

    def sql(self, *statements: str, params: Any = None) -> list[tuple[Any, ...]]:
        rows: list[tuple[Any, ...]] = []
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            for stmt in statements:
                cur = conn.execute(stmt, params)
                if cur.description:
                    rows = cur.fetchall()
        return rows

    def config(self, **overrides: Any) -> dict[str, str]:
        n = next(_counter)
        base = {
            "connector.class": "io.debezium.connector.postgresql.PostgresConnector",
            "database.hostname": "127.0.0.1",
            "database.port": str(self.server.port),
            "database.user": "postgres",
            "database.dbname": self.name,
            "topic.prefix": "srv",
            "slot.name": f"slot_{self.name}_{n}",
            "publication.name": f"pub_{n}",
            "poll.interval.ms": "50",
        }
        base.update({k.replace("_", "."): str(v) for k, v in overrides.items()})
        return base

    def start(
        self, config: dict[str, str], store: MemoryOffsetStore | None = None
    ) -> PostgresCdcTask:
        task = start_source_task(PostgresCdcTask, config, store or MemoryOffsetStore())
        assert isinstance(task, PostgresCdcTask)
        return task

    def slot(self, name: str) -> tuple[Any, ...] | None:
        rows = self.sql(
            "SELECT active, confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = %s",
            params=(name,),
        )
        return rows[0] if rows else None

    def drop_slots(self) -> None:
        self.sql(
            "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
            "WHERE database = %s AND NOT active",
            params=(self.name,),
        )


def make_db(server: PostgresServer, name: str) -> PgDb:
    with psycopg.connect(server.dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return PgDb(server, name)


@pytest.fixture(scope="module")
def pgdb(postgres: PostgresServer, request: pytest.FixtureRequest) -> Iterator[PgDb]:
    name = "cdc_" + re.sub(r"\W", "_", request.module.__name__.rsplit(".", 1)[-1])
    db = make_db(postgres, name)
    yield db
    db.drop_slots()


def after(record: SourceRecord) -> dict[str, Any] | None:
    value = record.value
    assert isinstance(value, Struct)
    row = value.get("after")
    return None if row is None else row.to_dict()


def before(record: SourceRecord) -> dict[str, Any] | None:
    value = record.value
    assert isinstance(value, Struct)
    row = value.get("before")
    return None if row is None else row.to_dict()


def op(record: SourceRecord) -> str | None:
    return None if record.value is None else record.value.get("op")


def key(record: SourceRecord) -> dict[str, Any] | None:
    return None if record.key is None else record.key.to_dict()


def apply(state: dict[Any, dict[str, Any]], records: list[SourceRecord], pk: str = "id") -> None:
    """Fold events into a table image (what a sink would hold)."""
    for r in records:
        if r.value is None or op(r) in ("t", None):
            continue
        k = (r.key.to_dict() if r.key is not None else {})[pk]
        row = after(r)
        if row is None:
            state.pop(k, None)
        else:
            state[k] = row
