"""Backing stores: state written through, rebuilt by replay (memory twin and the log)."""

from __future__ import annotations

from pathlib import Path

from hub.core_log import Log
from workers.backing import Backing, LogBacking, MemoryBacking
from workers.config_store import ConfigStore
from workers.offset_store import OffsetStore, partition_key
from workers.states import State, Status, TargetState, TaskId
from workers.status_store import StatusStore


def _both(tmp_path: Path) -> list[tuple[Backing, Log | None]]:
    log = Log(tmp_path / "log")
    return [(MemoryBacking(), None), (LogBacking(log, "_cfg"), log)]


def test_config_store_replays_connectors_targets_and_committed_tasks(tmp_path: Path) -> None:
    for backing, log in _both(tmp_path):
        store = ConfigStore(backing)
        store.put_connector("a", {"connector.class": "X", "k": "${env:SECRET}"}, TargetState.PAUSED)
        store.put_task_configs("a", [{"t": "0"}, {"t": "1"}])
        store.put_connector("b", {"connector.class": "Y"}, TargetState.STARTED)
        store.put_target_state("b", TargetState.STOPPED)
        store.remove_connector("b")
        again = ConfigStore(backing)
        assert again.connectors() == ["a"]
        assert again.config("a") == {"connector.class": "X", "k": "${env:SECRET}"}
        assert again.target_state("a") is TargetState.PAUSED
        assert again.task_configs("a") == [{"t": "0"}, {"t": "1"}]
        assert again.config("b") is None
        if log is not None:
            log.close()


def test_task_configs_without_commit_record_are_ignored() -> None:
    backing = MemoryBacking()
    store = ConfigStore(backing)
    store.put_connector("a", {"connector.class": "X"})
    store.put_task_configs("a", [{"t": "0"}])
    backing.entries.append((b"task-a-0", b'{"properties": {"t": "new"}}'))  # torn: no commit
    assert ConfigStore(backing).task_configs("a") == [{"t": "0"}]


def test_offset_store_keys_like_kafka_connect_and_survives_reopen(tmp_path: Path) -> None:
    log = Log(tmp_path / "log")
    store = OffsetStore(LogBacking(log, "_off"))
    store.put("c", {partition_key({"file": "/a", "x": 1}): {"pos": 10}})
    store.put("c", {partition_key({"x": 1, "file": "/a"}): {"pos": 20}})
    log.close()
    log = Log(tmp_path / "log")
    keys = [r.key for b in log.partition("_off", 0).batches() for r in b.records()]
    assert keys[0] == b'["c",{"file":"/a","x":1}]'
    again = OffsetStore(LogBacking(log, "_off"))
    assert again.get("c", {"x": 1, "file": "/a"}) == {"pos": 20}
    again.reset("c")
    assert OffsetStore(LogBacking(log, "_off")).offsets("c") == []
    log.close()


def test_status_store_tracks_states_and_topics() -> None:
    backing = MemoryBacking()
    store = StatusStore(backing)
    store.put_connector("a", Status(State.RUNNING, "w"))
    store.put_task(TaskId("a", 1), Status(State.FAILED, "w", "trace"))
    store.put_task(TaskId("a", 0), Status(State.RUNNING, "w"))
    store.add_topic("a", "orders", 0)
    again = StatusStore(backing)
    assert list(again.tasks("a")) == [0, 1]
    assert again.task(TaskId("a", 1)) == Status(State.FAILED, "w", "trace")
    assert again.topics("a") == ["orders"]
    again.remove_connector("a")
    assert StatusStore(backing).connector("a") is None
    assert StatusStore(backing).topics("a") == []
