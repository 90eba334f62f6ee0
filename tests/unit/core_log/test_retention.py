from __future__ import annotations

import time
from pathlib import Path

from hub.core_log import Log, ProduceRecord
from tests.unit.core_log.conftest import read_all, records

SMALL = {"segment.bytes": "1000", "file.delete.delay.ms": "0"}


def _segments(log: Log) -> list[int]:
    return [s.base_offset for s in log.partition("t", 0).view.segments]


def test_retention_by_time_deletes_old_segments_only(log: Log, data_dir: Path) -> None:
    log.create_topic("t", 1, {**SMALL, "retention.ms": "60000"})
    old = int(time.time() * 1000) - 120_000
    for i in range(20):
        log.append("t", [ProduceRecord(b"k", b"x" * 100, timestamp=old + i) for _ in range(2)])
    new_from = log.end_offset("t", 0)
    for _ in range(20):
        log.append("t", [ProduceRecord(b"k", b"y" * 100) for _ in range(2)])
    log.run_maintenance()
    start = log.start_offset("t", 0)
    assert start == _segments(log)[0] and start <= new_from
    assert all(r.value == b"y" * 100 for r in read_all(log, "t") if r.offset >= new_from)
    assert all(r.timestamp >= old for r in read_all(log, "t"))
    assert (
        sum(1 for r in read_all(log, "t") if r.value == b"x" * 100) < 6
    )  # at most one old segment
    remaining = {p.name for p in (data_dir / "t-0").glob("*.log")}
    assert remaining == {f"{b:020d}.log" for b in _segments(log)}


def test_retention_never_deletes_the_active_segment(log: Log) -> None:
    log.create_topic("t", 1, {"retention.ms": "0"})
    log.append("t", [ProduceRecord(b"k", b"v", timestamp=1)])
    log.run_maintenance()
    assert log.end_offset("t", 0) == 1 and log.start_offset("t", 0) == 0


def test_retention_by_size(log: Log) -> None:
    log.create_topic("t", 1, {**SMALL, "retention.bytes": "2500"})
    for i in range(40):
        log.append("t", records(2, start=2 * i, size=100))
    before = log.describe_topic("t").partitions[0]
    log.run_maintenance()
    after = log.describe_topic("t").partitions[0]
    assert before.size_bytes > 2500 >= after.size_bytes - 1000  # the active one may exceed
    assert after.log_start_offset > 0 and after.end_offset == 80
    got = read_all(log, "t")
    assert [r.offset for r in got] == list(range(after.log_start_offset, 80))


def test_compact_only_topic_is_not_deleted_by_retention(log: Log) -> None:
    log.create_topic("t", 1, {**SMALL, "retention.bytes": "0", "cleanup.policy": "compact"})
    for i in range(20):
        log.append("t", records(2, start=2 * i, size=100))
    log.run_maintenance()
    assert log.start_offset("t", 0) == 0


def test_readers_holding_deleted_segments_still_read(data_dir: Path) -> None:
    with Log(data_dir, maintenance_interval_ms=3_600_000) as log:
        log.create_topic("t", 1, {"segment.bytes": "1000", "retention.bytes": "0"})
        for i in range(20):
            log.append("t", records(2, start=2 * i, size=100))
        old_view = log.partition("t", 0).view
        log.run_maintenance()
        assert log.start_offset("t", 0) > 0
        data, _ = old_view.segments[0].read(0, 10_000)  # fd kept open for the delay
        assert data


def test_compact_and_delete_applies_both(log: Log) -> None:
    log.create_topic(
        "t",
        1,
        {
            **SMALL,
            "cleanup.policy": "compact,delete",
            "retention.ms": "60000",
            "min.cleanable.dirty.ratio": "0.01",
        },
    )
    old = int(time.time() * 1000) - 120_000
    for i in range(10):
        log.append("t", [ProduceRecord(b"old%d" % (i % 2), b"x" * 100, timestamp=old)])
    for i in range(30):
        log.append("t", [ProduceRecord(b"new%d" % (i % 3), b"y" * 100)])
    log.partition("t", 0).roll()
    log.run_maintenance()
    got = read_all(log, "t")
    assert not [r for r in got if r.key and r.key.startswith(b"old")]  # deleted by time
    assert sorted(r.key for r in got) == [b"new0", b"new1", b"new2"]  # compacted by key
