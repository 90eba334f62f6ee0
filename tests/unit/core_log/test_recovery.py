"""Opening a damaged log: torn tails, lost or wrong indexes, corrupt batches, full disks."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from hub.core_log import CorruptRecordError, KafkaStorageError, Log, ProduceRecord
from tests.unit.core_log.conftest import read_all, records

SEGMENT_CONFIGS = {"segment.bytes": "2000", "index.interval.bytes": "100"}


def _fill(data_dir: Path, batches: int = 40) -> None:
    with Log(data_dir) as log:
        log.create_topic("t", 1, SEGMENT_CONFIGS)
        for i in range(batches):
            log.append("t", records(3, start=3 * i))


def _segment_files(data_dir: Path, suffix: str) -> list[Path]:
    return sorted((data_dir / "t-0").glob(f"*{suffix}"))


@pytest.mark.parametrize("tail", [b"\x00\x01garbage", "half-batch"], ids=["garbage", "half-batch"])
def test_torn_tail_is_truncated_on_open(data_dir: Path, tail: bytes | str) -> None:
    _fill(data_dir)
    last = _segment_files(data_dir, ".log")[-1]
    good_size = last.stat().st_size
    if tail == "half-batch":
        with Log(data_dir) as log:
            log.append("t", records(3, start=1000))
        size = last.stat().st_size
        os.truncate(last, good_size + (size - good_size) // 2)
    else:
        with open(last, "ab") as f:
            f.write(tail)  # type: ignore[arg-type]
    with Log(data_dir) as log:
        assert last.stat().st_size == good_size
        assert [r.offset for r in read_all(log, "t")] == list(range(120))
        assert log.append("t", records(1)) == [(0, 120)]
    with Log(data_dir) as log:
        assert [r.offset for r in read_all(log, "t")] == list(range(121))


def test_corrupt_crc_in_last_segment_truncates_from_there(data_dir: Path) -> None:
    _fill(data_dir, batches=3)  # one segment
    path = _segment_files(data_dir, ".log")[-1]
    data = bytearray(path.read_bytes())
    second = int.from_bytes(data[8:12], "big") + 12
    data[second + 70] ^= 0xFF  # inside the second batch's records
    path.write_bytes(bytes(data))
    with Log(data_dir) as log:
        assert [r.offset for r in read_all(log, "t")] == [0, 1, 2]
        assert log.end_offset("t", 0) == 3


@pytest.mark.parametrize("damage", ["delete", "garbage", "truncate", "wrong-offsets"])
def test_indexes_are_rebuilt(data_dir: Path, damage: str) -> None:
    _fill(data_dir)
    with Log(data_dir) as log:
        expected = {o: log.read("t", 0, o, max_bytes=1).data for o in range(0, 120, 7)}
        ts = log.offset_for_timestamp("t", 0, 0)
    originals = {p: p.read_bytes() for p in _segment_files(data_dir, "index")}
    assert any(len(b) for b in originals.values())
    for path, content in originals.items():
        if damage == "delete":
            path.unlink()
        elif damage == "garbage":
            path.write_bytes(b"\xff" * 13)
        elif damage == "truncate":
            path.write_bytes(content[: len(content) // 2 + 1])
        elif path.suffix == ".index" and content:
            path.write_bytes(
                content[:4] + (int.from_bytes(content[4:8], "big") + 1).to_bytes(4, "big")
            )
    with Log(data_dir) as log:
        for offset, data in expected.items():
            assert log.read("t", 0, offset, max_bytes=1).data == data
        assert log.offset_for_timestamp("t", 0, 0) == ts
    for path, content in originals.items():
        assert path.read_bytes() == content, f"{path.name} was not rebuilt identically"


def test_corrupt_batch_in_middle_segment_is_reported_with_file_and_position(data_dir: Path) -> None:
    _fill(data_dir)
    first = _segment_files(data_dir, ".log")[0]
    data = bytearray(first.read_bytes())
    batch = int.from_bytes(data[8:12], "big") + 12
    data[batch + 80] ^= 0x55  # second batch of the first (sealed) segment
    first.write_bytes(bytes(data))
    with Log(data_dir) as log:
        ok = log.read("t", 0, 0)  # the good first batch is still served, alone
        assert [r.offset for r in ok.records(0)] == [0, 1, 2]
        with pytest.raises(CorruptRecordError) as err:
            log.read("t", 0, 3)
        assert str(first) in str(err.value) and f"position {batch}" in str(err.value)
        assert next(r.offset for r in log.read("t", 0, 60).records(60)) == 60  # later data fine


def test_disk_full_fails_cleanly_and_keeps_data(log: Log, monkeypatch: pytest.MonkeyPatch) -> None:
    log.create_topic("t")
    log.append("t", records(5))
    before = log.read("t", 0, 0).data
    real = os.pwritev

    def full(fd: int, buffers: list[bytes], offset: int) -> int:
        real(fd, [bytes(buffers[0])[:3]], offset)  # a partial write, then the error
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "pwritev", full)
    with pytest.raises(KafkaStorageError, match="No space left on device"):
        log.append("t", records(5, start=5))
    monkeypatch.setattr(os, "pwritev", real)
    assert log.end_offset("t", 0) == 5
    assert log.read("t", 0, 0).data == before
    assert log.append("t", records(1, start=5)) == [(0, 5)]
    assert [r.offset for r in read_all(log, "t")] == list(range(6))


def test_disk_full_on_a_real_tiny_tmpfs(tmp_path: Path) -> None:
    mount = tmp_path / "tiny"
    mount.mkdir()
    if shutil.which("mount") is None or os.geteuid() != 0:
        pytest.skip("needs root to mount a tmpfs")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount tmpfs here: {done.stderr.decode().strip()}")
    try:
        with Log(mount / "data") as log:
            log.create_topic("t")
            stored = 0
            with pytest.raises(KafkaStorageError):
                for i in range(10_000):
                    log.append("t", [ProduceRecord(b"k", os.urandom(8000))])
                    stored = i + 1
            assert log.end_offset("t", 0) == stored > 0
            assert len(read_all(log, "t")) == stored
        with Log(mount / "data") as log:
            assert log.end_offset("t", 0) == stored
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_batch_length_pointing_past_the_segment_is_reported(data_dir: Path) -> None:
    _fill(data_dir)
    first = _segment_files(data_dir, ".log")[0]
    data = bytearray(first.read_bytes())
    batch = int.from_bytes(data[8:12], "big") + 12
    data[batch + 8 : batch + 12] = (10**6).to_bytes(4, "big")  # absurd batch length
    first.write_bytes(bytes(data))
    with Log(data_dir) as log, pytest.raises(CorruptRecordError, match=f"position {batch}"):
        log.read("t", 0, 3)
