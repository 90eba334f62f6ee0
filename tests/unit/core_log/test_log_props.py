"""Property tests: whatever the segment and index sizes, reads by offset and time are exact."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub.core_log import Log, ProduceRecord
from hub.core_log.compaction import compact_partition

batches = st.lists(st.tuples(st.integers(1, 12), st.integers(0, 300)), min_size=1, max_size=25)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    batches=batches,
    segment_bytes=st.integers(200, 5000),
    interval=st.sampled_from([0, 64, 500, 4096]),
    max_bytes=st.integers(1, 4000),
    data=st.data(),
)
def test_reads_by_offset_and_timestamp_are_exact(
    batches: list[tuple[int, int]],
    segment_bytes: int,
    interval: int,
    max_bytes: int,
    data: st.DataObject,
) -> None:
    configs = {"segment.bytes": str(segment_bytes), "index.interval.bytes": str(interval)}
    with tempfile.TemporaryDirectory() as tmp:
        with Log(Path(tmp), maintenance_interval_ms=3_600_000) as log:
            log.create_topic("t", 1, configs)
            n = 0
            for count, size in batches:
                records = [
                    ProduceRecord(
                        b"%d" % (n + i), bytes([i % 256]) * size, timestamp=1000 + 2 * (n + i)
                    )
                    for i in range(count)
                ]
                log.append("t", records)
                n += count
        with Log(Path(tmp), maintenance_interval_ms=3_600_000) as log:  # and after recovery
            assert log.end_offset("t", 0) == n
            for offset in data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=10)):
                got = list(log.read("t", 0, offset, max_bytes=max_bytes).records(offset))
                assert got and got[0].offset == offset and got[0].key == b"%d" % offset
                assert [r.offset for r in got] == list(range(offset, offset + len(got)))
                ts = 1000 + 2 * offset
                assert log.offset_for_timestamp("t", 0, ts) == offset
                assert log.offset_for_timestamp("t", 0, ts - 1) == offset
            assert log.offset_for_timestamp("t", 0, 1000 + 2 * n) is None


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    writes=st.lists(
        st.tuples(st.integers(0, 8), st.one_of(st.none(), st.binary(max_size=60))),
        min_size=1,
        max_size=80,
    ),
    segment_bytes=st.integers(150, 3000),
)
def test_compaction_preserves_latest_value_per_key(
    writes: list[tuple[int, bytes | None]], segment_bytes: int
) -> None:
    configs = {
        "cleanup.policy": "compact",
        "segment.bytes": str(segment_bytes),
        "file.delete.delay.ms": "0",
        "delete.retention.ms": "86400000",
    }
    with (
        tempfile.TemporaryDirectory() as tmp,
        Log(Path(tmp), maintenance_interval_ms=3_600_000) as log,
    ):
        log.create_topic("t", 1, configs)
        for key, value in writes:
            log.append("t", [ProduceRecord(b"k%d" % key, value)])
        partition = log.partition("t", 0)
        partition.roll()

        def state() -> tuple[dict[bytes | None, tuple[int, bytes | None]], list[int]]:
            latest: dict[bytes | None, tuple[int, bytes | None]] = {}
            offsets = []
            offset = log.start_offset("t", 0)
            while offset < log.end_offset("t", 0):
                got = list(log.read("t", 0, offset).records(offset))
                if not got:
                    break
                for r in got:
                    latest[r.key] = (r.offset, r.value)
                    offsets.append(r.offset)
                offset = got[-1].offset + 1
            return latest, offsets

        before, _ = state()
        result = compact_partition(partition, int(time.time() * 1000), force=True)
        after, offsets = state()
        assert result is not None and result.records_removed == len(writes) - len(offsets)
        assert after == before
        assert offsets == sorted(set(offsets)) and len(offsets) == len(after)
        assert log.end_offset("t", 0) == len(writes)
