"""SourceRecordBatch and SinkRecordBatch stand for exactly the records they hold."""

from __future__ import annotations

import pytest

from connectors.api import (
    OffsetColumn,
    Schema,
    SinkRecord,
    SinkRecordBatch,
    SourceRecord,
    SourceRecordBatch,
    TimestampType,
)


def test_offset_column_builds_each_offset_from_the_template() -> None:
    column = OffsetColumn({"position": 0, "inode": 7}, "position", [10, 25, 40])
    assert len(column) == 3
    assert column[-1] == {"position": 40, "inode": 7}
    assert list(column) == [{"position": p, "inode": 7} for p in (10, 25, 40)]
    assert column[1:] == [{"position": 25, "inode": 7}, {"position": 40, "inode": 7}]
    column[0]["position"] = 99
    assert column[0]["position"] == 10, "every offset is a fresh dict"


def test_source_batch_is_the_records_it_stands_for() -> None:
    part = {"filename": "/tmp/a"}
    offsets = OffsetColumn({"position": 0}, "position", [2, 4])
    batch = SourceRecordBatch("lines", Schema.STRING_SCHEMA, ["a", "b"], part, offsets)
    expected = [
        SourceRecord(
            "lines",
            None,
            None,
            None,
            Schema.STRING_SCHEMA,
            v,
            source_partition=part,
            source_offset={"position": p},
        )
        for v, p in (("a", 2), ("b", 4))
    ]
    assert list(batch) == expected and batch[1] == expected[1] and batch[:1] == expected[:1]
    assert len(batch) == 2 and batch[0] is batch[0], "records are built once"
    with pytest.raises(ValueError, match="2 values but 1 source offsets"):
        SourceRecordBatch("lines", None, ["a", "b"], part, [{"position": 1}])


def test_sink_batch_is_the_records_it_stands_for() -> None:
    batch = SinkRecordBatch()
    batch.add("t", 0, [5, 6], [100, 101], ([None, None], [None, None]),
              ([Schema.STRING_SCHEMA] * 2, ["x", "y"]))  # fmt: skip
    batch.add("t", 3, [], [], ([], []), ([], []))  # nothing read: no run
    batch.add("u", 1, [9], [102], ([Schema.STRING_SCHEMA], ["k"]), ([None], [{"a": 1}]))
    expected = [
        SinkRecord("t", 0, None, None, Schema.STRING_SCHEMA, "x", kafka_offset=5,
                   timestamp=100, timestamp_type=TimestampType.CREATE_TIME),
        SinkRecord("t", 0, None, None, Schema.STRING_SCHEMA, "y", kafka_offset=6,
                   timestamp=101, timestamp_type=TimestampType.CREATE_TIME),
        SinkRecord("u", 1, Schema.STRING_SCHEMA, "k", None, {"a": 1}, kafka_offset=9,
                   timestamp=102, timestamp_type=TimestampType.CREATE_TIME),
    ]  # fmt: skip
    assert list(batch) == expected and len(batch) == 3
    assert batch[2].original_topic_partition == ("u", 1) and batch[2] is batch[2]
    assert batch.values == ["x", "y", {"a": 1}] and batch.keys == [None, None, "k"]
    assert batch.value_schemas == [Schema.STRING_SCHEMA, Schema.STRING_SCHEMA, None]
    assert batch.key_schemas == [None, None, Schema.STRING_SCHEMA]
    assert batch[1:] == expected[1:]
    assert repr(batch) == "SinkRecordBatch(t-0: 2, u-1: 1)"
