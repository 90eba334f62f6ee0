"""Connector lifecycle through the herder: pause, resume, stop, restart, reconfigure, delete."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.workers import plugins
from tests.unit.workers.helpers import herder_on, sink, source, task_state, wait_for
from workers.exceptions import AlreadyExistsError, BadRequestError, NotFoundError
from workers.states import TargetState


def test_pause_resume_stop_and_delete_keep_offsets(tmp_path: Path) -> None:
    with herder_on(tmp_path) as herder:
        herder.put_connector_config("a", source("t", 30), allow_replace=False)
        wait_for(lambda: herder.offsets.get("a", {"source": "a"}) == {"n": 29})
        herder.pause("a")
        assert herder.status("a")["connector"]["state"] == "PAUSED"
        wait_for(lambda: task_state(herder, "a") == "PAUSED")
        herder.resume("a")
        wait_for(lambda: task_state(herder, "a") == "RUNNING")
        herder.stop("a")
        status = herder.status("a")
        assert status["connector"]["state"] == "STOPPED" and status["tasks"] == []
        assert herder.configs.task_configs("a") == []
        herder.resume("a")
        wait_for(lambda: task_state(herder, "a") == "RUNNING")
        herder.delete("a")
        with pytest.raises(NotFoundError, match="Connector a not found"):
            herder.status("a")
        assert herder.offsets.get("a", {"source": "a"}) == {"n": 29}


def test_duplicate_mismatched_name_and_invalid_config(tmp_path: Path) -> None:
    with herder_on(tmp_path) as herder:
        herder.put_connector_config("a", source("t", 1), allow_replace=False)
        with pytest.raises(AlreadyExistsError):
            herder.put_connector_config("a", source("t", 1), allow_replace=False)
        with pytest.raises(BadRequestError, match=r"\(b\) doesn't match .* URL \(c\)"):
            herder.put_connector_config("c", {**source("t"), "name": "b"}, allow_replace=True)
        with pytest.raises(BadRequestError, match="contains the following 2 error"):
            herder.put_connector_config("d", {"connector.class": "CountingSource",
                                              "count": "many"}, allow_replace=False)  # fmt: skip


def test_reconfigure_restarts_tasks_with_the_new_config(tmp_path: Path) -> None:
    with herder_on(tmp_path) as herder:
        herder.put_connector_config("r", sink("x"), allow_replace=False)
        first = herder.worker.tasks[next(iter(herder.worker.tasks))]
        created, info = herder.put_connector_config("r", sink("x", **{"tasks.max": "2"}),
                                                    allow_replace=True)  # fmt: skip
        assert not created and len(info["tasks"]) == 2
        assert first not in herder.worker.tasks.values()
        wait_for(lambda: [t["state"] for t in herder.status("r")["tasks"]] == ["RUNNING"] * 2)


def test_initial_state_and_restart_flags(tmp_path: Path) -> None:
    with herder_on(tmp_path) as herder:
        herder.put_connector_config("p", source("t", 5), allow_replace=False,
                                    initial=TargetState.PAUSED)  # fmt: skip
        wait_for(lambda: task_state(herder, "p") == "PAUSED")
        herder.put_connector_config("f", source("t", 10, **{"fail.at": "0"}),
                                    allow_replace=False)  # fmt: skip
        wait_for(lambda: task_state(herder, "f") == "FAILED")
        status = herder.restart("f", include_tasks=True, only_failed=True)
        assert status["connector"]["state"] == "RUNNING"
        assert status["tasks"][0]["state"] == "RESTARTING" and "trace" not in status["tasks"][0]
        wait_for(lambda: task_state(herder, "f") == "FAILED", what="failed again")
        with pytest.raises(NotFoundError):
            herder.restart_task("f", 3)


def test_state_survives_a_restart_of_the_hub(tmp_path: Path) -> None:
    with herder_on(tmp_path, memory=False) as herder:
        herder.put_connector_config("keep", source("k", 40), allow_replace=False)
        herder.put_connector_config("paused", source("k2", 5), allow_replace=False)
        herder.put_connector_config("stopped", sink("k"), allow_replace=False)
        wait_for(lambda: herder.offsets.get("keep", {"source": "keep"}) == {"n": 39})
        herder.pause("paused")
        herder.stop("stopped")
    plugins.COLLECTED.pop("stopped", None)
    with herder_on(tmp_path, memory=False) as herder:
        assert herder.connectors() == ["keep", "paused", "stopped"]
        assert herder.offsets.get("keep", {"source": "keep"}) == {"n": 39}
        wait_for(lambda: task_state(herder, "paused") == "PAUSED")
        assert herder.status("stopped")["connector"]["state"] == "STOPPED"
        assert task_state(herder, "keep") in ("RUNNING", "UNASSIGNED")
        wait_for(lambda: task_state(herder, "keep") == "RUNNING")
        log_size = herder.log.end_offset("k", 0)
        assert log_size == 40, "the source resumed after its committed offset: no duplicates"


def test_secrets_are_resolved_for_tasks_but_never_shown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_TOPIC_SECRET", "hidden-topic")
    with herder_on(tmp_path) as herder:
        config = source("${env:TEST_TOPIC_SECRET}", 3, secret="hunter2")
        _, info = herder.put_connector_config("s", config, allow_replace=False)
        assert info["config"]["secret"] == "[hidden]"
        assert info["config"]["topic"] == "${env:TEST_TOPIC_SECRET}"
        wait_for(lambda: herder.log.has_topic("hidden-topic"))
        tasks = herder.task_infos("s")
        assert tasks[0]["config"]["topic"] == "${env:TEST_TOPIC_SECRET}"
        assert tasks[0]["config"]["secret"] == "[hidden]"
        herder.put_connector_config("s", herder.connector_config("s"), allow_replace=True)
        assert herder.configs.config("s")["secret"] == "hunter2"
