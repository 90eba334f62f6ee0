"""The Worker: creates connector instances and task threads from stored configs.

The worker knows nothing about REST or persistence of configs; the herder
(:mod:`workers.herder`) decides what runs and tells the worker. The worker resolves config
providers when an instance starts, builds converters and transforms, wires error
reporters (log, dead letter queue) and metrics, and reports status changes back.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from connectors.api import (
    Connector,
    OffsetStorageReader,
    SinkConnector,
    SinkConnectorContext,
    SourceConnectorContext,
)
from connectors.plugins import PluginRegistry
from hub.core_log import GroupOffsets, Log
from workers.config_providers import ConfigProviders, reverse_transform
from workers.connector_config import framework_def, topic_creation_configs
from workers.dlq import DeadLetterQueueReporter
from workers.errors import ErrorSettings
from workers.metrics import ConnectMetrics
from workers.offset_store import OffsetStore
from workers.sink_task import WorkerSinkTask
from workers.source_task import WorkerSourceTask, _OffsetReader
from workers.states import State, TargetState, TaskId
from workers.task import Plugins, TaskListener, TaskSetup, WorkerTask

_log = logging.getLogger("workers.worker")
STOP_TIMEOUT_S = 10.0


class _ConnectorContext(SourceConnectorContext, SinkConnectorContext):
    def __init__(self, name: str, worker: Worker) -> None:
        self.name = name
        self.worker = worker

    def request_task_reconfiguration(self) -> None:
        self.worker.on_reconfigure(self.name)

    def raise_error(self, error: Exception) -> None:
        self.worker.on_connector_error(self.name, error)

    def offset_storage_reader(self) -> OffsetStorageReader:
        return _OffsetReader(self.worker.offsets, self.name)


@dataclass
class RunningConnector:
    """A started connector instance and the resolved config it started with."""

    instance: Connector
    raw: dict[str, str]
    resolved: dict[str, str]


class Worker:
    """Runs connector instances (on the caller's thread) and tasks (one thread each)."""

    def __init__(
        self,
        *,
        worker_id: str,
        log: Log,
        groups: GroupOffsets,
        offsets: OffsetStore,
        registry: PluginRegistry,
        metrics: ConnectMetrics,
        listener: TaskListener,
        providers: ConfigProviders | None = None,
        on_reconfigure: Callable[[str], None] = lambda name: None,
        on_connector_error: Callable[[str, BaseException], None] = lambda name, exc: None,
        on_topic: Callable[[str, str, int], None] = lambda c, t, i: None,
    ) -> None:
        self.worker_id = worker_id
        self.log = log
        self.groups = groups
        self.offsets = offsets
        self.registry = registry
        self.metrics = metrics
        self.listener = listener
        self.providers = providers or ConfigProviders()
        self.on_reconfigure = on_reconfigure
        self.on_connector_error = on_connector_error
        self.on_topic = on_topic
        self.connectors: dict[str, RunningConnector] = {}
        self.tasks: dict[TaskId, WorkerTask] = {}
        self._lock = threading.RLock()

    # -- connectors -------------------------------------------------------------------------

    def start_connector(self, name: str, raw: Mapping[str, str]) -> Connector:
        """Instantiate and start a connector; raises on any failure (the herder reports it)."""
        resolved = self.providers.resolve(raw)
        cls = self.registry.connector_class(str(resolved["connector.class"]))
        instance: Connector = cls()
        instance.initialize(_ConnectorContext(name, self))
        instance.start(resolved)
        with self._lock:
            self.connectors[name] = RunningConnector(instance, dict(raw), resolved)
        return instance

    def task_configs(self, name: str) -> list[dict[str, str]]:
        """Ask the running connector for task configs (placeholders put back)."""
        running = self.connectors[name]
        max_tasks = int(running.resolved.get("tasks.max") or 1)
        generated = running.instance.task_configs(max_tasks)
        if len(generated) > max_tasks:
            msg = (
                f"Connector {name} produced {len(generated)} task configs but tasks.max is "
                f"{max_tasks}; fix the connector or raise tasks.max."
            )
            raise RuntimeError(msg)
        task_class = running.instance.task_class()
        out = []
        for config in generated:
            config = reverse_transform(running.raw, running.resolved, config)
            config.setdefault("task.class", f"{task_class.__module__}.{task_class.__qualname__}")
            out.append(config)
        return out

    def is_sink(self, name: str) -> bool:
        running = self.connectors.get(name)
        return running is not None and isinstance(running.instance, SinkConnector)

    def stop_connector(self, name: str) -> None:
        with self._lock:
            running = self.connectors.pop(name, None)
        if running is not None:
            try:
                running.instance.stop()
            except Exception:
                _log.exception("connector %s failed while stopping", name)

    # -- tasks ------------------------------------------------------------------------------

    def start_task(
        self,
        task_id: TaskId,
        raw_connector_config: Mapping[str, str],
        raw_task_config: Mapping[str, str],
        target: TargetState,
        task_count: int,
    ) -> WorkerTask:
        """Build and start a task thread; raises if it cannot even be built."""
        cfg = self.providers.resolve(raw_connector_config)
        task_cfg = self.providers.resolve(raw_task_config)
        cls = self.registry.connector_class(str(cfg["connector.class"]))
        is_sink = issubclass(cls, SinkConnector)
        parsed = framework_def(is_sink).parse(cfg)
        errors = ErrorSettings.from_config(parsed)
        task_class = cls().task_class()
        metrics = self.metrics.task(task_id.connector, task_id.task)
        setup = TaskSetup(
            task_id,
            dict(cfg),
            task_cfg,
            task_class,
            Plugins.build(self.registry, cfg),
            errors,
            metrics,
            int(parsed["offset.flush.interval.ms"]),
            self.worker_id,
        )
        reporters = self._reporters(task_id, errors, metrics.dlq.inc)
        listener = _CurrentOnly(self, task_id, self.listener)
        task: WorkerTask
        if is_sink:
            task = WorkerSinkTask(
                setup,
                target,
                listener,
                log=self.log,
                groups=self.groups,
                task_count=task_count,
                reporters=reporters,
                on_topic=lambda t: self.on_topic(task_id.connector, t, task_id.task),
            )
        else:
            task = WorkerSourceTask(
                setup,
                target,
                listener,
                log=self.log,
                offsets=self.offsets,
                topic_partitions=int(parsed["topic.creation.default.partitions"]),
                topic_configs=topic_creation_configs(cfg),
                reporters=reporters,
                on_topic=lambda t: self.on_topic(task_id.connector, t, task_id.task),
            )
        listener.instance = task
        with self._lock:
            self.tasks[task_id] = task
        task.start()
        return task

    def _reporters(
        self, task_id: TaskId, errors: ErrorSettings, on_write: Callable[[int], None]
    ) -> list[Any]:
        if not errors.dlq_topic:
            return []
        return [
            DeadLetterQueueReporter(
                self.log,
                errors.dlq_topic,
                task_id.connector,
                task_id.task,
                context_headers=errors.dlq_context_headers,
                on_write=on_write,
            )
        ]

    def stop_tasks(self, task_ids: list[TaskId]) -> list[TaskId]:
        """Stop tasks (all signalled first, then joined); returns those that would not stop."""
        with self._lock:
            stopping = [(t, self.tasks.pop(t)) for t in task_ids if t in self.tasks]
        for _, task in stopping:
            task.stop()
        stuck = []
        for task_id, task in stopping:
            if not task.join(STOP_TIMEOUT_S):
                _log.error(
                    "task %s did not stop within %.0f s; abandoning its thread",
                    task_id,
                    STOP_TIMEOUT_S,
                )
                stuck.append(task_id)
            self.metrics.remove(task_id.connector, task_id.task)
        return stuck

    def tasks_of(self, name: str) -> list[TaskId]:
        return sorted((t for t in list(self.tasks) if t.connector == name), key=lambda t: t.task)

    def set_target_state(self, name: str, target: TargetState) -> None:
        for task_id in self.tasks_of(name):
            task = self.tasks.get(task_id)
            if task is not None:
                task.transition_to(target)

    def stop_all(self) -> None:
        self.stop_tasks(list(self.tasks))
        for name in list(self.connectors):
            self.stop_connector(name)


class _CurrentOnly:
    """Forwards a task's status only while it is the worker's current instance of that id.

    A task being replaced (restart, reconfigure) reports UNASSIGNED as it stops; that late
    report must not overwrite its successor's status.
    """

    def __init__(self, worker: Worker, task_id: TaskId, listener: TaskListener) -> None:
        self.worker = worker
        self.task_id = task_id
        self.listener = listener
        self.instance: WorkerTask | None = None

    def on_task_state(self, task: TaskId, state: State, trace: str | None) -> None:
        if self.worker.tasks.get(self.task_id) is self.instance:
            self.listener.on_task_state(task, state, trace)
