from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from hub.core_log import (
    InvalidConfigurationError,
    InvalidPartitionsError,
    InvalidTopicError,
    Log,
    LogError,
    OffsetOutOfRangeError,
    ProduceRecord,
    RecordTooLargeError,
    TopicAlreadyExistsError,
    UnknownTopicOrPartitionError,
    build_batch,
    iter_batches,
    partition_for_key,
)
from tests.unit.core_log.conftest import read_all, records


def test_create_describe_list_delete(log: Log, data_dir: Path) -> None:
    desc = log.create_topic("orders", 3, {"retention.ms": "1000"})
    assert [p.partition for p in desc.partitions] == [0, 1, 2]
    assert desc.configs["retention.ms"] == "1000" and desc.configs["cleanup.policy"] == "delete"
    assert not desc.internal
    log.create_topic("_hub_configs")
    assert log.list_topics() == ["orders"]
    assert log.list_topics(include_internal=True) == ["_hub_configs", "orders"]
    assert (data_dir / "orders-2").is_dir()
    meta = json.loads((data_dir / ".topics" / "orders.json").read_text())
    assert meta == {"configs": {"retention.ms": "1000"}, "name": "orders", "partitions": 3}
    log.delete_topic("orders")
    assert not log.has_topic("orders") and not (data_dir / "orders-0").exists()
    with pytest.raises(UnknownTopicOrPartitionError, match="create it first"):
        log.describe_topic("orders")


def test_create_errors(log: Log) -> None:
    log.create_topic("t")
    with pytest.raises(TopicAlreadyExistsError):
        log.create_topic("t")
    with pytest.raises(InvalidTopicError):
        log.create_topic("bad name")
    with pytest.raises(InvalidPartitionsError):
        log.create_topic("zero", 0)
    with pytest.raises(InvalidConfigurationError, match=r"'segment\.ms'"):
        log.create_topic("cfg", 1, {"segment.ms": "soon"})
    assert log.list_topics() == ["t"]


def test_alter_configs_and_grow_partitions_persist(data_dir: Path) -> None:
    with Log(data_dir) as log:
        log.create_topic("t", 1, {"retention.ms": "5", "segment.ms": "60000"})
        log.alter_topic_configs("t", {"cleanup.policy": "compact"}, delete=["retention.ms"])
        with pytest.raises(InvalidConfigurationError):
            log.alter_topic_configs("t", {"retention.bytes": "-7"})
        with pytest.raises(InvalidConfigurationError):
            log.alter_topic_configs("t", delete=["no.such.key"])
        log.create_partitions("t", 4)
        with pytest.raises(InvalidPartitionsError):
            log.create_partitions("t", 2)
        log.append("t", [ProduceRecord(b"k", b"v", partition=3)])
    with Log(data_dir) as log:
        desc = log.describe_topic("t")
        assert len(desc.partitions) == 4 and desc.partitions[3].end_offset == 1
        assert desc.configs["cleanup.policy"] == "compact"
        assert desc.configs["retention.ms"] == "604800000" and desc.configs["segment.ms"] == "60000"


def test_log_defaults_apply_and_are_validated(data_dir: Path) -> None:
    with pytest.raises(InvalidConfigurationError):
        Log(data_dir, defaults={"flush.ms": "often"})
    with Log(data_dir, defaults={"segment.bytes": "4096"}) as log:
        assert log.create_topic("t").configs["segment.bytes"] == "4096"


def test_append_and_read_round_trip(log: Log) -> None:
    log.create_topic("t")
    headers = [("h", b"1"), ("n", None)]
    offsets = log.append("t", [ProduceRecord(b"a", b"1", headers, 1234), ProduceRecord(None, None)])
    assert offsets == [(0, 0), (0, 1)]
    assert log.append("t", records(3)) == [(0, 2), (0, 3), (0, 4)]
    got = read_all(log, "t")
    assert [r.offset for r in got] == [0, 1, 2, 3, 4]
    assert (got[0].key, got[0].value, got[0].timestamp, got[0].headers) == (
        b"a",
        b"1",
        1234,
        (("h", b"1"), ("n", None)),
    )
    assert got[1].key is None and got[1].value is None
    result = log.read("t", 0, 3)
    assert result.high_watermark == 5 and result.log_start_offset == 0
    assert [r.offset for r in result.records(3)] == [3, 4]
    assert next(result.batches()).base_offset == 2  # whole batches, first may start earlier


def test_read_bounds_and_max_bytes(log: Log) -> None:
    log.create_topic("t")
    for i in range(10):
        log.append("t", records(10, start=i * 10))
    assert log.read("t", 0, 100).data == b""
    with pytest.raises(OffsetOutOfRangeError, match=r"valid: 0\.\.100"):
        log.read("t", 0, 101)
    with pytest.raises(OffsetOutOfRangeError):
        log.read("t", 0, -1)
    one = log.read("t", 0, 0, max_bytes=1)
    assert [b.base_offset for b in one.batches()] == [0]  # at least one whole batch
    batch_size = len(one.data)
    two = log.read("t", 0, 15, max_bytes=2 * batch_size + 30)
    assert [b.base_offset for b in two.batches()] == [10, 20]
    with pytest.raises(UnknownTopicOrPartitionError):
        log.read("t", 1, 0)
    with pytest.raises(UnknownTopicOrPartitionError):
        log.read("nope", 0, 0)


def test_keyed_records_follow_murmur2_and_unkeyed_are_sticky(log: Log) -> None:
    log.create_topic("t", 4)
    keyed = [ProduceRecord(f"key-{i}".encode(), b"v") for i in range(40)]
    result = log.append("t", keyed)
    assert [p for p, _ in result] == [partition_for_key(r.key or b"", 4) for r in keyed]
    first = {p for p, _ in log.append("t", records(5, key=False))}
    second = {p for p, _ in log.append("t", records(5, key=False))}
    assert len(first) == 1 and len(second) == 1 and first != second
    explicit = log.append("t", [ProduceRecord(b"x", b"y", partition=2)])
    assert explicit[0][0] == 2
    with pytest.raises(UnknownTopicOrPartitionError):
        log.append("t", [ProduceRecord(b"x", b"y", partition=9)])
    total = sum(p.end_offset for p in log.describe_topic("t").partitions)
    assert total == 40 + 5 + 5 + 1


def test_record_too_large_is_rejected_before_writing(log: Log) -> None:
    log.create_topic("t", 1, {"max.message.bytes": "1000"})
    with pytest.raises(RecordTooLargeError, match=r"max\.message\.bytes"):
        log.append("t", [ProduceRecord(b"k", b"x" * 2000)])
    assert log.end_offset("t", 0) == 0


def test_append_batch_stores_producer_bytes_as_is(log: Log) -> None:
    log.create_topic("t")
    log.append("t", records(2))
    raw = build_batch([(b"a", b"1", [], 111), (b"b", b"2", [], 222)], base_offset=999)
    assert log.append_batch("t", 0, raw) == 2
    stored = log.read("t", 0, 2).data
    assert stored[8:] == raw[8:] and int.from_bytes(stored[:8], "big") == 2
    broken = bytearray(raw)
    broken[-1] ^= 0xFF
    with pytest.raises(Exception, match="CRC"):
        log.append_batch("t", 0, bytes(broken))
    assert log.end_offset("t", 0) == 4


def test_log_append_time_topic(log: Log) -> None:
    log.create_topic("t", 1, {"message.timestamp.type": "LogAppendTime"})
    before = int(time.time() * 1000)
    log.append("t", [ProduceRecord(b"k", b"v", timestamp=5)])
    log.append_batch("t", 0, build_batch([(b"k", b"v", [], 6)]))
    assert all(r.timestamp >= before for r in read_all(log, "t"))


def test_offset_for_timestamp(log: Log) -> None:
    log.create_topic("t", 1, {"segment.bytes": "600", "index.interval.bytes": "100"})
    for i in range(50):
        batch = [
            ProduceRecord(b"k", b"v" * 30, timestamp=1000 + 10 * (2 * i + j)) for j in range(2)
        ]
        log.append("t", batch)
    assert len(log.partition("t", 0).view.segments) > 3
    assert log.offset_for_timestamp("t", 0, 0) == 0
    assert log.offset_for_timestamp("t", 0, 1000) == 0
    assert log.offset_for_timestamp("t", 0, 1001) == 1
    assert log.offset_for_timestamp("t", 0, 1500) == 50
    assert log.offset_for_timestamp("t", 0, 1505) == 51
    assert log.offset_for_timestamp("t", 0, 1990) == 99
    assert log.offset_for_timestamp("t", 0, 1991) is None


def test_segments_roll_by_size_and_reads_cross_them(data_dir: Path) -> None:
    with Log(data_dir) as log:
        log.create_topic("t", 1, {"segment.bytes": "1000", "index.interval.bytes": "150"})
        for i in range(60):
            log.append("t", records(2, start=2 * i))
        segments = log.partition("t", 0).view.segments
        assert len(segments) > 5 and all(s.size <= 1000 for s in segments)
        for s in segments[:-1]:
            assert len(s.index) >= 1
    files = sorted(p.name for p in (data_dir / "t-0").iterdir())
    assert "00000000000000000000.log" in files and "00000000000000000000.index" in files
    assert "00000000000000000000.timeindex" in files
    with Log(data_dir) as log:
        assert [r.offset for r in read_all(log, "t")] == list(range(120))
        for offset in (0, 1, 7, 33, 64, 119):
            first = next(log.read("t", 0, offset, max_bytes=1).records(offset))
            assert first.offset == offset and first.key == f"k{offset}".encode()


def test_segment_roll_by_time(log: Log) -> None:
    log.create_topic("t", 1, {"segment.ms": "50"})
    log.append("t", records(1))
    time.sleep(0.08)
    log.append("t", records(1, start=1))
    assert [s.base_offset for s in log.partition("t", 0).view.segments] == [0, 1]


def test_long_poll_wakes_on_append(log: Log) -> None:
    log.create_topic("t")
    timer = threading.Timer(0.2, lambda: log.append("t", records(1)))
    start = time.monotonic()
    timer.start()
    result = log.read("t", 0, 0, max_wait_ms=5000)
    elapsed = time.monotonic() - start
    timer.join()
    assert [r.offset for r in result.records(0)] == [0]
    assert 0.15 < elapsed < 4.0


def test_long_poll_times_out_empty(log: Log) -> None:
    log.create_topic("t")
    start = time.monotonic()
    assert log.read("t", 0, 0, max_wait_ms=150).data == b""
    assert 0.14 < time.monotonic() - start < 3.0


def test_concurrent_producers_and_consumers(log: Log) -> None:
    log.create_topic("t", 2)
    producers, per_producer, batch = 4, 25, 20
    errors: list[BaseException] = []

    def produce(n: int) -> None:
        try:
            for i in range(per_producer):
                log.append(
                    "t",
                    [
                        ProduceRecord(None, f"{n}-{i}-{j}".encode(), partition=n % 2)
                        for j in range(batch)
                    ],
                )
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    seen: dict[int, list[bytes]] = {0: [], 1: []}

    def consume(p: int) -> None:
        offset = 0
        expected = producers // 2 * per_producer * batch
        deadline = time.monotonic() + 20
        while offset < expected and time.monotonic() < deadline:
            result = log.read("t", p, offset, max_wait_ms=200)
            for r in result.records(offset):
                assert r.offset == offset
                seen[p].append(r.value or b"")
                offset += 1

    threads = [threading.Thread(target=produce, args=(n,)) for n in range(producers)]
    threads += [threading.Thread(target=consume, args=(p,)) for p in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for p in (0, 1):
        assert len(seen[p]) == len(set(seen[p])) == producers // 2 * per_producer * batch
        # each producer's records stay in order within the partition
        for n in range(p, producers, 2):
            mine = [v for v in seen[p] if v.startswith(f"{n}-".encode())]
            assert mine == [
                f"{n}-{i}-{j}".encode() for i in range(per_producer) for j in range(batch)
            ]


def test_data_survives_reopen_and_batches_are_raw(data_dir: Path) -> None:
    with Log(data_dir) as log:
        log.create_topic("t", 1, {"compression.type": "gzip"})
        log.append("t", records(100, size=200))
        data = log.read("t", 0, 0).data
    with Log(data_dir) as log:
        assert log.read("t", 0, 0).data == data
        assert [b.compression.name for b in iter_batches(data)] == ["GZIP"]
        assert [r.offset for r in read_all(log, "t")] == list(range(100))
        assert log.append("t", records(1)) == [(0, 100)]


def test_flush_policies(log: Log) -> None:
    log.create_topic("each", 1, {"flush.messages": "1", "flush.ms": "3600000"})
    log.create_topic("timed", 1, {"flush.ms": "50"})
    log.create_topic("never", 1, {"flush.ms": "3600000"})
    for topic in ("each", "timed", "never"):
        log.append(topic, records(3))
    active = {t: log.partition(t, 0).view.active for t in ("each", "timed", "never")}
    assert active["each"].flushed_size == active["each"].size > 0
    assert active["never"].flushed_size == 0
    deadline = time.monotonic() + 5
    while active["timed"].flushed_size != active["timed"].size and time.monotonic() < deadline:
        time.sleep(0.02)
    assert active["timed"].flushed_size == active["timed"].size  # the background flusher ran
    assert active["never"].flushed_size == 0
    log.append("never", records(1), acks_fsync=True)
    assert active["never"].flushed_size == active["never"].size
    log.flush()
    assert all(a.flushed_size == a.size for a in active.values())


def test_append_batch_accepts_back_to_back_batches(log: Log) -> None:
    log.create_topic("t")
    raw = build_batch([(b"a", b"1", [], None)]) + build_batch([(b"b", b"2", [], None)] * 3)
    assert log.append_batch("t", 0, raw) == 0
    assert log.end_offset("t", 0) == 4
    with pytest.raises(Exception, match="whole v2 record batches"):
        log.append_batch("t", 0, raw + b"\x00" * 10)
    assert log.end_offset("t", 0) == 4


def test_delete_topic_wakes_long_poll_and_rejects_appends(log: Log) -> None:
    log.create_topic("t")
    partition = log.partition("t", 0)
    timer = threading.Timer(0.1, lambda: log.delete_topic("t"))
    timer.start()
    start = time.monotonic()
    assert log.read("t", 0, 0, max_wait_ms=5000).data == b""
    timer.join()
    assert time.monotonic() - start < 2
    with pytest.raises(UnknownTopicOrPartitionError):
        partition.append(build_batch([(b"k", b"v", [], None)]), 1)
    with pytest.raises(UnknownTopicOrPartitionError):
        log.append("t", records(1))


def test_partition_append_gathers_a_batch_given_in_parts(log: Log) -> None:
    log.create_topic("t")
    raw = build_batch([(b"k%d" % i, b"v" * i, [], None) for i in range(50)])
    parts = [raw[:61], *(raw[i : i + 1] for i in range(61, len(raw)))]
    assert len(parts) > 1024  # more than one pwritev call (IOV_MAX)
    assert log.partition("t", 0).append(parts, 50) == 0
    assert log.read("t", 0, 0).data[8:] == raw[8:]
    with pytest.raises(Exception, match="header claims"):
        log.partition("t", 0).append(parts[:-1], 50)
    assert log.end_offset("t", 0) == 50


def test_unreadable_topic_metadata_is_reported_and_lock_released(data_dir: Path) -> None:
    with Log(data_dir) as log:
        log.create_topic("good")
        log.create_topic("bad")
    (data_dir / ".topics" / "bad.json").write_text('{"name": "bad", "partit')
    with pytest.raises(LogError, match=r"bad\.json is unreadable"):
        Log(data_dir)
    (data_dir / ".topics" / "bad.json").write_text(
        '{"name": "bad", "partitions": 1, "configs": {"retention.ms": "soon"}}'
    )
    with pytest.raises(LogError, match=r"retention\.ms"):
        Log(data_dir)
    (data_dir / ".topics" / "bad.json").unlink()
    with Log(data_dir) as log:  # the failed opens released the lock
        assert log.list_topics() == ["good"]
