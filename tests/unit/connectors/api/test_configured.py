"""ConfiguredConnector: validation, SETTINGS merging, start and task copies from class data."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pytest

from connectors.api import (
    ConfigDef,
    ConfigError,
    ConfigType,
    ConfiguredConnector,
    ConfigValue,
    Importance,
    Range,
    SourceConnector,
    SourceRecord,
    SourceTask,
    typed_config,
)

CONFIG = (
    ConfigDef()
    .define("low", ConfigType.INT, 0, Range.at_least(0), Importance.HIGH, "Lower bound.")
    .define("high", ConfigType.INT, 10, Range.at_least(0), Importance.HIGH, "Upper bound.")
)


@dataclass(frozen=True)
class Bounds:
    low: int
    high: int

    @classmethod
    def parse(cls, props: Mapping[str, Any]) -> Bounds:
        c = CONFIG.parse(props)
        if c["low"] > c["high"]:
            raise ConfigError.from_errors({"low": ["must not exceed high"]}, "Bounds")
        return cls(c["low"], c["high"])


class NoopTask(SourceTask):
    def version(self) -> str:
        return "0"

    def start(self, config: Mapping[str, str]) -> None: ...

    def poll(self) -> list[SourceRecord]:
        return []

    def stop(self) -> None: ...


class Plain(ConfiguredConnector, SourceConnector):
    CONFIG_DEF = CONFIG
    TASK_CLASS = NoopTask
    VERSION = "2.0"


class Checked(Plain):
    MAX_TASKS = 2

    @staticmethod
    def check_config(values: Mapping[str, ConfigValue], config: Mapping[str, Any]) -> None:
        values["high"].errors.append("checked")


class WithSettings(Plain):
    SETTINGS = Bounds


def errors(values: list[ConfigValue]) -> dict[str, list[str]]:
    return {v.name: v.errors for v in values if v.errors}


def test_plain_connector_is_the_config_def_and_copies_per_task() -> None:
    connector = Plain()
    assert connector.version() == "2.0" and connector.config_def() is CONFIG
    assert connector.task_class() is NoopTask
    assert errors(connector.validate({"low": "-1"})).keys() == {"low"}
    connector.start({"low": "1"})
    assert connector.task_configs(3) == [{"low": "1"}] * 3
    assert connector.task_configs(0) == [{"low": "1"}]
    assert Plain.parse_config({"low": "4"}) == {"low": 4, "high": 10}


def test_check_config_runs_even_when_another_key_failed_and_caps_tasks() -> None:
    found = errors(Checked.validate_config({"low": "x"}))
    assert list(found) == ["low", "high"] and found["high"] == ["checked"]
    with pytest.raises(ConfigError, match="high: checked"):
        Checked().start({})
    connector = Checked()
    connector._config = {"low": "1"}
    assert connector.task_configs(5) == [{"low": "1"}] * 2


def test_settings_errors_merge_only_once_every_key_is_valid() -> None:
    assert errors(WithSettings().validate({"low": "5", "high": "3"})) == {
        "low": ["must not exceed high"]
    }
    per_key = errors(WithSettings().validate({"low": "5", "high": "-3"}))
    assert list(per_key) == ["high"] and "must not exceed high" not in str(per_key)
    with pytest.raises(ConfigError, match=r"^Bounds is invalid"):
        WithSettings().start({"low": "5", "high": "3"})
    WithSettings().start({"low": "1", "high": "3"})


def test_typed_config_lists_every_error() -> None:
    good, bad = ConfigValue("a", 1), ConfigValue("b", "x", errors=["one", "two"])
    assert typed_config([good]) == {"a": 1}
    with pytest.raises(ConfigError) as exc:
        typed_config([good, bad])
    assert exc.value.errors == {"b": ["one", "two"]}
    assert str(exc.value).endswith("2 error(s):\nb: one\nb: two")
