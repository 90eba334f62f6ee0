"""Splitting appends to fit max.message.bytes."""

from __future__ import annotations

import itertools
from pathlib import Path

from tests.unit.workers.helpers import herder_on, source, task_state, wait_for
from workers.batching import RECORD_OVERHEAD, batch_ranges


def test_small_batches_stay_whole() -> None:
    assert batch_ranges([None] * 3, [b"x" * 10] * 3, 1000) == [(0, 3)]


def test_large_batches_are_cut_and_every_record_kept() -> None:
    values = [b"v" * 100] * 50
    limit = 10 * (100 + RECORD_OVERHEAD)
    ranges = batch_ranges([None] * 50, values, limit)
    assert ranges[0] == (0, 10) and ranges[-1][1] == 50 and len(ranges) == 5
    assert all(a[1] == b[0] for a, b in itertools.pairwise(ranges))


def test_oversized_record_gets_its_own_range() -> None:
    assert batch_ranges([None] * 3, [b"a", b"b" * 5000, b"c"], 100) == [(0, 1), (1, 2), (2, 3)]


def test_source_poll_larger_than_max_message_bytes_is_split(tmp_path: Path) -> None:
    with herder_on(tmp_path) as herder:
        herder.log.create_topic("small", 1, {"max.message.bytes": "2000"})
        herder.put_connector_config("big", source("small", 400, batch="400"), allow_replace=False)
        wait_for(lambda: herder.log.end_offset("small", 0) == 400, what="400 records")
        assert task_state(herder, "big") == "RUNNING"
        batches = list(herder.log.partition("small", 0).batches())
        assert len(batches) > 1 and all(b.size_in_bytes <= 2000 for b in batches)
