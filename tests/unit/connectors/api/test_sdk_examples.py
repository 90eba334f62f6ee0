"""Runs the examples of docs/sdk.md, so the SDK guide cannot drift from the SDK."""

import re
import types
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import orjson
import pytest

from connectors.api import (
    ConfigError,
    OffsetStorageReader,
    RetriableError,
    SinkConnector,
    SinkRecord,
    SinkRecordBatch,
    SinkTaskContext,
    SourceTaskContext,
    Struct,
    TopicPartition,
)
from connectors.converters.json import JsonConverter

DOC = Path(__file__).parents[4] / "docs" / "sdk.md"


def doc_module(first_line: str) -> types.ModuleType:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S)
    source = next(b for b in blocks if b.startswith(first_line))
    module = types.ModuleType(first_line.strip("# ").removesuffix(".py"))
    exec(compile(source, str(DOC), "exec"), module.__dict__)
    return module


class MemoryOffsets(OffsetStorageReader):
    def __init__(self, stored: dict[str, Any]) -> None:
        self.stored = stored

    def offset(self, partition: Mapping[str, Any]) -> dict[str, Any] | None:
        return self.stored.get(orjson.dumps(dict(partition), option=orjson.OPT_SORT_KEYS).decode())


class SourceContext(SourceTaskContext):
    def __init__(self, config: dict[str, str], stored: dict[str, Any]) -> None:
        self._config, self.reader = config, MemoryOffsets(stored)

    def configs(self) -> dict[str, str]:
        return self._config

    def offset_storage_reader(self) -> OffsetStorageReader:
        return self.reader


def test_counter_source_resumes_without_loss_or_duplicates() -> None:
    mod = doc_module("# counter_source.py")
    connector = mod.CounterSourceConnector()
    config = {"topic": "numbers", "batch.size": "3", "limit": "7"}
    assert sum(len(v.errors) for v in connector.validate(config)) == 0
    assert [v.name for v in connector.validate({}) if v.errors] == ["topic"]
    connector.start(config)
    (task_config,) = connector.task_configs(4)
    stored: dict[str, Any] = {}
    task = connector.task_class()()
    task.initialize(SourceContext(task_config, stored))
    task.start(task_config)
    first = task.poll()
    assert [r.value.get("n") for r in first] == [0, 1, 2]
    last = first[-1]
    key = orjson.dumps(last.source_partition, option=orjson.OPT_SORT_KEYS).decode()
    stored[key] = last.source_offset
    task.stop()

    resumed = connector.task_class()()
    resumed.initialize(SourceContext(task_config, stored))
    resumed.start(task_config)
    seen = []
    while batch := resumed.poll():
        seen.extend(r.value.get("n") for r in batch)
    assert seen == [3, 4, 5, 6, 7]
    converter = JsonConverter()
    converter.configure({}, False)
    data = converter.from_connect_data("numbers", first[0].value_schema, first[0].value)
    assert data == (
        b'{"schema":{"type":"struct","fields":[{"type":"int64","optional":false,'
        b'"field":"n"}],"optional":false,"name":"counter.Value"},"payload":{"n":0}}'
    )


class SinkContext(SinkTaskContext):
    def configs(self) -> dict[str, str]:
        return {}

    def offset(self, offsets: Mapping[TopicPartition, int]) -> None: ...

    def timeout(self, timeout_ms: int) -> None: ...

    def assignment(self) -> set[TopicPartition]:
        return {TopicPartition("t", 0)}

    def pause(self, *partitions: TopicPartition) -> None: ...

    def resume(self, *partitions: TopicPartition) -> None: ...

    def request_commit(self) -> None: ...


def test_jsonl_sink_writes_and_flushes(tmp_path: Path) -> None:
    mod = doc_module("# jsonl_sink.py")
    schema = doc_module("# counter_source.py").VALUE
    path = tmp_path / "out.jsonl"
    task = mod.JsonLinesSinkTask()
    task.initialize(SinkContext())
    assert task.context.producer() is None and task.context.errant_record_reporter() is None
    task.start({"path": str(path)})
    task.put(
        [
            SinkRecord("t", 0, None, "k1", schema, Struct(schema, {"n": 1}), kafka_offset=0),
            SinkRecord("t", 0, None, "k2", None, {"n": 2}, kafka_offset=1),
        ]
    )
    offsets = {TopicPartition("t", 0): 2}
    assert task.pre_commit(offsets) == offsets
    lines = [orjson.loads(line) for line in path.read_text().splitlines()]
    assert lines == [{"key": "k1", "value": {"n": 1}}, {"key": "k2", "value": {"n": 2}}]
    task.stop()
    with pytest.raises(ConfigError, match="path"):
        mod.JsonLinesSinkTask().start({})
    assert issubclass(RetriableError, Exception)


def test_other_doc_snippets_run() -> None:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S)
    for block in blocks:
        if block.startswith(("# my_pkg/plugins.py", "# jsonl_sink_declared.py")):
            continue
        exec(compile(block, str(DOC), "exec"), {})


def test_declared_connector_validates_caps_and_copies() -> None:
    jsonl = doc_module("# jsonl_sink.py")
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S)
    source = next(b for b in blocks if b.startswith("# jsonl_sink_declared.py"))
    exec(compile(source, str(DOC), "exec"), jsonl.__dict__)  # builds on the jsonl_sink example
    connector = jsonl.JsonLinesSinkConnector()
    assert isinstance(connector, SinkConnector)
    assert connector.task_class() is jsonl.JsonLinesSinkTask
    assert connector.version() == "1.0.0" and connector.config_def() is jsonl.CONFIG
    bad = {v.name: v.errors for v in connector.validate({"path": "out.txt"})}
    assert bad == {"path": ["Name the file *.jsonl so readers know its format."]}
    with pytest.raises(ConfigError, match=r"path: Name the file \*\.jsonl"):
        connector.start({"path": "out.txt"})
    connector.start({"path": "out.jsonl"})
    assert connector.task_configs(4) == [{"path": "out.jsonl"}]


def test_batch_example_source_resumes_and_sink_reads_columns() -> None:
    mod = doc_module("# lines_batch.py")
    task = mod.LinesSourceTask()
    config = {"lines": "a,b,c", "topic": "t"}
    task.initialize(SourceContext(config, {'{"list":"demo"}': {"position": 0}}))
    task.start(config)
    batch = task.poll()
    assert [(r.value, r.source_offset) for r in batch] == [
        ("b", {"position": 1}),
        ("c", {"position": 2}),
    ]
    sink = mod.UpperSinkTask()
    sink.start({})
    columns = SinkRecordBatch()
    columns.add("t", 0, [0, 1], [5, 5], ([None] * 2, [None] * 2), ([None] * 2, ["x", "y"]))
    sink.put(columns)
    sink.put([SinkRecord("t", 0, None, None, None, "z", kafka_offset=2)])
    assert sink.out == ["X", "Y", "Z"]
