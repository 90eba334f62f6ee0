"""The PostgreSQL CDC source connector (drop-in for Debezium's ``PostgresConnector``).

One task per connector, as in Debezium: a replication slot has exactly one reader, and the
order of changes across tables within a transaction must be kept.
"""

from __future__ import annotations

from collections.abc import Mapping

from connectors.api import (
    ConfigError,
    ConfiguredConnector,
    ConfigValue,
    ConnectError,
    SourceConnector,
)
from connectors.sources.postgres_cdc import database as db
from connectors.sources.postgres_cdc.config import CONFIG_DEF, parse_config
from connectors.sources.postgres_cdc.envelope import VERSION
from connectors.sources.postgres_cdc.task import PostgresCdcTask


class PostgresCdcConnector(ConfiguredConnector, SourceConnector):
    """Captures row changes of a PostgreSQL database through logical decoding (pgoutput)."""

    CONFIG_DEF = CONFIG_DEF
    TASK_CLASS = PostgresCdcTask
    VERSION = VERSION
    MAX_TASKS = 1  # one slot, one ordered stream

    def validate(self, config: Mapping[str, str]) -> list[ConfigValue]:
        """Per-key checks, then (when they pass) a connection and the server checks.

        Like Debezium's validation, a config that cannot connect, or a server without
        wal_level=logical or a user without REPLICATION, is reported before it is saved.
        """
        values = self.validate_config(config)
        if any(v.errors for v in values):
            return values
        by_name = {v.name: v for v in values}
        try:
            cfg = parse_config(config)
            # The runtime validates while holding its lock: never wait long for a dead host.
            timeout = cfg.raw["database.connect.timeout.ms"]
            cfg.raw["database.connect.timeout.ms"] = min(timeout, 5000)
            conn = db.connect(cfg)
        except (ConnectError, ConfigError) as exc:
            by_name["database.hostname"].errors.append(str(exc))
            return values
        try:
            db.check_server(conn, cfg["database.user"])
        except ConnectError as exc:
            key = "database.user" if "REPLICATION" in str(exc) else "database.hostname"
            by_name[key].errors.append(str(exc))
        finally:
            conn.close()
        return values
