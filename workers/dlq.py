"""The dead letter queue: failed records go to a topic, with the error in headers.

Sinks send the record exactly as it was read (raw key, value and headers bytes), so the
DLQ can be replayed into the original topic after a fix. Sources (a cdchub extension: Kafka
Connect has no source DLQ) send what they have: the converted bytes when conversion got
that far, otherwise the record's key and value as JSON. With
``errors.deadletterqueue.context.headers.enable=true`` each DLQ record carries Kafka's
``__connect.errors.*`` headers (all values UTF-8 strings, as Kafka writes them).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from hub.core_log import Log, ProduceRecord
from workers.errors import ErrorContext

HEADER_PREFIX = "__connect.errors."
TOPIC = HEADER_PREFIX + "topic"
PARTITION = HEADER_PREFIX + "partition"
OFFSET = HEADER_PREFIX + "offset"
CONNECTOR_NAME = HEADER_PREFIX + "connector.name"
TASK_ID = HEADER_PREFIX + "task.id"
STAGE = HEADER_PREFIX + "stage"
CLASS_NAME = HEADER_PREFIX + "class.name"
EXCEPTION_CLASS_NAME = HEADER_PREFIX + "exception.class.name"
EXCEPTION_MESSAGE = HEADER_PREFIX + "exception.message"
EXCEPTION_STACKTRACE = HEADER_PREFIX + "exception.stacktrace"


def _json_bytes(value: Any) -> bytes | None:
    if value is None or isinstance(value, bytes):
        return value
    return orjson.dumps(value, default=str, option=orjson.OPT_NON_STR_KEYS)


class DeadLetterQueueReporter:
    """Writes tolerated failures to ``errors.deadletterqueue.topic.name``."""

    def __init__(
        self,
        log: Log,
        topic: str,
        connector: str,
        task: int,
        *,
        context_headers: bool,
        on_write: Callable[[int], None] | None = None,
    ) -> None:
        self.log = log
        self.topic = topic
        self.connector = connector
        self.task = task
        self.context_headers = context_headers
        self.on_write = on_write
        if not log.has_topic(topic):
            log.create_topic(topic, 1)

    def report(self, context: ErrorContext) -> None:
        key, value, headers = self._payload(context)
        if self.context_headers:
            headers = [*headers, *self._error_headers(context)]
        self.log.append(self.topic, [ProduceRecord(key=key, value=value, headers=headers)])
        if self.on_write is not None:
            self.on_write(1)

    @staticmethod
    def _payload(
        context: ErrorContext,
    ) -> tuple[bytes | None, bytes | None, list[tuple[str, bytes | None]]]:
        if context.raw_key is not None or context.raw_value is not None:
            return context.raw_key, context.raw_value, list(context.raw_headers)
        record = context.record
        if record is None:
            return None, None, []
        return _json_bytes(record.key), _json_bytes(record.value), list(context.raw_headers)

    def _error_headers(self, context: ErrorContext) -> list[tuple[str, bytes | None]]:
        exc = context.error
        pairs: list[tuple[str, Any]] = [
            (TOPIC, context.topic),
            (PARTITION, context.partition),
            (OFFSET, context.offset),
            (CONNECTOR_NAME, self.connector),
            (TASK_ID, self.task),
            (STAGE, context.stage.value),
            (CLASS_NAME, context.plugin),
            (EXCEPTION_CLASS_NAME, f"{type(exc).__module__}.{type(exc).__qualname__}"),
            (EXCEPTION_MESSAGE, str(exc)),
            (EXCEPTION_STACKTRACE, context.trace()),
        ]
        return [(k, str(v).encode()) for k, v in pairs if v is not None]
