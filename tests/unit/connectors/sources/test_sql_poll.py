"""SQL poll source without a database: config rules, URL translation, offsets, plugin names."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa

from connectors.api import ConfigError
from connectors.plugins import default_registry
from connectors.sources.sql_poll import (
    SqlPollSourceConnector,
    SqlPollSourceTask,
    parse_sql_config,
    sqlalchemy_url,
)
from connectors.sources.sql_query import from_offset_time, to_offset_time
from tests.support.sdk_harness import MemoryOffsetStore, poll_until, start_source_task


def test_validation_reports_every_error_at_once() -> None:
    values = SqlPollSourceConnector().validate({
        "connection.url": "::not a url::", "mode": "timestamp+incrementing",
        "query": "SELECT 1", "table.whitelist": "a", "batch.max.rows": "0",
    })  # fmt: skip
    errors = {v.name: v.errors for v in values if v.errors}
    assert set(errors) == {
        "connection.url", "incrementing.column.name", "timestamp.column.name", "query",
        "batch.max.rows", "topic.prefix",
    }  # fmt: skip
    with pytest.raises(ConfigError, match="6 error"):
        parse_sql_config({
            "connection.url": "::not a url::", "mode": "timestamp+incrementing",
            "query": "SELECT 1", "table.whitelist": "a", "batch.max.rows": "0",
        })  # fmt: skip


def test_mode_must_be_one_of_the_jdbc_modes() -> None:
    values = SqlPollSourceConnector().validate({"connection.url": "sqlite://", "mode": "magic",
                                                "topic.prefix": "p"})  # fmt: skip
    (error,) = [v for v in values if v.errors]
    assert error.name == "mode" and "incrementing" in error.errors[0]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("jdbc:postgresql://db:5432/shop", "postgresql+psycopg://db:5432/shop"),
        ("postgresql://u@db/shop", "postgresql+psycopg://u@db/shop"),
        ("jdbc:sqlite:/tmp/x.db", "sqlite:////tmp/x.db"),
        ("sqlite:///rel.db", "sqlite:///rel.db"),
    ],
)
def test_jdbc_urls_are_translated(given: str, expected: str) -> None:
    assert sqlalchemy_url(given) == expected


def test_offset_time_round_trip_matches_jdbc_fields() -> None:
    moment = dt.datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=dt.UTC)
    offset = to_offset_time(moment)
    assert offset == {"timestamp": 1714564800123, "timestamp_nanos": 123456000}
    assert from_offset_time(offset) == moment
    assert from_offset_time({"timestamp": 1714564800123}) == moment.replace(microsecond=123000)


def test_jdbc_class_name_resolves() -> None:
    registry = default_registry()
    assert (
        registry.connector_class("io.confluent.connect.jdbc.JdbcSourceConnector")
        is SqlPollSourceConnector
    )
    assert registry.connector_class("SqlPollSource") is SqlPollSourceConnector


def test_missing_driver_is_a_config_error_naming_it() -> None:
    task = SqlPollSourceTask()
    config = {"connection.url": "nosuchdb+nodriver://h/db", "mode": "bulk",
              "table.whitelist": "t", "topic.prefix": "p"}  # fmt: skip
    with pytest.raises(ConfigError, match="nosuchdb"):
        task.start(config)


def test_sqlite_round_trip_without_a_server(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL)")
        conn.exec_driver_sql("INSERT INTO items (name) VALUES ('a'), ('b'), ('c')")
    engine.dispose()
    config = {"connection.url": url, "mode": "incrementing", "incrementing.column.name": "id",
              "table.whitelist": "items", "topic.prefix": "lite-", "batch.max.rows": "2",
              "poll.interval.ms": "10", "poll.wait.ms": "5"}  # fmt: skip
    store = MemoryOffsetStore()
    task = start_source_task(SqlPollSourceTask, config, store)
    first = poll_until(task, 2)
    task.stop()
    task = start_source_task(SqlPollSourceTask, config, store)
    rest = poll_until(task, 1, exact=False)
    task.stop()
    assert [r.value.get("name") for r in first + rest] == ["a", "b", "c"]
    assert rest[0].topic == "lite-items" and rest[0].source_offset == {"incrementing": 3}
