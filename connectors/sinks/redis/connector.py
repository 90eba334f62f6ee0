"""RedisSinkConnector: validates the config and hands it to each task unchanged.

Tasks share nothing: the runtime splits the topic partitions between them, and a key
always lives in one partition, so per-key log order holds with any ``tasks.max``.
"""

from __future__ import annotations

from collections.abc import Mapping

from connectors.api import ConfigDef, ConfigError, ConfigValue, SinkConnector, Task
from connectors.sinks.redis.config import CONFIG_DEF, RedisSinkSettings
from connectors.sinks.redis.task import VERSION, RedisSinkTask


class RedisSinkConnector(SinkConnector):
    """Keeps Redis keys (hashes/strings) or streams in step with topics of change events."""

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
                RedisSinkSettings.parse(config)
            except ConfigError as exc:
                for value in values:
                    value.errors.extend(exc.errors.get(value.name, []))
        return values

    def start(self, config: Mapping[str, str]) -> None:
        RedisSinkSettings.parse(config)
        self._config = dict(config)

    def task_class(self) -> type[Task]:
        return RedisSinkTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return [dict(self._config) for _ in range(max(1, max_tasks))]

    def stop(self) -> None:
        """Nothing to release: tasks own their connections."""
