"""The thread that runs one task: lifecycle, pause/resume, status reporting.

:class:`WorkerTask` owns the loop; subclasses (:class:`~workers.source_task.WorkerSourceTask`,
:class:`~workers.sink_task.WorkerSinkTask`) implement one iteration. Status changes go to a
:class:`TaskListener` (the herder), which writes them to ``_hub_status``. A task that raises
is FAILED with the trace; it is never restarted here (that is the herder's decision).
"""

from __future__ import annotations

import logging
import threading
import traceback
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from connectors.api import Converter, HeaderConverter, PluginType, TransformationChain
from connectors.plugins import PluginRegistry, build_chain, converter_from_config
from workers.connector_config import (
    DEFAULT_HEADER_CONVERTER,
    DEFAULT_KEY_CONVERTER,
    DEFAULT_VALUE_CONVERTER,
)
from workers.errors import ErrorSettings
from workers.metrics import TaskMetrics
from workers.retry import RetryStreak
from workers.states import State, TargetState, TaskId

_log = logging.getLogger("workers.task")


class TaskListener(Protocol):
    """Told about every status change of a task (the herder implements it)."""

    def on_task_state(self, task: TaskId, state: State, trace: str | None) -> None: ...


@dataclass
class Plugins:
    """A task's converters and transformation chain, built from its connector config."""

    key_converter: Converter
    value_converter: Converter
    header_converter: HeaderConverter
    chain: TransformationChain[Any]

    @classmethod
    def build(cls, registry: PluginRegistry, config: Mapping[str, Any]) -> Plugins:
        key = converter_from_config(
            config, "key.converter", is_key=True, default=DEFAULT_KEY_CONVERTER, registry=registry
        )
        value = converter_from_config(
            config,
            "value.converter",
            is_key=False,
            default=DEFAULT_VALUE_CONVERTER,
            registry=registry,
        )
        name = str(config.get("header.converter") or DEFAULT_HEADER_CONVERTER)
        header: HeaderConverter = registry.resolve(PluginType.HEADER_CONVERTER, name)()
        header.configure(
            {
                k.removeprefix("header.converter."): v
                for k, v in config.items()
                if k.startswith("header.converter.")
            }
        )
        return cls(key, value, header, build_chain(config, registry))

    def close(self) -> None:
        for plugin in (self.key_converter, self.value_converter, self.header_converter, self.chain):
            try:
                plugin.close()
            except Exception:
                _log.exception("closing %r failed", plugin)


@dataclass
class TaskSetup:
    """What the worker hands a task: identity, configs (resolved), plugins, policies."""

    id: TaskId
    connector_config: dict[str, Any]
    task_config: dict[str, str]
    task_class: type
    plugins: Plugins
    errors: ErrorSettings
    metrics: TaskMetrics
    commit_interval_ms: int
    worker_id: str


class WorkerTask(ABC):
    """One task on its own thread; pause, resume and stop are safe from any thread."""

    def __init__(self, setup: TaskSetup, target: TargetState, listener: TaskListener) -> None:
        self.setup = setup
        self.id = setup.id
        self.listener = listener
        self.stopping = threading.Event()
        self.wake = threading.Event()
        """Set on pause and stop: ends a retry backoff early."""
        self._resumed = threading.Event()
        self._paused = target is TargetState.PAUSED
        if not self._paused:
            self._resumed.set()
        self.state = State.UNASSIGNED
        self.failed = False
        self.thread = threading.Thread(target=self._run, name=f"task-{self.id}", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def transition_to(self, target: TargetState) -> None:
        """Pause or resume (STOPPED is handled by the worker stopping the task)."""
        self._paused = target is TargetState.PAUSED
        if self._paused:
            self._resumed.clear()
            self.wake.set()
        else:
            self._resumed.set()

    def stop(self) -> None:
        """Ask the loop to end; the thread commits what it can and stops the task."""
        self.stopping.set()
        self.wake.set()
        self._resumed.set()

    def retry_streak(self, operation: str) -> RetryStreak:
        """A backoff for retriable failures of ``operation``, cut short by pause or stop."""
        return RetryStreak(
            str(self.id),
            operation,
            self.setup.errors.retry_delay_max_ms,
            self.setup.metrics.retries,
            self.wake,
            lambda: self.stopping.is_set() or self._paused,
        )

    def join(self, timeout: float) -> bool:
        """Wait for the thread; False if it is still running after ``timeout`` seconds."""
        if self.thread.is_alive():
            self.thread.join(timeout)
        return not self.thread.is_alive()

    def _report(self, state: State, trace: str | None = None) -> None:
        self.state = state
        try:
            self.listener.on_task_state(self.id, state, trace)
        except Exception:
            _log.exception("status listener failed for %s", self.id)

    def _run(self) -> None:
        try:
            self.initialize()
            while not self.stopping.is_set():
                if self._paused:
                    self._pause_until_resumed()
                    continue
                if self.state is not State.RUNNING:
                    self._report(State.RUNNING)
                self.iteration()
        except BaseException as exc:
            self.failed = True
            _log.error("task %s failed: %s", self.id, exc)
            self._report(State.FAILED, "".join(traceback.format_exception(exc)))
        finally:
            self._close()

    def _pause_until_resumed(self) -> None:
        self.on_pause()
        if self.state is not State.PAUSED:
            self._report(State.PAUSED)
        while not self._resumed.wait(1.0):
            self.on_idle()

    def _close(self) -> None:
        try:
            self.close(clean=not self.failed)
        except Exception as exc:
            _log.exception("task %s failed while stopping", self.id)
            if not self.failed:
                self.failed = True
                self._report(State.FAILED, "".join(traceback.format_exception(exc)))
        finally:
            self.setup.plugins.close()
        if not self.failed:
            self._report(State.UNASSIGNED)

    @abstractmethod
    def initialize(self) -> None:
        """Create and start the connector's task (runs on the task thread)."""

    @abstractmethod
    def iteration(self) -> None:
        """Move one batch; must return within about a second so pause/stop are noticed."""

    def on_pause(self) -> None:
        """Called once when the task pauses (commit what is pending)."""
        return

    def on_idle(self) -> None:
        """Called about every second while paused."""
        return

    @abstractmethod
    def close(self, clean: bool) -> None:
        """Commit (when ``clean``) and stop the connector's task."""

    def progress(self) -> dict[str, Any] | None:
        """What the connector's task reports about long work (e.g. a snapshot), if anything.

        A task opts in by defining ``progress() -> dict`` with ``phase`` and optionally
        ``done``, ``total`` and ``unit`` (cdchub extension; Kafka Connect has no such hook).
        """
        report = getattr(getattr(self, "task", None), "progress", None)
        if not callable(report):
            return None
        try:
            value = report()
        except Exception:
            return None
        return dict(value) if isinstance(value, dict) else None

    def lag(self) -> list[tuple[str, int, int]]:
        """(topic, partition, lag) for sink tasks; sources have none."""
        return []
