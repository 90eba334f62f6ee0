from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from hub.core_log import Log, ProduceRecord, build_batch
from hub.core_log.compaction import compact_partition
from tests.unit.core_log.conftest import read_all

COMPACT = {
    "cleanup.policy": "compact",
    "segment.bytes": "800",
    "min.cleanable.dirty.ratio": "0.01",
    "file.delete.delay.ms": "0",
}


def _put(log: Log, key: str, value: str | None, ts: int | None = None) -> None:
    log.append(
        "t", [ProduceRecord(key.encode(), None if value is None else value.encode(), (), ts)]
    )


def _latest(log: Log) -> dict[bytes, tuple[int, bytes | None]]:
    state: dict[bytes, tuple[int, bytes | None]] = {}
    for r in read_all(log, "t"):
        assert r.key is not None
        state[r.key] = (r.offset, r.value)
    return state


def test_compaction_keeps_latest_per_key_with_offsets(log: Log) -> None:
    log.create_topic("t", 1, {**COMPACT, "delete.retention.ms": "86400000"})
    for round_ in range(10):
        for k in range(5):
            _put(log, f"key{k}", f"value-{k}-{round_}".ljust(40, "."))
    _put(log, "key0", None)  # tombstone, recent: kept
    expected = _latest(log)
    log.partition("t", 0).roll()
    before = log.describe_topic("t").partitions[0]
    result = compact_partition(log.partition("t", 0), int(time.time() * 1000))
    assert result is not None and result.records_removed == 46
    after = log.describe_topic("t").partitions[0]
    assert after.size_bytes < before.size_bytes / 3
    assert after.end_offset == before.end_offset and after.log_start_offset == 0
    got = read_all(log, "t")
    assert len(got) == 5
    assert {r.key: (r.offset, r.value) for r in got} == expected
    assert expected[b"key0"] == (50, None)
    _put(log, "key9", "after")  # the log keeps working after the swap
    assert log.end_offset("t", 0) == 52


def test_old_tombstones_are_dropped(log: Log) -> None:
    log.create_topic("t", 1, {**COMPACT, "delete.retention.ms": "1000"})
    old = int(time.time() * 1000) - 10_000
    _put(log, "gone", "v1", old)
    _put(log, "gone", None, old)
    _put(log, "stays", "v", old)
    _put(log, "fresh-delete", "v")
    _put(log, "fresh-delete", None)
    log.partition("t", 0).roll()
    compact_partition(log.partition("t", 0), int(time.time() * 1000))
    assert {r.key: r.value for r in read_all(log, "t")} == {b"stays": b"v", b"fresh-delete": None}


def test_compaction_survives_reopen_and_leaves_no_temp_files(data_dir: Path) -> None:
    with Log(data_dir, maintenance_interval_ms=3_600_000) as log:
        log.create_topic("t", 1, COMPACT)
        for i in range(200):
            _put(log, f"k{i % 7}", f"v{i}".ljust(30))
        expected = _latest(log)
        log.partition("t", 0).roll()
        log.run_maintenance()
        assert len(read_all(log, "t")) == 7
    names = os.listdir(data_dir / "t-0")
    assert not [n for n in names if n.endswith((".swap", ".tmp")) or n == ".cleaner"]
    with Log(data_dir) as log:
        assert _latest(log) == expected


def test_concurrent_appends_while_compacting(log: Log) -> None:
    log.create_topic("t", 1, {**COMPACT, "segment.bytes": "4000"})
    stop = threading.Event()
    written: list[int] = []

    def produce() -> None:
        i = 0
        while not stop.is_set():
            _put(log, f"k{i % 13}", f"v{i}".ljust(20))
            written.append(i)
            i += 1
            if i % 10 == 0:
                time.sleep(0.001)

    thread = threading.Thread(target=produce)
    thread.start()
    try:
        passes = 0
        deadline = time.monotonic() + 10
        while passes < 5 and time.monotonic() < deadline:
            time.sleep(0.05)
            if compact_partition(log.partition("t", 0), int(time.time() * 1000), force=True):
                passes += 1
    finally:
        stop.set()
        thread.join()
    assert passes >= 3
    got = read_all(log, "t")
    offsets = [r.offset for r in got]
    assert offsets == sorted(set(offsets)) and log.end_offset("t", 0) == len(written)
    last = {f"k{i % 13}".encode(): f"v{i}".ljust(20).encode() for i in written}
    assert {r.key: r.value for r in got} == last  # latest value of every key survives


def test_interrupted_swap_is_completed_on_open(data_dir: Path) -> None:
    with Log(data_dir) as log:
        log.create_topic("t", 1, COMPACT)
        for i in range(60):
            _put(log, f"k{i % 3}", f"v{i}".ljust(30))
        expected = _latest(log)
        bases = [s.base_offset for s in log.partition("t", 0).view.segments]
        assert len(bases) > 3
        # the cleaned copy of the first two segments: latest record per key among them
        keep = {r.key: r for r in read_all(log, "t") if r.offset < bases[2]}
    cleaned = b"".join(
        build_batch([(r.key, r.value, r.headers, r.timestamp)], base_offset=r.offset)
        for r in sorted(keep.values(), key=lambda r: r.offset)
    )
    # a crash right after the commit point: the swap file exists, the old segments too
    part = data_dir / "t-0"
    swap = part / f"{bases[0]:020d}.log.{bases[2]:020d}.swap"
    swap.write_bytes(cleaned)
    with Log(data_dir) as log:
        assert not swap.exists()
        assert [s.base_offset for s in log.partition("t", 0).view.segments][:2] == [0, bases[2]]
        assert (part / f"{bases[0]:020d}.log").read_bytes() == cleaned
        assert not (part / f"{bases[1]:020d}.log").exists()
        assert _latest(log) == expected
