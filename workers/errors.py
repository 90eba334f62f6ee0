"""Retries, error tolerance and error reporting (Kafka's ``RetryWithToleranceOperator``).

Every stage of a record's trip (convert, transform, put...) runs through
:meth:`RetryWithToleranceOperator.execute`:

* a :class:`~connectors.api.RetriableError` is retried with exponential backoff (capped by
  ``errors.retry.delay.max.ms``) until ``errors.retry.timeout`` ms have passed (-1: forever);
* any other failure, or a retriable one past the timeout, is *tolerated* under
  ``errors.tolerance=all`` (the record is reported - log and/or dead letter queue - and
  skipped, so what follows it is not lost) and raises :class:`ToleranceExceeded` under
  ``none``, which fails the task with the trace in its status.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol, TypeVar

from connectors.api import (
    ConnectError,
    ConnectRecord,
    TransformationChain,
    TransformationStage,
)

T = TypeVar("T")
R = TypeVar("R", bound=ConnectRecord)
_log = logging.getLogger("workers.errors")


class Stage(StrEnum):
    """Where a failure happened (Kafka's stage names, shown in DLQ headers)."""

    TASK_POLL = "TASK_POLL"
    TASK_PUT = "TASK_PUT"
    TRANSFORMATION = "TRANSFORMATION"
    KEY_CONVERTER = "KEY_CONVERTER"
    VALUE_CONVERTER = "VALUE_CONVERTER"
    HEADER_CONVERTER = "HEADER_CONVERTER"
    KAFKA_PRODUCE = "KAFKA_PRODUCE"
    KAFKA_CONSUME = "KAFKA_CONSUME"


class ToleranceExceeded(ConnectError):
    """A failure that ``errors.tolerance=none`` (or the retry timeout) does not allow."""


@dataclass
class ErrorContext:
    """Everything a reporter needs about one failure."""

    stage: Stage
    plugin: str
    error: BaseException
    record: ConnectRecord | None = None
    raw_key: bytes | None = None
    raw_value: bytes | None = None
    raw_headers: tuple[tuple[str, bytes | None], ...] = ()
    topic: str | None = None
    partition: int | None = None
    offset: int | None = None

    def trace(self) -> str:
        return "".join(traceback.format_exception(self.error))


class ErrorReporter(Protocol):
    """Receives tolerated failures (the log reporter, the DLQ reporter)."""

    def report(self, context: ErrorContext) -> None: ...


@dataclass(frozen=True)
class ErrorSettings:
    """The ``errors.*`` keys of one connector, typed."""

    retry_timeout_ms: int = 0
    retry_delay_max_ms: int = 60000
    tolerance_all: bool = False
    log_enable: bool = False
    log_include_messages: bool = False
    dlq_topic: str = ""
    dlq_context_headers: bool = False

    @classmethod
    def from_config(cls, parsed: dict[str, Any]) -> ErrorSettings:
        return cls(
            int(parsed["errors.retry.timeout"]),
            int(parsed["errors.retry.delay.max.ms"]),
            parsed["errors.tolerance"] == "all",
            bool(parsed["errors.log.enable"]),
            bool(parsed["errors.log.include.messages"]),
            str(parsed["errors.deadletterqueue.topic.name"] or "").strip(),
            bool(parsed["errors.deadletterqueue.context.headers.enable"]),
        )


class LogReporter:
    """``errors.log.enable``: one ERROR line per failure, the record only when allowed."""

    def __init__(self, task_id: str, include_messages: bool) -> None:
        self.task_id = task_id
        self.include_messages = include_messages

    def report(self, context: ErrorContext) -> None:
        where = f"topic {context.topic} partition {context.partition} offset {context.offset}"
        detail = f", record {context.record!r}" if self.include_messages else ""
        _log.error(
            "Error in %s of task %s at stage %s (%s%s): %s",
            context.plugin,
            self.task_id,
            context.stage.value,
            where,
            detail,
            context.error,
        )


class RetryWithToleranceOperator:
    """Runs one operation with retries; tolerates or escalates what still fails."""

    BASE_DELAY_MS = 300

    def __init__(
        self,
        settings: ErrorSettings,
        reporters: list[ErrorReporter] | None = None,
        stopping: threading.Event | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.settings = settings
        self.reporters = reporters or []
        self._stopping = stopping or threading.Event()
        self._clock = clock or time.monotonic
        self.failed = 0
        self.tolerated = 0

    def execute(self, fn: Callable[[], T], context: ErrorContext) -> T | None:
        """Run ``fn``; None when it failed and the failure was tolerated (record skipped).

        ``context`` is filled with the error before the reporters see it.
        """
        try:
            return self.retry(fn)
        except ToleranceExceeded:
            raise
        except Exception as exc:
            context.error = exc
            self.handle(context)
            return None

    def retry(self, fn: Callable[[], T]) -> T:
        """Call ``fn``, retrying retriable errors with backoff within the retry timeout."""
        deadline_ms = self.settings.retry_timeout_ms
        start = self._clock()
        attempt = 0
        while True:
            try:
                return fn()
            except ConnectError as exc:
                if not exc.retriable or self._stopping.is_set():
                    raise
                elapsed_ms = (self._clock() - start) * 1000
                if deadline_ms != -1 and elapsed_ms >= deadline_ms:
                    raise
                delay = min(self.BASE_DELAY_MS * 2**attempt, self.settings.retry_delay_max_ms)
                if deadline_ms != -1:
                    delay = min(delay, max(0.0, deadline_ms - elapsed_ms))
                attempt += 1
                self._stopping.wait(delay / 1000)

    def handle(self, context: ErrorContext) -> None:
        """Report a failure; raise ToleranceExceeded unless ``errors.tolerance=all``."""
        self.failed += 1
        if self.settings.log_enable or self.settings.tolerance_all:
            for reporter in self.reporters:
                if isinstance(reporter, LogReporter) and not self.settings.log_enable:
                    continue
                reporter.report(context)
        if not self.settings.tolerance_all:
            msg = (
                f"Tolerance exceeded in error handler at stage {context.stage.value} "
                f"({context.plugin}): {type(context.error).__name__}: {context.error}"
            )
            raise ToleranceExceeded(msg) from context.error
        self.tolerated += 1


def class_name(obj: object) -> str:
    """The full class name of a plugin, as ``__connect.errors.class.name`` shows it."""
    cls = type(obj)
    return f"{cls.__module__}.{cls.__qualname__}"


def apply_chain(
    operator: RetryWithToleranceOperator,
    chain: TransformationChain[Any],
    record: R,
    context: Callable[[object], ErrorContext],
) -> tuple[R | None, bool]:
    """Apply the chain stage by stage under ``operator``; (record or None, tolerated failure).

    Each stage gets its own error context, so a failure names the transform that failed.
    """
    current: Any = record
    for stage in chain.stages:
        done = operator.execute(_boxed_apply(stage, current), context(stage.transformation))
        if done is None:
            return None, True
        current = done[0]
        if current is None:
            return None, False
    return current, False


def _boxed_apply(stage: TransformationStage[Any], record: Any) -> Callable[[], tuple[Any]]:
    return lambda: (stage.apply(record),)
