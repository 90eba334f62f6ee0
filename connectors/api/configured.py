"""ConfiguredConnector: the connector side of a plugin declared as data.

Most connectors do the same things around their tasks: keep the config they were started
with, validate it key by key plus a few cross-key rules, and hand each task a copy. Writing
that by hand in every connector repeated the same thirty lines and let small differences
creep in (one forgot the cross-key rules in ``start``, another its ``tasks.max`` cap), so a
connector now states only what differs, as class attributes and optional hooks::

    class MySinkConnector(ConfiguredConnector, SinkConnector):
        CONFIG_DEF = CONFIG          # the keys (ConfigDef)
        TASK_CLASS = MySinkTask
        VERSION = "1.0.0"
        MAX_TASKS = 1                # optional: cap on tasks (default: tasks.max)
        SETTINGS = MySettings        # optional: typed parse with cross-key rules

        @staticmethod                # optional: cross-key rules on the validated values
        def check_config(values, config): ...

Override :meth:`~ConfiguredConnector.task_configs` to split the work instead of copying it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Protocol

from connectors.api.config import ConfigDef, ConfigValue, typed_config
from connectors.api.connector import Connector, Task
from connectors.api.errors import ConfigError


class ConfigSettings(Protocol):
    """A typed settings class whose ``parse`` raises one ConfigError naming every bad key."""

    @classmethod
    def parse(cls, props: Mapping[str, Any]) -> Any:
        """Typed, cross-checked settings, or ConfigError with per-key ``errors``."""
        ...


class ConfiguredConnector(Connector):
    """Implements every Connector method from class attributes (see the module docstring).

    Mix it in before :class:`~connectors.api.SourceConnector` or
    :class:`~connectors.api.SinkConnector` so the runtime still sees the connector's kind.
    """

    CONFIG_DEF: ClassVar[ConfigDef]
    TASK_CLASS: ClassVar[type[Task]]
    VERSION: ClassVar[str]
    MAX_TASKS: ClassVar[int | None] = None
    SETTINGS: ClassVar[type[ConfigSettings] | None] = None

    def __init__(self) -> None:
        self._config: dict[str, str] = {}

    @staticmethod
    def check_config(values: Mapping[str, ConfigValue], config: Mapping[str, Any]) -> None:
        """Cross-key rules: append messages to ``values[name].errors`` (default: none).

        Runs after the per-key checks, even when some key failed, so the validate endpoint
        reports every problem at once; look at a key's own ``errors`` before trusting its value.
        """

    @classmethod
    def validate_config(cls, config: Mapping[str, Any]) -> list[ConfigValue]:
        """Per-key results, the cross-key rules, then (if all is well) the SETTINGS parse.

        The SETTINGS parse only runs on a config whose keys are all valid, as it needs typed
        values; its per-key errors are merged into the matching ConfigValues.
        """
        values = cls.CONFIG_DEF.validate(config)
        cls.check_config({v.name: v for v in values}, config)
        if cls.SETTINGS is not None and not any(v.errors for v in values):
            try:
                cls.SETTINGS.parse(config)
            except ConfigError as exc:
                for value in values:
                    value.errors.extend(exc.errors.get(value.name, []))
        return values

    @classmethod
    def parse_config(cls, config: Mapping[str, Any]) -> dict[str, Any]:
        """Typed values of every key, or one ConfigError listing every problem."""
        return typed_config(cls.validate_config(config))

    def version(self) -> str:
        return self.VERSION

    def config_def(self) -> ConfigDef:
        return self.CONFIG_DEF

    def validate(self, config: Mapping[str, str]) -> list[ConfigValue]:
        return self.validate_config(config)

    def start(self, config: Mapping[str, str]) -> None:
        """Refuse an invalid config (SETTINGS' own error when set), then keep a copy."""
        if self.SETTINGS is not None:
            self.SETTINGS.parse(config)
        else:
            self.parse_config(config)
        self._config = dict(config)

    def task_class(self) -> type[Task]:
        return self.TASK_CLASS

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        """The same config for each task: ``max_tasks`` of them, at most MAX_TASKS, at least 1."""
        count = max_tasks if self.MAX_TASKS is None else min(max_tasks, self.MAX_TASKS)
        return [dict(self._config) for _ in range(max(1, count))]

    def stop(self) -> None:
        """Nothing to release: the tasks own every connection and file."""
