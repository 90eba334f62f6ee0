"""Shared helpers for runtime tests: a herder over a temp log, polling waits."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from hub.core_log import GroupOffsets, Log
from tests.unit.workers import plugins
from workers.herder import Herder


def wait_for(cond: Callable[[], Any], timeout: float = 10.0, what: str = "condition") -> Any:
    """Poll ``cond`` until truthy; fail the test with ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = cond()
        if value:
            return value
        if time.monotonic() > deadline:
            msg = f"timed out waiting for {what}"
            raise AssertionError(msg)
        time.sleep(0.02)


@contextmanager
def herder_on(path: Path, *, memory: bool = True, **kwargs: Any) -> Iterator[Herder]:
    """A started herder over a log in ``path`` (in-memory stores unless ``memory=False``)."""
    log = Log(path)
    groups = GroupOffsets(log)
    if memory:
        herder = Herder.in_memory(log, groups, registry=plugins.registry(), **kwargs)
    else:
        herder = Herder(log=log, groups=groups, worker_id="w:1", registry=plugins.registry(),
                        **kwargs)  # fmt: skip
    herder.start()
    try:
        yield herder
    finally:
        herder.close()
        log.close()


def task_state(herder: Herder, name: str, task: int = 0) -> str | None:
    tasks = herder.status(name)["tasks"]
    return tasks[task]["state"] if len(tasks) > task else None


SCHEMALESS = {"value.converter.schemas.enable": "false", "key.converter.schemas.enable": "false"}


def source(topic: str, count: int = 50, **extra: str) -> dict[str, str]:
    """Config of a counting source."""
    return {"connector.class": "CountingSource", "topic": topic, "count": str(count),
            **SCHEMALESS, **extra}  # fmt: skip


def sink(topics: str, **extra: str) -> dict[str, str]:
    """Config of a collecting sink."""
    return {"connector.class": "CollectingSink", "topics": topics, **SCHEMALESS, **extra}
