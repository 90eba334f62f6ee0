"""Setup mistakes give errors (or warnings) that say what to change."""

from __future__ import annotations

import logging

import pytest

from connectors.api import ConfigError, ConnectError
from connectors.sources.postgres_cdc.connector import PostgresCdcConnector
from tests.fixtures.net import free_port
from tests.fixtures.postgres import running_postgres
from tests.integration.postgres_cdc.conftest import PgDb, key, make_db
from tests.support.sdk_harness import poll_for, poll_until


def test_wal_level_replica_names_the_setting_and_the_restart() -> None:
    with running_postgres({"wal_level": "replica"}) as server:
        db = make_db(server, "walrep")
        with pytest.raises(ConnectError) as err:
            db.start(db.config())
    text = str(err.value)
    assert "wal_level is 'replica'" in text and "wal_level = logical" in text
    assert "restart PostgreSQL" in text


def test_user_without_replication_attribute(pgdb: PgDb) -> None:
    pgdb.sql("DROP ROLE IF EXISTS norep", "CREATE ROLE norep LOGIN")
    with pytest.raises(
        ConnectError, match=r'lacks the REPLICATION attribute.*ALTER ROLE "norep" REPLICATION'
    ):
        pgdb.start(pgdb.config(database_user="norep"))


def test_user_without_select_on_a_table(pgdb: PgDb) -> None:
    pgdb.sql(
        "CREATE TABLE secret (id int PRIMARY KEY)",
        "DROP ROLE IF EXISTS rep",
        "CREATE ROLE rep LOGIN REPLICATION",
        f'GRANT CREATE ON DATABASE "{pgdb.name}" TO rep',
    )
    with pytest.raises(ConnectError, match=r"no SELECT privilege on public.secret.*GRANT SELECT"):
        pgdb.start(pgdb.config(database_user="rep", table_include_list="public.secret"))


def test_slot_active_in_another_process(pgdb: PgDb) -> None:
    pgdb.sql("CREATE TABLE busy_slot (id int PRIMARY KEY)")
    cfg = pgdb.config(table_include_list="public.busy_slot", snapshot_mode="no_data")
    first = pgdb.start(cfg)
    try:
        poll_for(first, 0.2)  # streaming: the slot is active
        with pytest.raises(ConnectError, match=r"is active for PID \d+.*own slot.name"):
            pgdb.start(cfg)
    finally:
        first.stop()


def test_missing_publication_with_autocreate_disabled(pgdb: PgDb) -> None:
    cfg = pgdb.config(publication_autocreate_mode="disabled", publication_name="nopub")
    with pytest.raises(
        ConnectError, match=r"publication 'nopub' does not exist.*CREATE PUBLICATION"
    ):
        pgdb.start(cfg)


def test_table_without_primary_key_and_unknown_include_entry(
    pgdb: PgDb, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    pgdb.sql(
        "CREATE TABLE nokey (a int, b text)",
        "INSERT INTO nokey VALUES (1, 'x')",
        "CREATE TABLE keyed_by_cfg (a int, b text)",
        "INSERT INTO keyed_by_cfg VALUES (2, 'y')",
    )
    cfg = pgdb.config(table_include_list="public.nokey,public.keyed_by_cfg,public.nosuch",
                      message_key_columns="public.keyed_by_cfg:a")  # fmt: skip
    task = pgdb.start(cfg)
    try:
        got = {r.topic: r for r in poll_until(task, 2)}
    finally:
        task.stop()
    assert got["srv.public.nokey"].key is None
    assert key(got["srv.public.keyed_by_cfg"]) == {"a": 2}
    messages = " ".join(r.getMessage() for r in caplog.records)
    assert "public.nokey has no primary key" in messages and "message.key.columns" in messages
    assert "'public.nosuch' matches no table" in messages


def test_config_errors_name_the_keys() -> None:
    connector = PostgresCdcConnector()
    with pytest.raises(ConfigError) as err:
        connector.start({"plugin.name": "decoderbufs", "slot.name": "Bad-Name"})
    text = str(err.value)
    for name in ("database.hostname", "topic.prefix", "plugin.name", "slot.name"):
        assert name in text
    assert "pgoutput" in text


def test_validate_connects_and_checks_the_server(pgdb: PgDb) -> None:
    connector = PostgresCdcConnector()
    ok = {v.name: v.errors for v in connector.validate(pgdb.config())}
    assert not any(ok.values())
    bad = {v.name: v.errors for v in connector.validate(pgdb.config(database_port=free_port()))}
    assert "cannot reach PostgreSQL" in " ".join(bad["database.hostname"])
    pgdb.sql("DROP ROLE IF EXISTS norep2", "CREATE ROLE norep2 LOGIN")
    nrep = {v.name: v.errors for v in connector.validate(pgdb.config(database_user="norep2"))}
    assert "REPLICATION" in " ".join(nrep["database.user"])
