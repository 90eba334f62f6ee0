"""HubServices: one log per process, closers in reverse order, close is idempotent."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.config import HubConfig
from hub.core_log import Log, LogDirLockedError
from hub.services import HubServices


def test_closers_run_in_reverse_then_the_log_closes(tmp_path: Path) -> None:
    services = HubServices.open(HubConfig(data_dir=tmp_path))
    calls: list[str] = []
    services.on_close(lambda: calls.append("first"))

    def failing() -> None:
        calls.append("failing")
        raise RuntimeError("boom")

    def writes_to_the_log() -> None:
        services.log.create_topic("written-at-shutdown")  # the log is still open for closers
        calls.append("last")

    services.on_close(failing)
    services.on_close(writes_to_the_log)
    services.close()
    assert calls == ["last", "failing", "first"]  # a failure does not stop the rest
    assert services.closed
    with Log(tmp_path) as log:  # the lock was released, and the closer's write is durable
        assert log.has_topic("written-at-shutdown")
    services.close()  # idempotent
    assert calls == ["last", "failing", "first"]
    with pytest.raises(RuntimeError, match="already closed"):
        services.on_close(lambda: None)


def test_one_hub_per_data_dir(tmp_path: Path) -> None:
    with HubServices.open(HubConfig(data_dir=tmp_path)) as services:
        services.log.create_topic("kept")
        with pytest.raises(LogDirLockedError):
            HubServices.open(HubConfig(data_dir=tmp_path))
    with HubServices.open(HubConfig(data_dir=tmp_path)) as again:
        assert again.log.has_topic("kept")
        assert again.groups.list_groups() == []
