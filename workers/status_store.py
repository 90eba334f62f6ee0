"""Connector and task statuses, and active topics, on ``_hub_status``.

Keys as in Kafka Connect: ``status-connector-<name>``, ``status-task-<name>-<n>`` ->
``{"state", "trace", "worker_id", "generation"}``, and
``status-topic-<topic>:connector-<name>`` -> ``{"topic": {"name", "connector", "task",
"discoverTimestamp"}}`` for the topics a connector used (KIP-558).
"""

from __future__ import annotations

import threading
import time
from typing import Any

from workers.backing import Backing, decode, encode
from workers.states import Status, TaskId

STATUS_TOPIC = "_hub_status"


class StatusStore:
    """Latest status per connector and task; active topics per connector."""

    def __init__(self, backing: Backing) -> None:
        self._backing = backing
        self._lock = threading.Lock()
        self._connectors: dict[str, Status] = {}
        self._tasks: dict[TaskId, Status] = {}
        self._topics: dict[str, dict[str, int]] = {}
        for key, value in backing.replay():
            self._apply(key.decode(), decode(value))

    def _apply(self, key: str, value: Any) -> None:
        if key.startswith("status-connector-"):
            name = key.removeprefix("status-connector-")
            _set(self._connectors, name, value)
        elif key.startswith("status-task-"):
            name, _, index = key.removeprefix("status-task-").rpartition("-")
            _set(self._tasks, TaskId(name, int(index)), value)
        elif key.startswith("status-topic-"):
            topic, _, connector = key.removeprefix("status-topic-").rpartition(":connector-")
            topics = self._topics.setdefault(connector, {})
            if value is None:
                topics.pop(topic, None)
            else:
                topics[topic] = int(value["topic"].get("discoverTimestamp", 0))

    def _write(self, key: str, value: Any) -> None:
        with self._lock:
            self._backing.write([(key.encode(), None if value is None else encode(value))])
            self._apply(key, value)

    def put_connector(self, name: str, status: Status) -> None:
        self._write(f"status-connector-{name}", status.to_record())

    def put_task(self, task: TaskId, status: Status) -> None:
        self._write(f"status-task-{task}", status.to_record())

    def connector(self, name: str) -> Status | None:
        return self._connectors.get(name)

    def task(self, task: TaskId) -> Status | None:
        return self._tasks.get(task)

    def tasks(self, name: str) -> dict[int, Status]:
        return {
            t.task: s
            for t, s in sorted(self._tasks.items(), key=lambda i: i[0].task)
            if t.connector == name
        }

    def remove_task(self, task: TaskId) -> None:
        if task in self._tasks:
            self._write(f"status-task-{task}", None)

    def remove_connector(self, name: str) -> None:
        """Drop every status of a deleted connector (topics too)."""
        for task in [t for t in list(self._tasks) if t.connector == name]:
            self.remove_task(task)
        if name in self._connectors:
            self._write(f"status-connector-{name}", None)
        self.reset_topics(name)

    def add_topic(self, connector: str, topic: str, task: int) -> None:
        """Remember that ``connector`` used ``topic`` (written once per pair)."""
        if topic in self._topics.get(connector, {}):
            return
        value = {
            "topic": {
                "name": topic,
                "connector": connector,
                "task": task,
                "discoverTimestamp": int(time.time() * 1000),
            }
        }
        self._write(f"status-topic-{topic}:connector-{connector}", value)

    def topics(self, connector: str) -> list[str]:
        return sorted(self._topics.get(connector, {}))

    def reset_topics(self, connector: str) -> None:
        for topic in list(self._topics.get(connector, {})):
            self._write(f"status-topic-{topic}:connector-{connector}", None)


def _set(table: dict[Any, Status], key: Any, value: Any) -> None:
    if value is None:
        table.pop(key, None)
    else:
        table[key] = Status.from_record(value)
