from __future__ import annotations

import time
from pathlib import Path

import pytest

from hub.core_log import GroupIdNotFoundError, GroupOffsets, InvalidRequestError, Log, ProduceRecord
from hub.core_log.groups import OFFSETS_TOPIC, decode_key, encode_key
from tests.unit.core_log.conftest import records


def test_commit_lag_and_reset_survive_reopen(data_dir: Path) -> None:
    with Log(data_dir) as log:
        log.create_topic("t", 2)
        for _ in range(3):
            log.append("t", [ProduceRecord(None, b"v", partition=0)] * 4)
        log.append("t", [ProduceRecord(None, b"v", partition=1)] * 2)
        groups = GroupOffsets(log)
        groups.commit("g", {("t", 0): 5, ("t", 1): 2}, metadata="m")
        groups.commit("other", {("t", 0): 1})
        assert groups.committed("g", "t", 0) == 5 and groups.committed("g", "t", 9) is None
        lag = {
            (r.topic, r.partition): (r.committed, r.end_offset, r.lag) for r in groups.describe("g")
        }
        assert lag == {("t", 0): (5, 12, 7), ("t", 1): (2, 2, 0)}
        assert log.list_topics() == ["t"] and OFFSETS_TOPIC in log.list_topics(
            include_internal=True
        )
    with Log(data_dir) as log:
        groups = GroupOffsets(log)
        assert groups.list_groups() == ["g", "other"]
        assert groups.committed("g", "t", 0) == 5
        assert groups.reset("g", "t", "earliest") == {("t", 0): 0, ("t", 1): 0}
        assert groups.reset("g", "t", "latest", partitions=[0]) == {("t", 0): 12}
        assert groups.reset("g", "t", 100, partitions=[1]) == {("t", 1): 2}  # clamped to the end
        assert groups.committed("g", "t", 1) == 2
        with pytest.raises(InvalidRequestError, match="earliest"):
            groups.reset("g", "t", "yesterday")  # type: ignore[arg-type]
    with Log(data_dir) as log:
        groups = GroupOffsets(log)
        assert groups.committed("g", "t", 0) == 12 and groups.committed("g", "t", 1) == 2


def test_reset_to_timestamp(log: Log) -> None:
    log.create_topic("t")
    now = int(time.time() * 1000)
    log.append("t", [ProduceRecord(b"k", b"v", timestamp=now - 1000 + i * 100) for i in range(10)])
    groups = GroupOffsets(log)
    assert groups.reset("g", "t", {"timestamp": now - 500}) == {("t", 0): 5}
    assert groups.reset("g", "t", {"timestamp": now + 10_000}) == {("t", 0): 10}


def test_delete_group_and_unknown_group(data_dir: Path) -> None:
    with Log(data_dir) as log:
        log.create_topic("t")
        log.append("t", records(3))
        groups = GroupOffsets(log)
        groups.commit("g", {("t", 0): 1})
        groups.delete_group("g")
        assert groups.list_groups() == []
        with pytest.raises(GroupIdNotFoundError, match="'g'"):
            groups.describe("g")
        with pytest.raises(GroupIdNotFoundError):
            groups.delete_group("g")
        with pytest.raises(InvalidRequestError):
            groups.commit("", {("t", 0): 1})
    with Log(data_dir) as log:
        assert GroupOffsets(log).list_groups() == []


def test_offsets_topic_is_compacted_to_latest_commit(log: Log) -> None:
    log.create_topic("t")
    groups = GroupOffsets(log)
    for i in range(50):
        groups.commit("g", {("t", 0): i})
    partition = log.partition(OFFSETS_TOPIC, 0)
    assert partition.config.cleanup_compact
    partition.roll()
    from hub.core_log.compaction import compact_partition

    compact_partition(partition, int(time.time() * 1000), force=True)
    assert len([r for b in partition.batches() for r in b.records()]) == 1
    assert GroupOffsets(log).committed("g", "t", 0) == 49


def test_key_layout_is_kafkas_offset_commit_key_v1() -> None:
    key = encode_key("grp", "topic", 7)
    assert key == b"\x00\x01\x00\x03grp\x00\x05topic\x00\x00\x00\x07"
    assert decode_key(key) == ("grp", "topic", 7)


def test_delete_offsets_of_some_partitions(data_dir: Path) -> None:
    with Log(data_dir) as log:
        log.create_topic("t", 3)
        groups = GroupOffsets(log)
        groups.commit("g", {("t", 0): 1, ("t", 1): 2, ("t", 2): 3})
        groups.delete_offsets("g", [("t", 1), ("t", 2), ("t", 9), ("other", 0)])
        assert [(r.topic, r.partition) for r in groups.describe("g")] == [("t", 0)]
        groups.delete_offsets("g", [("t", 0)])
        assert groups.list_groups() == []
        groups.delete_offsets("nobody", [("t", 0)])  # idempotent, no error
    with Log(data_dir) as log:
        assert GroupOffsets(log).list_groups() == []
