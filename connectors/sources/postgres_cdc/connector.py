"""The PostgreSQL CDC source connector (drop-in for Debezium's ``PostgresConnector``).

One task per connector, as in Debezium: a replication slot has exactly one reader, and the
order of changes across tables within a transaction must be kept.
"""

from __future__ import annotations

from collections.abc import Mapping

from connectors.api import ConfigDef, ConfigValue, SourceConnector, Task
from connectors.sources.postgres_cdc.config import CONFIG_DEF
from connectors.sources.postgres_cdc.envelope import VERSION
from connectors.sources.postgres_cdc.task import PostgresCdcTask


class PostgresCdcConnector(SourceConnector):
    """Captures row changes of a PostgreSQL database through logical decoding (pgoutput)."""

    def version(self) -> str:
        return VERSION

    def config_def(self) -> ConfigDef:
        return CONFIG_DEF

    def start(self, config: Mapping[str, str]) -> None:
        CONFIG_DEF.parse(dict(config))
        self._config = dict(config)

    def task_class(self) -> type[Task]:
        return PostgresCdcTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        """Always one task: one slot, one ordered stream."""
        return [dict(self._config)]

    def stop(self) -> None:
        self._config = {}

    def validate(self, config: Mapping[str, str]) -> list[ConfigValue]:
        return CONFIG_DEF.validate(dict(config))
