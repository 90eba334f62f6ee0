"""Connector and task states, as Kafka Connect names them in ``ConnectorStateInfo``.

Two different things are called "state": the *target* state a user asks for (stored in
``_hub_configs``: STARTED, PAUSED, STOPPED) and the *observed* state of a running instance
(reported in ``_hub_status`` and the REST API: RUNNING, PAUSED, FAILED...).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class TargetState(StrEnum):
    """What the user asked a connector to be (Kafka's ``TargetState``)."""

    STARTED = "STARTED"
    PAUSED = "PAUSED"
    STOPPED = "STOPPED"

    @classmethod
    def from_initial_state(cls, raw: str | None) -> TargetState:
        """Map ``initial_state`` of ``POST /connectors`` (RUNNING/PAUSED/STOPPED, any case)."""
        value = (raw or "RUNNING").strip().upper()
        mapping = {"RUNNING": cls.STARTED, "PAUSED": cls.PAUSED, "STOPPED": cls.STOPPED}
        if value not in mapping:
            msg = f"Invalid initial state {raw!r}; use one of RUNNING, PAUSED, STOPPED."
            raise ValueError(msg)
        return mapping[value]


class State(StrEnum):
    """Observed state of a connector or task instance."""

    UNASSIGNED = "UNASSIGNED"
    RUNNING = "RUNNING"
    PAUSED = "PAUSED"
    FAILED = "FAILED"
    RESTARTING = "RESTARTING"
    STOPPED = "STOPPED"
    DESTROYED = "DESTROYED"


@dataclass(frozen=True)
class TaskId:
    """A task of a connector (``<connector>-<task>`` in status keys and metrics)."""

    connector: str
    task: int

    def __str__(self) -> str:
        return f"{self.connector}-{self.task}"

    def to_json(self) -> dict[str, Any]:
        return {"connector": self.connector, "task": self.task}


@dataclass(frozen=True)
class Status:
    """One status record: what ``_hub_status`` stores and the REST API shows."""

    state: State
    worker_id: str
    trace: str | None = None
    generation: int = 0

    def to_record(self) -> dict[str, Any]:
        return {
            "state": self.state.value,
            "trace": self.trace,
            "worker_id": self.worker_id,
            "generation": self.generation,
        }

    @classmethod
    def from_record(cls, data: dict[str, Any]) -> Status:
        return cls(
            State(data["state"]),
            str(data.get("worker_id", "")),
            data.get("trace"),
            int(data.get("generation", 0)),
        )

    def to_json(self) -> dict[str, Any]:
        """The ``{"state", "worker_id", "trace"?}`` part of ConnectorStateInfo."""
        out: dict[str, Any] = {"state": self.state.value, "worker_id": self.worker_id}
        if self.trace:
            out["trace"] = self.trace
        return out
