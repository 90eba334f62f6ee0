"""Prometheus metrics of the connect runtime (``GET /metrics``).

Counters are updated once per batch, never per record, so metrics cost nothing measurable
on the hot path. Task state and consumer lag are computed when scraped. Each herder owns
its own :class:`~prometheus_client.CollectorRegistry`, so several hubs in one process (the
test suite) do not share series.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from workers.states import State

LABELS = ("connector", "task")
PREFIX = "cdchub_connect_"

StateSource = Callable[[], Iterable[tuple[str, int | None, State]]]
"""Yields (connector, task or None for the connector itself, state)."""
LagSource = Callable[[], Iterable[tuple[str, int, str, int, int]]]
"""Yields (connector, task, topic, partition, lag)."""


@dataclass
class TaskMetrics:
    """The label-bound children of one task; keep a reference, call per batch."""

    polled: Counter
    written: Counter
    failed: Counter
    dlq: Counter
    batch_seconds: Histogram
    retries: Counter
    replayed: Counter


class _Scraped(Collector):
    def __init__(self, states: StateSource, lags: LagSource) -> None:
        self.states = states
        self.lags = lags

    def collect(self) -> Iterator[GaugeMetricFamily]:
        tasks = GaugeMetricFamily(
            PREFIX + "task_state",
            "1 for the task's current state",
            labels=["connector", "task", "state"],
        )
        conns = GaugeMetricFamily(
            PREFIX + "connector_state",
            "1 for the connector's current state",
            labels=["connector", "state"],
        )
        for connector, task, state in self.states():
            if task is None:
                conns.add_metric([connector, state.value], 1)
            else:
                tasks.add_metric([connector, str(task), state.value], 1)
        lag = GaugeMetricFamily(
            PREFIX + "consumer_lag",
            "Records between a sink task's position and the log end",
            labels=["connector", "task", "topic", "partition"],
        )
        for connector, task, topic, partition, value in self.lags():
            lag.add_metric([connector, str(task), topic, str(partition)], value)
        yield from (tasks, conns, lag)


class ConnectMetrics:
    """All connect metrics of one herder."""

    def __init__(self, states: StateSource, lags: LagSource) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self._polled = Counter(
            PREFIX + "records_polled",
            "Records a source task polled or a sink task read from the log",
            LABELS,
            registry=r,
        )
        self._written = Counter(
            PREFIX + "records_written",
            "Records written to the log (source) or put to the sink (sink)",
            LABELS,
            registry=r,
        )
        self._failed = Counter(
            PREFIX + "records_failed",
            "Records that failed a stage (tolerated or not)",
            LABELS,
            registry=r,
        )
        self._dlq = Counter(
            PREFIX + "dlq_records", "Records sent to the dead letter queue", LABELS, registry=r
        )
        self._batch = Histogram(
            PREFIX + "batch_seconds",
            "Time to process one batch (poll..append or read..put)",
            LABELS,
            registry=r,
            buckets=(0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5),
        )
        self._retries = Counter(
            PREFIX + "retries",
            "Back-offs after a retriable failure of put, flush or poll (the batch is redelivered)",
            LABELS,
            registry=r,
        )
        self._replayed = Counter(
            PREFIX + "source_replayed_records",
            "Records a source task had written after its last offset commit before a crash; "
            "written again on restart (at-least-once duplicates)",
            LABELS,
            registry=r,
        )
        r.register(_Scraped(states, lags))

    def task(self, connector: str, task: int) -> TaskMetrics:
        labels = (connector, str(task))
        return TaskMetrics(
            self._polled.labels(*labels),
            self._written.labels(*labels),
            self._failed.labels(*labels),
            self._dlq.labels(*labels),
            self._batch.labels(*labels),
            self._retries.labels(*labels),
            self._replayed.labels(*labels),
        )

    def remove(self, connector: str, task: int) -> None:
        labels = (connector, str(task))
        for metric in (
            self._polled,
            self._written,
            self._failed,
            self._dlq,
            self._batch,
            self._retries,
            self._replayed,
        ):
            try:
                metric.remove(*labels)
            except KeyError:
                continue
