"""RedisSinkTask: each ``put`` batch becomes one pipeline; bad records go to the DLQ.

``put`` writes synchronously (one round trip per batch), so ``flush`` has nothing left to
do and the offsets the runtime commits never run ahead of Redis. A record that cannot be
written (WRONGTYPE, a null key, a shape that does not fit ``redis.type``) goes to the
dead letter queue through the errant record reporter with the reason; without one
(``errors.tolerance=none``) the task fails with that reason.
"""

from __future__ import annotations

import bisect
import logging
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from connectors.api import ConnectError, DataError, SinkRecord, SinkTask, TopicPartition
from connectors.sinks._cdc import Decider
from connectors.sinks.redis.commands import CommandBuilder
from connectors.sinks.redis.config import RedisSinkSettings
from connectors.sinks.redis.errors import RedisRecordError, classify, is_error
from connectors.sinks.redis.writer import RedisWriter

VERSION = "1.0.0"
log = logging.getLogger(__name__)


class RedisSinkTask(SinkTask):
    """Writes CDC rows or plain records to Redis as hashes, strings or stream entries."""

    def __init__(self) -> None:
        self.stopping = threading.Event()
        self.writer: RedisWriter | None = None
        self.written = 0
        self.dead_lettered = 0

    def version(self) -> str:
        return VERSION

    def start(self, config: Mapping[str, str]) -> None:
        self.settings = RedisSinkSettings.parse(config)
        self.decider = Decider(self.settings.on_null, self.settings.placeholder)
        self.builder = CommandBuilder(self.settings)
        self.writer = RedisWriter(self.settings, self.stopping)
        self.writer.open()

    def put(self, records: Sequence[SinkRecord]) -> None:
        if not records:
            return
        writer = self.writer
        if writer is None:
            msg = "RedisSinkTask.put called before start"
            raise ConnectError(msg)
        commands: list[tuple[Any, ...]] = []
        starts: list[int] = []  # index of each kept record's first command
        kept: list[SinkRecord] = []
        decide, build = self.decider.decide, self.builder.commands
        for record in records:
            try:
                cmds = build(decide(record))
            except DataError as exc:
                self._reject(record, exc)
                continue
            if cmds:
                starts.append(len(commands))
                kept.append(record)
                commands += cmds
        results = writer.write(commands)
        self._check(results, starts, kept, commands)
        self.written += len(kept)

    def _check(
        self,
        results: list[Any],
        starts: list[int],
        records: list[SinkRecord],
        commands: list[tuple[Any, ...]],
    ) -> None:
        """Dead-letter the records whose commands Redis refused (e.g. WRONGTYPE).

        A failed COPY (the carry-over of a primary-key change, e.g. on Redis < 6.2) only
        loses that carry-over, not the record.
        """
        failed = [
            i
            for i, r in enumerate(results)
            if is_error(r) and classify(r) == "record" and commands[i][0] != "COPY"
        ]
        owners = sorted({bisect.bisect_right(starts, i) - 1 for i in failed})
        for owner in owners:
            reason = next(results[i] for i in failed if bisect.bisect_right(starts, i) - 1 == owner)
            self._reject(records[owner], RedisRecordError(f"Redis rejected the write: {reason}"))

    def _reject(self, record: SinkRecord, exc: ConnectError) -> None:
        """Dead-letter one record, or fail the task when there is no DLQ reporter."""
        reporter = self.context.errant_record_reporter() if self.context else None
        where = f"{record.topic}-{record.kafka_partition}@{record.kafka_offset}"
        if reporter is None:
            msg = (
                f"Cannot write the record at {where} to Redis: {exc}. Fix the data or the "
                "config, or set errors.tolerance=all (with errors.deadletterqueue.topic.name) "
                "to set such records aside"
            )
            raise type(exc)(msg) from exc
        self.dead_lettered += 1
        log.warning("record %s sent to the dead letter queue: %s", where, exc)
        reporter.report(record, exc).result()

    def flush(self, current_offsets: Mapping[TopicPartition, int]) -> None:
        """Nothing buffered: ``put`` already wrote every batch."""

    def stop(self) -> None:
        self.stopping.set()
        if self.writer is not None:
            self.writer.close()
            self.writer = None
