"""RetryWithToleranceOperator: retries within the timeout, tolerance none vs all."""

from __future__ import annotations

import threading

import pytest

from connectors.api import DataError, RetriableError
from workers.errors import (
    ErrorContext,
    ErrorSettings,
    RetryWithToleranceOperator,
    Stage,
    ToleranceExceeded,
)


class Collect:
    def __init__(self) -> None:
        self.seen: list[ErrorContext] = []

    def report(self, context: ErrorContext) -> None:
        self.seen.append(context)


def _flaky(failures: int) -> tuple[list[int], object]:
    calls: list[int] = []

    def fn() -> str:
        calls.append(1)
        if len(calls) <= failures:
            msg = "try again"
            raise RetriableError(msg)
        return "ok"

    return calls, fn


def _ctx() -> ErrorContext:
    return ErrorContext(Stage.VALUE_CONVERTER, "JsonConverter", Exception())


def test_retriable_errors_are_retried_until_success() -> None:
    op = RetryWithToleranceOperator(ErrorSettings(retry_timeout_ms=5000, retry_delay_max_ms=1))
    calls, fn = _flaky(3)
    assert op.execute(fn, _ctx()) == "ok"  # type: ignore[arg-type]
    assert len(calls) == 4


def test_no_retry_with_zero_timeout_and_tolerance_none_raises() -> None:
    op = RetryWithToleranceOperator(ErrorSettings())
    calls, fn = _flaky(1)
    with pytest.raises(ToleranceExceeded, match="stage VALUE_CONVERTER"):
        op.execute(fn, _ctx())  # type: ignore[arg-type]
    assert len(calls) == 1


def test_retry_timeout_bounds_the_attempts() -> None:
    now = [0.0]
    stopping = threading.Event()
    op = RetryWithToleranceOperator(
        ErrorSettings(retry_timeout_ms=1000, retry_delay_max_ms=400, tolerance_all=True),
        stopping=stopping, clock=lambda: now[0])  # fmt: skip
    original_wait = stopping.wait

    def fake_wait(seconds: float | None = None) -> bool:
        now[0] += seconds or 0
        return original_wait(0)

    stopping.wait = fake_wait  # type: ignore[method-assign]
    calls, fn = _flaky(100)
    assert op.execute(fn, _ctx()) is None  # tolerated after the timeout
    assert 3 <= len(calls) <= 5  # 300 + 400 + 300 ms of backoff fit in 1 s
    assert op.tolerated == 1


def test_tolerance_all_reports_and_skips_terminal_errors() -> None:
    sink = Collect()
    op = RetryWithToleranceOperator(ErrorSettings(tolerance_all=True), [sink])

    def bad() -> None:
        msg = "not JSON"
        raise DataError(msg)

    assert op.execute(bad, _ctx()) is None
    assert isinstance(sink.seen[0].error, DataError) and "not JSON" in sink.seen[0].trace()
