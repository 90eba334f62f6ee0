"""What a sink task sees of the runtime: its context and its errant record reporter."""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import Future
from typing import TYPE_CHECKING

from connectors.api import (
    ErrantRecordReporter,
    RecordProducer,
    SinkRecord,
    SinkTaskContext,
    TopicPartition,
)

if TYPE_CHECKING:
    from workers.sink_task import WorkerSinkTask


class SinkContext(SinkTaskContext):
    """The SinkTaskContext a sink task gets: it reads and steers its WorkerSinkTask."""

    def __init__(self, owner: WorkerSinkTask) -> None:
        self.owner = owner

    def configs(self) -> dict[str, str]:
        return dict(self.owner.setup.task_config)

    def offset(self, offsets: Mapping[TopicPartition, int]) -> None:
        self.owner.positions.update({TopicPartition(*tp): o for tp, o in offsets.items()})

    def timeout(self, timeout_ms: int) -> None:
        self.owner.retry_timeout_ms = timeout_ms

    def assignment(self) -> set[TopicPartition]:
        return set(self.owner.positions)

    def pause(self, *partitions: TopicPartition) -> None:
        self.owner.paused_partitions.update(partitions)

    def resume(self, *partitions: TopicPartition) -> None:
        self.owner.paused_partitions.difference_update(partitions)

    def request_commit(self) -> None:
        self.owner.next_commit = 0.0

    def errant_record_reporter(self) -> ErrantRecordReporter | None:
        return self.owner.errant if self.owner.setup.errors.tolerance_all else None

    def producer(self) -> RecordProducer | None:
        return self.owner.producer()


class ErrantReporter(ErrantRecordReporter):
    """KIP-610's reporter: a record the sink rejects goes to the DLQ, the task goes on."""

    def __init__(self, owner: WorkerSinkTask) -> None:
        self.owner = owner

    def report(self, record: SinkRecord, error: BaseException) -> Future[None]:
        self.owner.report_put_failure(record, error)
        done: Future[None] = Future()
        done.set_result(None)
        return done
