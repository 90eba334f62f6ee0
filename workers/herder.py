"""The herder: the one place that decides what runs (Kafka Connect's herder).

REST handlers call the herder; the herder writes the desired state to the config store
first (so a restart of the hub finds it), then makes the :class:`~workers.worker.Worker`
match it, and reports statuses. It runs everything in this process (like Kafka's
standalone herder) but keeps all state on the log (like the distributed one): stop the
hub, start it again, and every connector resumes in the state it was in.

Failed tasks are restarted automatically when the connector says so
(``errors.restart.enable``): after ``errors.restart.backoff.ms``, doubling per attempt up
to ``errors.restart.backoff.max.ms``, at most ``errors.restart.max.attempts`` times.
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Mapping
from typing import Any

from connectors.api import SinkConnector
from connectors.plugins import PluginRegistry, default_registry
from hub.core_log import GroupOffsets, Log
from workers.backing import Backing, LogBacking, MemoryBacking
from workers.config_providers import ConfigProviders
from workers.config_store import CONFIGS_TOPIC, ConfigStore
from workers.connector_config import (
    framework_def,
    invalid_config_message,
    password_keys,
    validate_config,
)
from workers.exceptions import (
    AlreadyExistsError,
    BadRequestError,
    ForbiddenError,
    NotFoundError,
    connector_not_found,
)
from workers.metrics import ConnectMetrics
from workers.offset_store import OFFSETS_TOPIC, OffsetStore
from workers.states import State, Status, TargetState, TaskId
from workers.status_store import STATUS_TOPIC, StatusStore
from workers.worker import Worker

_log = logging.getLogger("workers.herder")
HIDDEN = "[hidden]"


class Herder:
    """Connector lifecycle, status and config for one hub process."""

    def __init__(
        self,
        *,
        log: Log,
        groups: GroupOffsets,
        worker_id: str,
        registry: PluginRegistry | None = None,
        backings: tuple[Backing, Backing, Backing] | None = None,
        providers: ConfigProviders | None = None,
        topic_tracking: bool = True,
        topic_tracking_allow_reset: bool = True,
    ) -> None:
        configs, offsets, statuses = backings or (
            LogBacking(log, CONFIGS_TOPIC),
            LogBacking(log, OFFSETS_TOPIC),
            LogBacking(log, STATUS_TOPIC),
        )
        self.log = log
        self.groups = groups
        self.worker_id = worker_id
        self.registry = registry or default_registry()
        self.configs = ConfigStore(configs)
        self.offsets = OffsetStore(offsets)
        self.statuses = StatusStore(statuses)
        self.metrics = ConnectMetrics(self._states, self._lags)
        self.topic_tracking = topic_tracking
        self.topic_tracking_allow_reset = topic_tracking_allow_reset
        self._lock = threading.RLock()
        self._restart_attempts: dict[TaskId, int] = {}
        self._timers: dict[TaskId, threading.Timer] = {}
        self._closed = False
        self.worker = Worker(
            worker_id=worker_id,
            log=log,
            groups=groups,
            offsets=self.offsets,
            registry=self.registry,
            metrics=self.metrics,
            listener=self,
            providers=providers,
            on_reconfigure=self._on_reconfigure,
            on_connector_error=self._on_connector_error,
            on_topic=self._on_topic,
        )

    @classmethod
    def in_memory(cls, log: Log, groups: GroupOffsets, **kwargs: Any) -> Herder:
        """A herder whose stores are the in-memory twins (unit tests)."""
        backings = (MemoryBacking(), MemoryBacking(), MemoryBacking())
        return cls(log=log, groups=groups, worker_id="test:0", backings=backings, **kwargs)

    # -- process lifecycle --------------------------------------------------------------------

    def start(self) -> None:
        """Start every stored connector in its stored target state."""
        for name in self.configs.connectors():
            with self._lock:
                self._start_connector(name)

    def close(self) -> None:
        """Stop every task (offsets committed) and connector; statuses stay as they were."""
        with self._lock:
            self._closed = True
            for timer in self._timers.values():
                timer.cancel()
            self.worker.stop_all()

    # -- status listener (called from task threads; never takes the herder lock) ---------

    def on_task_state(self, task: TaskId, state: State, trace: str | None) -> None:
        if self._closed and state is State.UNASSIGNED:
            return
        self.statuses.put_task(task, Status(state, self.worker_id, trace))
        if state is State.FAILED:
            self._maybe_schedule_restart(task)

    def _on_connector_error(self, name: str, exc: BaseException) -> None:
        trace = "".join(traceback.format_exception(exc))
        self.statuses.put_connector(name, Status(State.FAILED, self.worker_id, trace))

    def _on_reconfigure(self, name: str) -> None:
        threading.Thread(target=self._reconfigure, args=(name,), daemon=True).start()

    def _reconfigure(self, name: str) -> None:
        with self._lock:
            if name in self.worker.connectors and not self._closed:
                self._start_tasks(name, regenerate=True)

    # -- connector start/stop -----------------------------------------------------------------

    def _set_connector_status(self, name: str, state: State, trace: str | None = None) -> None:
        self.statuses.put_connector(name, Status(state, self.worker_id, trace))

    def _stop_everything(self, name: str) -> None:
        self.worker.stop_tasks(self.worker.tasks_of(name))
        self.worker.stop_connector(name)

    def _start_connector(self, name: str) -> None:
        """(Re)start a connector and its tasks to match the stored config and target."""
        self._stop_everything(name)
        raw = self.configs.config(name)
        if raw is None:
            return
        target = self.configs.target_state(name)
        if target is TargetState.STOPPED:
            self._enter_stopped(name)
            return
        try:
            self.worker.start_connector(name, raw)
        except Exception as exc:
            self._set_connector_status(name, State.FAILED, "".join(traceback.format_exception(exc)))
            return
        running = State.PAUSED if target is TargetState.PAUSED else State.RUNNING
        self._set_connector_status(name, running)
        self._start_tasks(name, regenerate=True)

    def _enter_stopped(self, name: str) -> None:
        if self.configs.task_configs(name):
            self.configs.put_task_configs(name, [])
        for task in self.statuses.tasks(name):
            self.statuses.remove_task(TaskId(name, task))
        self._set_connector_status(name, State.STOPPED)

    def _start_tasks(self, name: str, *, regenerate: bool) -> None:
        """Start the connector's tasks, regenerating (and storing) their configs first."""
        configs = self.configs.task_configs(name)
        if regenerate:
            try:
                fresh = self.worker.task_configs(name)
            except Exception as exc:
                self._set_connector_status(
                    name, State.FAILED, "".join(traceback.format_exception(exc))
                )
                return
            if fresh != configs:
                self.worker.stop_tasks(self.worker.tasks_of(name))
                self.configs.put_task_configs(name, fresh)
                configs = fresh
        for stale in self.statuses.tasks(name):
            if stale >= len(configs):
                self.statuses.remove_task(TaskId(name, stale))
        for index in range(len(configs)):
            task_id = TaskId(name, index)
            if task_id not in self.worker.tasks:
                self._start_task(task_id, configs[index], len(configs))

    def _start_task(self, task_id: TaskId, config: Mapping[str, str], count: int) -> None:
        raw = self.configs.config(task_id.connector) or {}
        target = self.configs.target_state(task_id.connector)
        self.statuses.put_task(task_id, Status(State.UNASSIGNED, self.worker_id))
        try:
            self.worker.start_task(task_id, raw, config, target, count)
        except Exception as exc:
            self.on_task_state(task_id, State.FAILED, "".join(traceback.format_exception(exc)))

    # -- automatic restarts ---------------------------------------------------------------

    def _maybe_schedule_restart(self, task: TaskId) -> None:
        raw = self.configs.config(task.connector)
        if raw is None or self._closed:
            return
        try:
            parsed = framework_def(False).parse({**raw, "connector.class": "x"})
        except Exception:
            return
        if not parsed["errors.restart.enable"]:
            return
        attempt = self._restart_attempts.get(task, 0)
        limit = int(parsed["errors.restart.max.attempts"])
        if limit != -1 and attempt >= limit:
            _log.warning("task %s failed %d times; not restarting it again", task, attempt)
            return
        delay_ms = min(
            int(parsed["errors.restart.backoff.ms"]) * 2**attempt,
            int(parsed["errors.restart.backoff.max.ms"]),
        )
        self._restart_attempts[task] = attempt + 1
        timer = threading.Timer(delay_ms / 1000, self._auto_restart, args=(task,))
        timer.daemon = True
        self._timers[task] = timer
        timer.start()

    def _auto_restart(self, task: TaskId) -> None:
        with self._lock:
            self._timers.pop(task, None)
            status = self.statuses.task(task)
            if self._closed or status is None or status.state is not State.FAILED:
                return
            _log.info("restarting failed task %s automatically", task)
            self._restart_task(task)

    # -- REST operations ------------------------------------------------------------------

    def require(self, name: str) -> dict[str, str]:
        """The raw config of ``name``; NotFoundError (404) if there is no such connector."""
        config = self.configs.config(name)
        if config is None:
            raise connector_not_found(name)
        return config

    # -- active topics (KIP-558) ---------------------------------------------------------

    def _on_topic(self, connector: str, topic: str, task: int) -> None:
        if self.topic_tracking:  # Kafka records nothing when tracking is off
            self.statuses.add_topic(connector, topic, task)

    def _require_tracking(self, reset: bool) -> None:
        if not self.topic_tracking:
            msg = "Topic tracking is disabled."
            raise ForbiddenError(msg)
        if reset and not self.topic_tracking_allow_reset:
            msg = "Topic tracking reset is disabled."
            raise ForbiddenError(msg)

    def active_topics(self, name: str) -> list[str]:
        """Topics ``name`` used since the last reset; 403 when tracking is disabled."""
        self._require_tracking(reset=False)
        self.require(name)
        return self.statuses.topics(name)

    def reset_active_topics(self, name: str) -> None:
        """Forget the topics ``name`` used; 403 when tracking or its reset is disabled."""
        self._require_tracking(reset=True)
        self.require(name)
        self.statuses.reset_topics(name)

    def connectors(self) -> list[str]:
        return self.configs.connectors()

    def validate(self, config: Mapping[str, Any]) -> dict[str, Any]:
        """ConfigInfos for the validate endpoint (never raises for invalid configs)."""
        result = validate_config(self.registry, config)
        return result.infos(str(config.get("connector.class") or ""))

    def put_connector_config(
        self,
        name: str,
        config: Mapping[str, Any],
        *,
        allow_replace: bool,
        initial: TargetState | None = None,
    ) -> tuple[bool, dict[str, Any]]:
        """Create or update; returns (created, ConnectorInfo). Tasks restart with the new config."""
        config = {k: _string(v) for k, v in config.items()}
        config.setdefault("name", name)
        if config["name"] != name:
            msg = (
                f"Connector name configuration ({config['name']}) doesn't match connector "
                f"name in the URL ({name})"
            )
            raise BadRequestError(msg)
        with self._lock:
            old = self.configs.config(name)
            if old is not None and not allow_replace:
                msg = f"Connector {name} already exists"
                raise AlreadyExistsError(msg)
            result = validate_config(self.registry, config)
            config = self._keep_hidden_passwords(config, old, password_keys(result.definition))
            if result.errors:
                connector_type = str(config.get("connector.class") or "").rsplit(".", 1)[-1]
                raise BadRequestError(invalid_config_message(result.errors, connector_type))
            target = (initial or TargetState.STARTED) if old is None else None
            self.configs.put_connector(name, config, target)
            for task in [t for t in self._restart_attempts if t.connector == name]:
                del self._restart_attempts[task]
            self._start_connector(name)
            info = self.connector_info(name)
        if old is None:
            info["tasks"] = []
        return old is None, info

    @staticmethod
    def _keep_hidden_passwords(
        config: dict[str, str], old: dict[str, str] | None, secret_keys: set[str]
    ) -> dict[str, str]:
        """A ``[hidden]`` password sent back unchanged (GET, edit, PUT) keeps the stored value."""
        if old is None:
            return config
        return {
            k: old[k] if v == HIDDEN and k in secret_keys and k in old else v
            for k, v in config.items()
        }

    def _secret_keys(self, config: Mapping[str, str]) -> set[str]:
        try:
            cls = self.registry.connector_class(str(config.get("connector.class") or ""))
            return password_keys(cls().config_def())
        except Exception:
            return set()

    def masked(self, config: Mapping[str, str]) -> dict[str, str]:
        """A config as shown by the REST API: PASSWORD values hidden unless a placeholder."""
        secret = self._secret_keys(config)
        return {k: HIDDEN if k in secret and "${" not in v else v for k, v in config.items()}

    def connector_config(self, name: str) -> dict[str, str]:
        return self.masked(self.require(name))

    def connector_type(self, name: str) -> str:
        try:
            cls = self.registry.connector_class(str(self.require(name)["connector.class"]))
        except NotFoundError:
            raise
        except Exception:
            return "unknown"
        return "sink" if issubclass(cls, SinkConnector) else "source"

    def connector_info(self, name: str) -> dict[str, Any]:
        config = self.connector_config(name)
        tasks = [
            {"connector": name, "task": i} for i in range(len(self.configs.task_configs(name)))
        ]
        return {"name": name, "config": config, "tasks": tasks, "type": self.connector_type(name)}

    def task_infos(self, name: str) -> list[dict[str, Any]]:
        self.require(name)
        return [
            {"id": {"connector": name, "task": i}, "config": self.masked(c)}
            for i, c in enumerate(self.configs.task_configs(name))
        ]

    def status(self, name: str) -> dict[str, Any]:
        self.require(name)
        conn = self.statuses.connector(name) or Status(State.UNASSIGNED, self.worker_id)
        tasks = []
        if self.configs.target_state(name) is not TargetState.STOPPED:
            known = self.statuses.tasks(name)
            for i in range(len(self.configs.task_configs(name))):
                st = known.get(i) or Status(State.UNASSIGNED, self.worker_id)
                tasks.append({"id": i, **st.to_json()})
        return {
            "name": name,
            "connector": conn.to_json(),
            "tasks": tasks,
            "type": self.connector_type(name),
        }

    def task_status(self, name: str, task: int) -> dict[str, Any]:
        self.require(name)
        status = self.statuses.task(TaskId(name, task))
        if status is None or task >= len(self.configs.task_configs(name)):
            msg = f"No status found for task {name}-{task}"
            raise NotFoundError(msg)
        return {"id": task, **status.to_json()}

    def progress(self, name: str) -> dict[str, Any]:
        """Progress of long work per task (``GET /connectors/{n}/progress``, cdchub)."""
        self.require(name)
        tasks = []
        for task_id in self.worker.tasks_of(name):
            task = self.worker.tasks.get(task_id)
            tasks.append({"id": task_id.task, "progress": task.progress() if task else None})
        return {"name": name, "tasks": tasks}

    def pause(self, name: str) -> None:
        with self._lock:
            self.require(name)
            if self.configs.target_state(name) is TargetState.STOPPED:
                self.configs.put_target_state(name, TargetState.PAUSED)
                self._start_connector(name)
                return
            self.configs.put_target_state(name, TargetState.PAUSED)
            self.worker.set_target_state(name, TargetState.PAUSED)
            if name in self.worker.connectors:
                self._set_connector_status(name, State.PAUSED)

    def resume(self, name: str) -> None:
        with self._lock:
            self.require(name)
            previous = self.configs.target_state(name)
            self.configs.put_target_state(name, TargetState.STARTED)
            if previous is TargetState.STOPPED or name not in self.worker.connectors:
                self._start_connector(name)
                return
            self.worker.set_target_state(name, TargetState.STARTED)
            self._set_connector_status(name, State.RUNNING)

    def stop(self, name: str) -> None:
        with self._lock:
            self.require(name)
            self.configs.put_target_state(name, TargetState.STOPPED)
            self._stop_everything(name)
            self._enter_stopped(name)

    def delete(self, name: str) -> None:
        """Remove the connector; its source offsets and sink group offsets are kept."""
        with self._lock:
            self.require(name)
            self._stop_everything(name)
            self.configs.remove_connector(name)
            self.statuses.remove_connector(name)

    def restart_connector(self, name: str) -> None:
        """Legacy restart (no flags): restart the Connector instance only."""
        with self._lock:
            self.require(name)
            if self.configs.target_state(name) is TargetState.STOPPED:
                return
            self.worker.stop_connector(name)
            try:
                self.worker.start_connector(name, self.require(name))
            except Exception as exc:
                self._set_connector_status(
                    name, State.FAILED, "".join(traceback.format_exception(exc))
                )
                return
            target = self.configs.target_state(name)
            self._set_connector_status(
                name, State.PAUSED if target is TargetState.PAUSED else State.RUNNING
            )
            self._start_tasks(name, regenerate=True)

    def restart(self, name: str, *, include_tasks: bool, only_failed: bool) -> dict[str, Any]:
        """KIP-745 restart: returns the status with the instances to restart as RESTARTING."""
        with self._lock:
            status = self.status(name)
            conn_failed = status["connector"]["state"] == State.FAILED
            restart_conn = conn_failed or not only_failed
            tasks = [
                t["id"]
                for t in status["tasks"]
                if include_tasks and (t["state"] == State.FAILED or not only_failed)
            ]
            if restart_conn:
                status["connector"] = {"state": State.RESTARTING.value, "worker_id": self.worker_id}
            for t in status["tasks"]:
                if t["id"] in tasks:
                    t["state"] = State.RESTARTING.value
                    t.pop("trace", None)
        threading.Thread(
            target=self._do_restart, args=(name, restart_conn, tasks), daemon=True
        ).start()
        return status

    def _do_restart(self, name: str, restart_conn: bool, tasks: list[int]) -> None:
        with self._lock:
            if self.configs.config(name) is None:
                return
            for task in tasks:
                self.statuses.put_task(TaskId(name, task), Status(State.RESTARTING, self.worker_id))
            if restart_conn:
                self.restart_connector(name)
            for task in tasks:
                self._restart_task(TaskId(name, task))

    def restart_task(self, name: str, task: int) -> None:
        with self._lock:
            self.require(name)
            configs = self.configs.task_configs(name)
            if task >= len(configs) or task < 0:
                msg = f"Task {name}-{task} not found"
                raise NotFoundError(msg)
            self._restart_attempts.pop(TaskId(name, task), None)
            self._restart_task(TaskId(name, task))

    def _restart_task(self, task_id: TaskId) -> None:
        configs = self.configs.task_configs(task_id.connector)
        if task_id.task >= len(configs):
            return
        self.worker.stop_tasks([task_id])
        self._start_task(task_id, configs[task_id.task], len(configs))

    # -- metrics sources ------------------------------------------------------------------

    def _states(self) -> list[tuple[str, int | None, State]]:
        out: list[tuple[str, int | None, State]] = []
        for name in self.configs.connectors():
            conn = self.statuses.connector(name)
            if conn is not None:
                out.append((name, None, conn.state))
            out += [(name, i, s.state) for i, s in self.statuses.tasks(name).items()]
        return out

    def _lags(self) -> list[tuple[str, int, str, int, int]]:
        return [
            (t.connector, t.task, topic, p, lag)
            for t, task in list(self.worker.tasks.items())
            for topic, p, lag in task.lag()
        ]


def _string(value: Any) -> str:
    """Kafka configs are string maps; JSON numbers and booleans are accepted and converted."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else "" if value is None else str(value)
