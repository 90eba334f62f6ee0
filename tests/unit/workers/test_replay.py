"""At-least-once replays after a crash are counted (``source_replayed_records_total``)."""

from __future__ import annotations

from pathlib import Path

from hub.core_log import ProduceRecord
from tests.unit.workers import plugins
from tests.unit.workers.helpers import herder_on, source, wait_for
from workers.backing import MemoryBacking
from workers.herder import Herder
from workers.offset_store import OffsetStore, partition_key


def _replayed(herder: Herder, name: str) -> float | None:
    return herder.metrics.registry.get_sample_value(
        "cdchub_connect_source_replayed_records_total", {"connector": name, "task": "0"}
    )


def test_log_end_is_stored_with_the_offsets_and_replayed() -> None:
    backing = MemoryBacking()
    store = OffsetStore(backing)
    store.put("c", {partition_key({"f": 1}): {"pos": 9}}, (0, [("t", 0, 10), ("t", 1, 4)]))
    again = OffsetStore(backing)
    assert again.log_end("c", 0) == [("t", 0, 10), ("t", 1, 4)]
    assert again.offsets("c") == [({"f": 1}, {"pos": 9})], "marks are not source offsets"
    again.reset("c")
    assert OffsetStore(backing).log_end("c", 0) == [] == OffsetStore(backing).offsets("c")


def test_records_written_after_the_last_commit_are_counted_on_restart(tmp_path: Path) -> None:
    with herder_on(tmp_path, memory=False) as herder:
        herder.put_connector_config("rp", source("rp", 30), allow_replace=False)
        wait_for(lambda: herder.offsets.get("rp", {"source": "rp"}) == {"n": 29})
        assert _replayed(herder, "rp") in (None, 0.0)
    with herder_on(tmp_path, memory=False) as herder:  # clean stop: nothing to replay
        wait_for(lambda: _replayed(herder, "rp") is not None, what="task started")
        assert _replayed(herder, "rp") == 0.0
        herder.pause("rp")
        wait_for(lambda: herder.status("rp")["tasks"][0]["state"] == "PAUSED")
        # what a crash leaves behind: records in the log past the task's last commit
        herder.log.append("rp", [ProduceRecord(None, b"{}") for _ in range(7)])
    with herder_on(tmp_path, memory=False) as herder:
        wait_for(lambda: _replayed(herder, "rp") is not None, what="task started")
        assert _replayed(herder, "rp") == 7.0
        assert plugins.COMMITTED["rp"]
