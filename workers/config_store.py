"""Connector configs, target states and task configs, on ``_hub_configs``.

Record keys and values follow Kafka Connect's config topic (COMPAT 1.5) so the layout is
familiar: ``connector-<name>`` -> ``{"properties": {...}}`` (tombstone = deleted),
``task-<name>-<n>`` -> ``{"properties": {...}}``, ``commit-<name>`` -> ``{"tasks": N}`` (the
task configs written before it become valid together) and ``target-state-<name>`` ->
``{"state": ..., "state.v2": ...}``. Configs are stored raw: ``${env:...}`` placeholders
stay placeholders, secrets are resolved only when a connector or task starts.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence

from workers.backing import Backing, Entry, decode, encode
from workers.states import TargetState

CONFIGS_TOPIC = "_hub_configs"


class ConfigStore:
    """The current connector configs, rebuilt from a :class:`Backing` at construction."""

    def __init__(self, backing: Backing) -> None:
        self._backing = backing
        self._lock = threading.Lock()
        self._configs: dict[str, dict[str, str]] = {}
        self._targets: dict[str, TargetState] = {}
        self._tasks: dict[str, list[dict[str, str]]] = {}
        self._pending: dict[str, dict[int, dict[str, str]]] = {}
        for key, value in backing.replay():
            self._apply(key.decode(), decode(value))

    def _apply(self, key: str, value: object) -> None:
        if key.startswith("connector-"):
            self._apply_connector(key.removeprefix("connector-"), value)
        elif key.startswith("target-state-") and isinstance(value, dict):
            name = key.removeprefix("target-state-")
            self._targets[name] = TargetState(value.get("state.v2") or value["state"])
        elif key.startswith("task-") and isinstance(value, dict):
            name, _, index = key.removeprefix("task-").rpartition("-")
            self._pending.setdefault(name, {})[int(index)] = dict(value["properties"])
        elif key.startswith("commit-") and isinstance(value, dict):
            self._apply_commit(key.removeprefix("commit-"), int(value["tasks"]))

    def _apply_connector(self, name: str, value: object) -> None:
        if value is None:
            for table in (self._configs, self._targets, self._tasks, self._pending):
                table.pop(name, None)
        elif isinstance(value, dict):
            self._configs[name] = dict(value["properties"])

    def _apply_commit(self, name: str, count: int) -> None:
        pending = self._pending.pop(name, {})
        self._tasks[name] = [pending[i] for i in range(count) if i in pending]

    def _write(self, entries: Sequence[tuple[str, object]]) -> None:
        raw: list[Entry] = [(k.encode(), None if v is None else encode(v)) for k, v in entries]
        with self._lock:
            self._backing.write(raw)
            for key, value in entries:
                self._apply(key, value)

    def connectors(self) -> list[str]:
        """Names of every configured connector, sorted."""
        return sorted(self._configs)

    def contains(self, name: str) -> bool:
        return name in self._configs

    def config(self, name: str) -> dict[str, str] | None:
        """The raw (unresolved) config, or None for an unknown connector."""
        found = self._configs.get(name)
        return dict(found) if found is not None else None

    def target_state(self, name: str) -> TargetState:
        return self._targets.get(name, TargetState.STARTED)

    def task_configs(self, name: str) -> list[dict[str, str]]:
        return [dict(t) for t in self._tasks.get(name, [])]

    def put_connector(
        self, name: str, config: Mapping[str, str], target: TargetState | None = None
    ) -> None:
        """Create or replace a connector's config (and optionally its target state)."""
        entries: list[tuple[str, object]] = [(f"connector-{name}", {"properties": dict(config)})]
        if target is not None:
            entries.append((f"target-state-{name}", _target_record(target)))
        self._write(entries)

    def put_target_state(self, name: str, target: TargetState) -> None:
        self._write([(f"target-state-{name}", _target_record(target))])

    def put_task_configs(self, name: str, configs: Sequence[Mapping[str, str]]) -> None:
        """Replace the task configs of ``name`` atomically (tasks, then the commit record)."""
        entries: list[tuple[str, object]] = [
            (f"task-{name}-{i}", {"properties": dict(c)}) for i, c in enumerate(configs)
        ]
        entries.append((f"commit-{name}", {"tasks": len(configs)}))
        self._write(entries)

    def remove_connector(self, name: str) -> None:
        """Delete the connector (tombstones); its source offsets are kept elsewhere."""
        count = len(self._tasks.get(name, []))
        entries: list[tuple[str, object]] = [(f"task-{name}-{i}", None) for i in range(count)]
        entries += [(f"target-state-{name}", None), (f"commit-{name}", None)]
        entries.append((f"connector-{name}", None))
        self._write(entries)


def _target_record(target: TargetState) -> dict[str, str]:
    legacy = "PAUSED" if target is TargetState.PAUSED else "STARTED"
    return {"state": legacy, "state.v2": target.value}
