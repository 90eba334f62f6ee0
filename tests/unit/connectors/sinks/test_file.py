"""File sink: FileStreamSink compatibility, value formatting, flush durability, resume."""

from __future__ import annotations

import decimal
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.api import (
    ConfigError,
    Decimal,
    Schema,
    SchemaBuilder,
    SinkRecord,
    Struct,
    TopicPartition,
)
from connectors.plugins import default_registry
from connectors.sinks.file import (
    FileSinkConnector,
    FileSinkTask,
    _json_default,
    format_value,
    format_values,
)
from tests.support.sdk_harness import HarnessSinkTaskContext
from tests.unit.connectors.converters.strategies import schema_and_value


def _records(values: list[Any], start: int = 0) -> list[SinkRecord]:
    return [SinkRecord("in", 0, None, None, None, v, kafka_offset=start + i)
            for i, v in enumerate(values)]  # fmt: skip


def _task(path: Path) -> FileSinkTask:
    config = {"file": str(path), "topics": "in"}
    task = FileSinkTask()
    task.initialize(HarnessSinkTaskContext(config))
    task.start(config)
    return task


@st.composite
def batch_of_structs(draw: st.DrawFn) -> tuple[Schema, list[Any]]:
    """A struct schema (fields of any type) and a few valid values of it."""
    schema, first = draw(schema_and_value().filter(lambda p: p[0].type.name == "STRUCT"))
    return schema, [first] * draw(st.integers(1, 3))


def test_filestream_sink_alias_resolves() -> None:
    name = "org.apache.kafka.connect.file.FileStreamSinkConnector"
    assert default_registry().connector_class(name) is FileSinkConnector
    assert default_registry().connector_class("FileStreamSink") is FileSinkConnector


def test_values_become_lines(tmp_path: Path) -> None:
    out = tmp_path / "sub" / "out.txt"
    schema = SchemaBuilder.struct().field("id", Schema.INT32_SCHEMA).build()
    values = [
        "text",
        b"bytes",
        None,
        42,
        {"a": [1, decimal.Decimal("1.5")]},
        Struct(schema, {"id": 7}),
    ]
    task = _task(out)
    task.put(_records(values))
    task.flush({TopicPartition("in", 0): len(values)})
    assert out.read_text().splitlines() == [
        "text", "bytes", "null", "42", '{"a":[1,"1.5"]}', '{"id":7}'
    ]  # fmt: skip
    task.stop()


def test_flush_makes_lines_visible_before_offsets_are_committed(tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    task = _task(out)
    task.put(_records(["a", "b"]))
    committed = task.pre_commit({TopicPartition("in", 0): 2})
    assert committed == {TopicPartition("in", 0): 2}
    assert out.read_text() == "a\nb\n"  # readable by another process: written and fsynced
    task.stop()


def test_resume_appends_after_what_was_written(tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    task = _task(out)
    task.put(_records(["1", "2"]))
    task.flush({TopicPartition("in", 0): 2})
    task.stop()
    task = _task(out)  # the runtime redelivers from the committed offset 2
    task.put(_records(["3", "4"], start=2))
    task.flush({TopicPartition("in", 0): 4})
    task.stop()
    assert out.read_text().splitlines() == ["1", "2", "3", "4"]


def test_missing_file_is_a_config_error() -> None:
    with pytest.raises(ConfigError) as info:
        FileSinkTask().start({"topics": "in", "file.fsync": "maybe", "file.encoding": "klingon"})
    assert set(info.value.errors) == {"file", "file.fsync", "file.encoding"}


def test_batches_of_only_strings_and_mixed_batches_write_the_same_lines(tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    task = _task(out)
    task.put(_records(["a", "", "b c"]))
    task.put(_records(["d", 5, None]))
    task.flush({TopicPartition("in", 0): 6})
    assert out.read_text() == "a\n\nb c\nd\n5\nnull\n"
    task.stop()


def test_struct_lines_equal_the_default_hook_output() -> None:
    inner = SchemaBuilder.struct().field("d", Decimal.schema(1)).optional().build()
    outer = (
        SchemaBuilder.struct()
        .field("s", Schema.STRING_SCHEMA)
        .field("b", Schema.OPTIONAL_BYTES_SCHEMA)
        .field("in", inner)
        .field("list", SchemaBuilder.array(inner).optional().build())
        .build()
    )
    one = Struct(inner, {"d": decimal.Decimal("2.5")})
    value = Struct(outer, {"s": "é", "b": b"\xff", "in": one, "list": [one, None]})
    line = format_value(value)
    assert line == orjson.dumps(value, default=_json_default).decode()
    assert orjson.loads(line) == {"s": "é", "b": "\ufffd", "in": {"d": "2.5"},
                                  "list": [{"d": "2.5"}, None]}  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(batch_of_structs(), st.booleans())
def test_batches_of_structs_write_what_format_value_writes(
    pair: tuple[Schema, list[Any]], drop_a_field: bool
) -> None:
    schema, values = pair
    structs = [Struct(schema, dict(v._values)) for v in values]  # distinct objects
    if drop_a_field and structs and schema.fields:  # a struct missing a field: the careful path
        del structs[-1]._values[schema.fields[0].name]
    try:
        expected = "\n".join(format_value(v) for v in structs)
    except TypeError:  # a map with non-string keys cannot be a JSON line: the batch fails too
        with pytest.raises(TypeError):
            format_values(structs)
        return
    assert format_values(structs) == expected


def test_structs_of_two_schemas_and_defaults_take_the_careful_path() -> None:
    with_default = (
        SchemaBuilder.struct()
        .field("n", SchemaBuilder.int32().optional().default_value(7).build())
        .build()
    )
    plain = SchemaBuilder.struct().field("n", Schema.OPTIONAL_INT32_SCHEMA).build()
    mixed = [Struct(with_default, {"n": None}), Struct(plain, {"n": None})]
    assert format_values(mixed) == '{"n":7}\n{"n":null}'
