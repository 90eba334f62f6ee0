"""``Log.append_kv``: the column fast path must store exactly what ``append`` stores."""

from __future__ import annotations

import pytest

from hub.core_log import Log, ProduceRecord, UnknownTopicOrPartitionError, partition_for_key
from tests.unit.core_log.conftest import read_all


def kv(record: object) -> tuple[object, object]:
    return (record.key, record.value)  # type: ignore[attr-defined]


def test_one_partition_matches_append(log: Log) -> None:
    keys = [b"k%d" % i if i % 3 else None for i in range(500)]
    values = [b"v" * (i % 40) if i % 7 else None for i in range(500)]
    log.create_topic("a")
    log.create_topic("b")
    via_objects = log.append(
        "a", [ProduceRecord(key=k, value=v) for k, v in zip(keys, values, strict=True)]
    )
    via_columns = log.append_kv("b", keys, values)
    assert via_columns == via_objects == [(0, i) for i in range(500)]
    assert [kv(r) for r in read_all(log, "b")] == list(zip(keys, values, strict=True))
    assert [kv(r) for r in read_all(log, "a")] == [kv(r) for r in read_all(log, "b")]


def test_keys_are_hashed_like_append_and_null_keys_share_one_partition(log: Log) -> None:
    log.create_topic("t", 4)
    keys = [b"key-%d" % i for i in range(40)] + [None] * 10
    values = [b"value-%d" % i for i in range(50)]
    placed = log.append_kv("t", keys, values)
    for (p, _), key in zip(placed[:40], keys, strict=False):
        assert p == partition_for_key(key, 4)
    assert len({p for p, _ in placed[40:]}) == 1  # sticky: one partition per call
    for p in range(4):
        got = [kv(r) for r in read_all(log, "t", p)]
        assert got == [(k, v) for (q, _), k, v in zip(placed, keys, values, strict=True) if q == p]


def test_explicit_partition_and_errors(log: Log) -> None:
    log.create_topic("t", 2)
    assert log.append_kv("t", [b"x", b"y"], [b"1", b"2"], partition=1) == [(1, 0), (1, 1)]
    assert log.end_offset("t", 0) == 0
    with pytest.raises(UnknownTopicOrPartitionError, match="no partition 2"):
        log.append_kv("t", [b"x"], [b"1"], partition=2)
    with pytest.raises(ValueError, match="2 keys but 1 values"):
        log.append_kv("t", [b"x", b"y"], [b"1"])
    with pytest.raises(UnknownTopicOrPartitionError):
        log.append_kv("missing", [b"x"], [b"1"])
    assert log.append_kv("t", [], []) == []


def test_big_values_are_stored_intact(log: Log) -> None:
    """10 KiB values take the gathered (pwritev of parts) write path."""
    log.create_topic("t")
    values = [bytes([i]) * 10_240 for i in range(90)]
    log.append_kv("t", [b"k%d" % i for i in range(90)], values)
    log.append("t", [ProduceRecord(key=b"last", value=b"z" * 20_000)])
    got = read_all(log, "t")
    assert [r.value for r in got] == [*values, b"z" * 20_000]
    for batch in log.read("t", 0, 0, max_bytes=1 << 24).batches():
        batch.validate_crc()


def test_append_mixing_explicit_hashed_and_sticky_records(log: Log) -> None:
    """One append whose records take all three routes lands each where it should, in order."""
    log.create_topic("t", 3)
    records = [
        ProduceRecord(key=b"key-%d" % i if i % 3 else None, value=b"v%d" % i)
        if i % 4
        else ProduceRecord(key=b"pinned", value=b"v%d" % i, partition=i % 3)
        for i in range(60)
    ]
    placed = log.append("t", records)
    sticky = {p for (p, _), r in zip(placed, records, strict=True) if r.key is None}
    assert len(sticky) == 1
    for (p, _), r in zip(placed, records, strict=True):
        if r.partition is not None:
            assert p == r.partition
        elif r.key is not None:
            assert p == partition_for_key(r.key, 3)
    for p in range(3):
        stored = [(r.key, r.value) for r in read_all(log, "t", p)]
        assert stored == [
            (r.key, r.value) for (q, _), r in zip(placed, records, strict=True) if q == p
        ]
        assert [o for q, o in placed if q == p] == list(range(len(stored)))


def test_spans_say_where_the_records_went_per_partition(log: Log) -> None:
    log.create_topic("s", 4)
    log.create_topic("p", 4)
    keys = [b"key-%d" % (i % 9) for i in range(300)]
    values = [b"v%d" % i for i in range(300)]
    positions = log.append_kv("p", keys, values)
    spans = log.append_kv_spans("s", keys, values)
    assert sorted(p for p, _, _ in spans) == sorted({p for p, _ in positions})
    for p, first, count in spans:
        offsets = [o for q, o in positions if q == p]
        assert (first, count) == (offsets[0], len(offsets))
    end = log.end_offset("s", 2)
    assert log.append_kv_spans("s", [None] * 3, [b"a", b"b", b"c"], partition=2) == [(2, end, 3)]
    assert log.append_kv_spans("s", [], []) == []
    with pytest.raises(ValueError, match="2 keys but 1 values"):
        log.append_kv_spans("s", [None, None], [b"x"])


def test_append_columns_stores_what_append_stores(log: Log) -> None:
    log.create_topic("objects", 3)
    log.create_topic("columns", 3)
    keys = [b"k%d" % (i % 5) if i % 4 else None for i in range(60)]
    values = [b"v%d" % i for i in range(60)]
    headers = [[("h", b"%d" % i)] if i % 3 == 0 else [] for i in range(60)]
    stamps = [1_700_000_000_000 + i if i % 2 else None for i in range(60)]
    pinned = [i % 3 if i % 7 == 0 else None for i in range(60)]
    records = [ProduceRecord(k, v, h, t, p) for k, v, h, t, p in
               zip(keys, values, headers, stamps, pinned, strict=True)]  # fmt: skip
    via_objects = log.append("objects", records)
    via_columns = log.append_columns(
        "columns", keys, values, headers=headers, timestamps=stamps, partitions=pinned
    )
    assert via_columns == via_objects
    assert [p for (p, _), pin in zip(via_columns, pinned, strict=True) if pin is not None] == [
        pin for pin in pinned if pin is not None
    ]

    def stored(topic: str, p: int) -> list[tuple[object, ...]]:
        return [(r.key, r.value, tuple(r.headers), r.timestamp if int(r.value[1:]) % 2 else None)
                for r in read_all(log, topic, p)]  # fmt: skip

    for p in range(3):
        assert stored("columns", p) == stored("objects", p)
    with pytest.raises(ValueError, match="2 keys but columns of"):
        log.append_columns("columns", [None, None], [b"x"])
