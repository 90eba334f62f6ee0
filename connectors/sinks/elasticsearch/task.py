"""ElasticsearchSinkTask: records -> decided changes -> bulk operations -> Elasticsearch.

``put`` writes its batch before returning (chunked by ``batch.size``/``bulk.size.bytes``),
so ``flush`` has nothing pending and committed offsets never run ahead of the index.
Records that cannot become documents, and documents Elasticsearch refuses (mapping
errors), follow ``drop.invalid.message`` / ``behavior.on.malformed.documents``: skipped,
logged, or sent to the dead letter queue with the reason (the task fails when there is no
DLQ).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from connectors.api import ConnectError, DataError, SinkRecord, SinkTask, TopicPartition
from connectors.sinks._cdc import Action, Change, Decider, key_string
from connectors.sinks.elasticsearch.bulk import BulkSender, connect
from connectors.sinks.elasticsearch.config import EsSinkSettings
from connectors.sinks.elasticsearch.documents import Op, OpBuilder, mapping_for
from connectors.sinks.elasticsearch.errors import MalformedDocumentError

VERSION = "1.0.0"
log = logging.getLogger(__name__)


class ElasticsearchSinkTask(SinkTask):
    """Keeps indexes (or data streams) in step with topics of rows or change events."""

    def __init__(self) -> None:
        self.stopping = threading.Event()
        self.client: Any = None
        self.sender: BulkSender | None = None
        self.dead_lettered = 0
        self.dropped = 0

    def version(self) -> str:
        return VERSION

    def start(self, config: Mapping[str, str]) -> None:
        self.settings = EsSinkSettings.parse(config)
        self.decider = Decider(self.settings.on_null, self.settings.placeholder)
        self.builder = OpBuilder(self.settings)
        self.client = connect(self.settings)
        self.sender = BulkSender(self.client, self.settings, self.stopping)

    def put(self, records: Sequence[SinkRecord]) -> None:
        sender = self.sender
        if sender is None:
            msg = "ElasticsearchSinkTask.put called before start"
            raise ConnectError(msg)
        ops: list[Op] = []
        rows: dict[tuple[str, str | None], dict[str, Any]] = {}  # this batch's rows so far
        decide, build = self.decider.decide, self.builder.build
        for record in records:
            try:
                change = decide(record)
                if change.new_key is not None:
                    self._carry(change, rows)
                op = build(change)
            except DataError as exc:
                self._invalid(record, exc)
                continue
            if op is not None:
                ops.append(op)
                _remember(rows, op, change)
        if not ops:
            return
        self._ensure_indexes(ops)
        for op, reason in sender.send(ops):
            self._malformed(op, reason)

    def _carry(self, change: Change, rows: dict[tuple[str, str | None], dict[str, Any]]) -> None:
        """Keep the row of a primary-key change's old id for the create under the new id.

        The create carries TOAST placeholders for columns PostgreSQL did not resend; their
        values live in the old document (or earlier in this batch), deleted right now.
        """
        record, builder = change.record, self.builder
        if self.settings.stream_type != "none" or self.settings.key_ignore:
            return
        index = builder.index_for(record.topic)
        old_id = builder.doc_id(record)
        source = rows.get((index, old_id))
        if source is None and old_id is not None:
            source = self._stored(index, old_id)
        if source is not None:
            builder.carried[(index, key_string(change.new_key))] = source

    def _stored(self, index: str, doc_id: str) -> dict[str, Any] | None:
        from elasticsearch import NotFoundError

        def get() -> dict[str, Any] | None:
            try:
                found = self.client.get(index=index, id=doc_id)
            except NotFoundError:
                return None
            source = found.get("_source")
            return dict(source) if isinstance(source, dict) else None

        assert self.sender is not None
        return self.sender.call(get)

    def _ensure_indexes(self, ops: list[Op]) -> None:
        assert self.sender is not None
        seen: set[str] = set()
        for op in ops:
            if op.index in seen:
                continue
            seen.add(op.index)
            record = op.record
            derive = not (self.settings.schema_ignore
                          or record.topic in self.settings.topic_schema_ignore)  # fmt: skip
            self.sender.ensure_index(op.index, mapping_for(record.value_schema) if derive else None)

    def _invalid(self, record: SinkRecord, exc: DataError) -> None:
        if self.settings.drop_invalid:
            self.dropped += 1
            log.warning("dropping an invalid record (drop.invalid.message=true): %s", exc)
            return
        self._dead_letter(record, exc)

    def _malformed(self, op: Op, reason: str) -> None:
        record = op.record
        where = f"{record.topic}-{record.kafka_partition}@{record.kafka_offset}"
        error = MalformedDocumentError(
            f"Elasticsearch refused the document {op.doc_id!r} for index {op.index!r} from "
            f"{where}: {reason}"
        )
        behavior = self.settings.on_malformed
        if behavior in ("ignore", "warn"):
            self.dropped += 1
            if behavior == "warn":
                log.warning("%s (behavior.on.malformed.documents=warn: skipped)", error)
            return
        self._dead_letter(record, error)

    def _dead_letter(self, record: SinkRecord, exc: ConnectError) -> None:
        reporter = self.context.errant_record_reporter() if self.context else None
        if reporter is None:
            msg = (
                f"{exc}. Fix the data or the index mappings, or set errors.tolerance=all with "
                "errors.deadletterqueue.topic.name to set such records aside"
            )
            raise type(exc)(msg) from exc
        self.dead_lettered += 1
        reporter.report(record, exc).result()

    def flush(self, current_offsets: Mapping[TopicPartition, int]) -> None:
        """Nothing buffered: ``put`` already wrote every batch."""

    def stop(self) -> None:
        self.stopping.set()
        if self.client is not None:
            self.client.close()
            self.client = None


def _remember(rows: dict[tuple[str, str | None], dict[str, Any]], op: Op, change: Change) -> None:
    """Track the latest whole row per document within a batch.

    A partial row (TOAST columns left out) is merged onto a whole row seen earlier in the
    batch; without one the entry is dropped, so the stored document is read instead.
    """
    target = (op.index, op.doc_id)
    if change.action is Action.DELETE or change.row is None:
        rows.pop(target, None)
    elif not change.missing:
        rows[target] = change.row
    elif target in rows:
        rows[target] = {**rows[target], **change.row}
