"""Redelivery after a :class:`~connectors.api.RetriableError` (a destination or source outage).

Kafka Connect's rule: a retriable failure of ``SinkTask.put``/``flush`` or
``SourceTask.poll`` is not about any record, so it never reaches the dead letter queue and
never counts against ``errors.tolerance``; the runtime backs off and tries the same call
again, forever (an outage of Redis must not move the stream into the DLQ). A
:class:`RetryStreak` holds the state of one run of consecutive failures: the exponential
delay (capped by ``errors.retry.delay.max.ms``), one warning per streak rather than one per
attempt, and the retries counter of ``GET /metrics``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from prometheus_client import Counter

_log = logging.getLogger("workers.retry")

BASE_DELAY_MS = 300
"""First delay; doubled after every failed attempt of a streak."""


class Interrupted(Exception):
    """The task was paused or stopped while backing off; the batch is left undelivered."""


class RetryStreak:
    """Consecutive retriable failures of one operation (``put``, ``flush`` or ``poll``)."""

    def __init__(
        self,
        task: str,
        operation: str,
        max_delay_ms: int,
        retries: Counter,
        wake: threading.Event,
        interrupted: Callable[[], bool],
    ) -> None:
        self.task = task
        self.operation = operation
        self.max_delay_ms = max(0, max_delay_ms)
        self.retries = retries
        self.wake = wake
        self.interrupted = interrupted
        self.attempts = 0

    def delay_ms(self) -> float:
        """The wait before the next attempt: 300 ms, 600 ms, ... capped by the maximum."""
        return float(min(BASE_DELAY_MS * 2 ** min(self.attempts, 30), self.max_delay_ms))

    def backoff(self, error: BaseException) -> None:
        """Count the failure, warn once per streak, wait; :class:`Interrupted` on pause/stop.

        ``wake`` is cleared before the flags are checked, so a pause or stop that happens
        at any moment either is seen by the check or ends the wait at once.
        """
        delay = self.delay_ms()
        self.attempts += 1
        self.retries.inc()
        if self.attempts == 1:
            _log.warning(
                "task %s: %s failed with a retriable error (%s); retrying the same batch "
                "with backoff (up to %d ms between attempts) until it succeeds",
                self.task,
                self.operation,
                error,
                self.max_delay_ms,
            )
        self.wake.clear()
        if self.interrupted():
            raise Interrupted
        self.wake.wait(delay / 1000)
        if self.interrupted():
            raise Interrupted

    def succeeded(self) -> None:
        """End the streak (logs the recovery when there was one)."""
        if self.attempts:
            _log.info(
                "task %s: %s succeeded again after %d retries", self.task, self.operation,
                self.attempts,
            )  # fmt: skip
            self.attempts = 0
