from collections.abc import Mapping
from typing import Any

import pytest

from connectors.api import (
    ConfigDef,
    ConfigType,
    OffsetStorageReader,
    SourceConnector,
    SourceRecord,
    SourceTask,
    Task,
)


class DictReader(OffsetStorageReader):
    def __init__(self, stored: dict[str, dict[str, Any]]) -> None:
        self.stored = stored

    def offset(self, partition: Mapping[str, Any]) -> dict[str, Any] | None:
        return self.stored.get(partition["file"])


class Minimal(SourceConnector):
    def version(self) -> str:
        return "0"

    def config_def(self) -> ConfigDef:
        return ConfigDef().define("file", ConfigType.STRING)

    def start(self, config: Mapping[str, str]) -> None: ...

    def task_class(self) -> type[Task]:
        return MinimalTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return [{"file": f"f{i}"} for i in range(max_tasks)]

    def stop(self) -> None: ...


class MinimalTask(SourceTask):
    def version(self) -> str:
        return "0"

    def start(self, config: Mapping[str, str]) -> None: ...

    def poll(self) -> list[SourceRecord] | None:
        return None

    def stop(self) -> None: ...


def test_offsets_are_aligned_with_partitions() -> None:
    reader = DictReader({"a": {"pos": 1}})
    assert reader.offsets([{"file": "b"}, {"file": "a"}]) == [None, {"pos": 1}]


def test_connector_defaults() -> None:
    c = Minimal()
    assert [v.errors for v in c.validate({})] == [
        ['Missing required configuration "file" which has no default value.']
    ]
    assert c.alter_offsets({}, {}) is False
    assert c.task_configs(2) == [{"file": "f0"}, {"file": "f1"}]
    task = c.task_class()()
    assert isinstance(task, MinimalTask)
    assert task.poll() is None
    task.commit()
    task.commit_record(SourceRecord("t"), None)


def test_abstract_methods_are_enforced() -> None:
    class Incomplete(SourceTask):
        def version(self) -> str:
            return "0"

    with pytest.raises(TypeError):
        Incomplete()  # type: ignore[abstract]
