"""ElasticsearchSinkConnector: validates the config and gives every task the same one.

The runtime splits topic partitions between tasks; a document id always comes from one
partition (same key, same partition), so per-document order holds with any ``tasks.max``.
"""

from __future__ import annotations

from collections.abc import Mapping

from connectors.api import ConfigDef, ConfigError, ConfigValue, SinkConnector, Task
from connectors.sinks.elasticsearch.config import CONFIG_DEF, EsSinkSettings
from connectors.sinks.elasticsearch.task import VERSION, ElasticsearchSinkTask


class ElasticsearchSinkConnector(SinkConnector):
    """Keeps Elasticsearch indexes in step with topics (Confluent's connector, in Python)."""

    def __init__(self) -> None:
        self._config: dict[str, str] = {}

    def version(self) -> str:
        return VERSION

    def config_def(self) -> ConfigDef:
        return CONFIG_DEF

    def validate(self, config: Mapping[str, str]) -> list[ConfigValue]:
        values = CONFIG_DEF.validate(config)
        if all(not v.errors for v in values):
            try:
                EsSinkSettings.parse(config)
            except ConfigError as exc:
                for value in values:
                    value.errors.extend(exc.errors.get(value.name, []))
        return values

    def start(self, config: Mapping[str, str]) -> None:
        EsSinkSettings.parse(config)
        self._config = dict(config)

    def task_class(self) -> type[Task]:
        return ElasticsearchSinkTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return [dict(self._config) for _ in range(max(1, max_tasks))]

    def stop(self) -> None:
        """Nothing to release: tasks own their clients."""
