from __future__ import annotations

from pathlib import Path

import pytest

from hub.core_log.index import IndexCorruptError, OffsetIndex, TimeIndex


def test_offset_index_lookup_and_persistence(tmp_path: Path) -> None:
    index = OffsetIndex(tmp_path / "0.index")
    for rel, pos in [(10, 1000), (20, 2000), (35, 3500)]:
        index.append(rel, pos)
    assert index.lookup(0) == 0 and index.lookup(9) == 0
    assert index.lookup(10) == 1000 and index.lookup(19) == 1000
    assert index.lookup(35) == 3500 and index.lookup(10**6) == 3500
    assert index.floor_position(2999) == 2000 and index.floor_position(10) == 0
    index.flush()
    assert (tmp_path / "0.index").stat().st_size == 3 * 8  # Kafka's 8-byte entries
    loaded = OffsetIndex(tmp_path / "0.index")
    loaded.load(log_size=4000)
    assert list(loaded.offsets) == [10, 20, 35] and list(loaded.positions) == [1000, 2000, 3500]


def test_offset_index_truncation_rewrites_file(tmp_path: Path) -> None:
    index = OffsetIndex(tmp_path / "0.index")
    for i in range(1, 5):
        index.append(i * 10, i * 100)
    index.flush()
    index.truncate_to_position(300)
    index.append(31, 300)
    index.flush()
    loaded = OffsetIndex(tmp_path / "0.index")
    loaded.load(log_size=1000)
    assert list(loaded.offsets) == [10, 20, 31]


@pytest.mark.parametrize(
    "content",
    [
        b"\x00" * 7,
        bytes.fromhex("0000000a000003e8 00000005000007d0"),
        bytes.fromhex("0000000a00100000"),
    ],
    ids=["partial-entry", "out-of-order", "past-the-log"],
)
def test_offset_index_rejects_inconsistent_files(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "0.index"
    path.write_bytes(content)
    with pytest.raises(IndexCorruptError):
        OffsetIndex(path).load(log_size=5000)


def test_time_index_keeps_only_increasing_timestamps(tmp_path: Path) -> None:
    index = TimeIndex(tmp_path / "0.timeindex")
    index.maybe_append(100, 0)
    index.maybe_append(90, 5)  # not larger: ignored
    index.maybe_append(200, 10)
    index.maybe_append(300, 20)
    assert list(index.timestamps) == [100, 200, 300]
    assert index.lookup_before(100) is None
    assert index.lookup_before(150) == 0 and index.lookup_before(301) == 20
    index.flush()
    assert (tmp_path / "0.timeindex").stat().st_size == 3 * 12
    loaded = TimeIndex(tmp_path / "0.timeindex")
    loaded.load(max_relative_offset=20)
    assert list(loaded.offsets) == [0, 10, 20]
    with pytest.raises(IndexCorruptError):
        TimeIndex(tmp_path / "0.timeindex").load(max_relative_offset=15)
