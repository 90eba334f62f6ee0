"""Retriable failures of put/flush/poll: redeliver with backoff, never the DLQ (Kafka's rule)."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import orjson
import pytest

from tests.unit.workers import plugins
from tests.unit.workers.helpers import herder_on, sink, source, task_state, wait_for
from workers.herder import Herder

DLQ = {"errors.tolerance": "all", "errors.deadletterqueue.topic.name": "dead",
       "errors.retry.delay.max.ms": "20"}  # fmt: skip


def _retries(herder: Herder, name: str) -> float:
    value = herder.metrics.registry.get_sample_value(
        "cdchub_connect_retries_total", {"connector": name, "task": "0"}
    )
    return value or 0.0


def _dead(herder: Herder) -> int:
    if not herder.log.has_topic("dead"):
        return 0
    return sum(len(b.records()) for b in herder.log.partition("dead", 0).batches())


def test_outage_under_tolerance_all_redelivers_and_sends_nothing_to_the_dlq(
    tmp_path: Path,
) -> None:
    plugins.OUTAGE.add("down1")
    try:
        with herder_on(tmp_path) as herder:
            herder.put_connector_config("src", source("o1", 50), allow_replace=False)
            herder.put_connector_config("down1", sink("o1", **DLQ), allow_replace=False)
            wait_for(lambda: _retries(herder, "down1") >= 5, what="retries while down")
            assert task_state(herder, "down1") == "RUNNING"
            assert _dead(herder) == 0 and not plugins.values("down1")
            plugins.OUTAGE.discard("down1")
            wait_for(lambda: len(plugins.values("down1")) == 50, what="all 50 after the outage")
            assert [v["n"] for v in plugins.values("down1")] == list(range(50))
            assert _dead(herder) == 0
            assert herder.metrics.registry.get_sample_value(
                "cdchub_connect_records_failed_total", {"connector": "down1", "task": "0"}
            ) in (None, 0.0)
    finally:
        plugins.OUTAGE.discard("down1")


def test_outage_under_tolerance_none_keeps_the_task_running(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="workers.retry")
    plugins.OUTAGE.add("down2")
    try:
        with herder_on(tmp_path) as herder:
            herder.put_connector_config("src", source("o2", 10), allow_replace=False)
            config = sink("o2", **{"errors.retry.delay.max.ms": "10"})
            herder.put_connector_config("down2", config, allow_replace=False)
            wait_for(lambda: _retries(herder, "down2") >= 10, what="retries while down")
            assert task_state(herder, "down2") == "RUNNING"
            plugins.OUTAGE.discard("down2")
            wait_for(lambda: len(plugins.values("down2")) == 10, what="delivered after outage")
            assert task_state(herder, "down2") == "RUNNING"
            wait_for(lambda: any("succeeded again" in r.message for r in caplog.records))
        warnings = [r for r in caplog.records if r.name == "workers.retry" and r.levelno >= 30]
        assert len(warnings) == 1, "one warning per streak, not one per attempt"
        assert "down2-0" in warnings[0].getMessage()
    finally:
        plugins.OUTAGE.discard("down2")


def test_stop_and_pause_interrupt_a_long_backoff_promptly(tmp_path: Path) -> None:
    plugins.OUTAGE.add("down3")
    try:
        with herder_on(tmp_path) as herder:
            herder.put_connector_config("src", source("o3", 10), allow_replace=False)
            config = sink("o3", **{"errors.retry.delay.max.ms": "600000"})
            herder.put_connector_config("down3", config, allow_replace=False)
            wait_for(lambda: _retries(herder, "down3") >= 2, what="in a long backoff")
            started = time.monotonic()
            herder.pause("down3")
            wait_for(lambda: task_state(herder, "down3") == "PAUSED", timeout=3, what="PAUSED")
            assert time.monotonic() - started < 3
            plugins.OUTAGE.discard("down3")
            herder.resume("down3")
            wait_for(lambda: len(plugins.values("down3")) == 10, what="delivered after resume")
            plugins.OUTAGE.add("down3")
            before = _retries(herder, "down3")
            herder.put_connector_config("src", source("o3", 20), allow_replace=True)
            wait_for(lambda: _retries(herder, "down3") >= before + 2, what="backing off again")
            task = herder.worker.tasks[next(iter(herder.worker.tasks_of("down3")))]
            started = time.monotonic()
            herder.delete("down3")
            assert task.join(5) and time.monotonic() - started < 3
    finally:
        plugins.OUTAGE.discard("down3")


def test_only_the_poison_record_goes_to_the_dlq_even_with_a_blip_while_isolating(
    tmp_path: Path,
) -> None:
    config = sink("o4", **DLQ, **{"fail.value": "7", "fail.retriable.alone": "2"})
    with herder_on(tmp_path) as herder:
        herder.put_connector_config("src", source("o4", 40, batch="40"), allow_replace=False)
        herder.put_connector_config("iso", config, allow_replace=False)
        wait_for(lambda: _dead(herder) == 1, what="the poison record in the DLQ")
        wait_for(lambda: {v["n"] for v in plugins.values("iso")} == set(range(40)) - {7})
        assert _dead(herder) == 1 and _retries(herder, "iso") == 2
        sizes = plugins.PUT_SIZES["iso"]
        assert len(sizes) < 40, f"bisected, not record by record: {sizes}"


def test_retriable_poll_is_polled_again_with_capped_backoff(tmp_path: Path) -> None:
    config = source("o5", 10, **{"poll.retriable.failures": "6",
                                 "errors.retry.delay.max.ms": "10"})  # fmt: skip
    with herder_on(tmp_path) as herder:
        started = time.monotonic()
        herder.put_connector_config("psrc", config, allow_replace=False)
        wait_for(lambda: herder.log.has_topic("o5"), timeout=3, what="records after retries")
        assert time.monotonic() - started < 3
        assert _retries(herder, "psrc") == 6
        assert task_state(herder, "psrc") == "RUNNING"


def test_a_batch_a_pause_interrupted_is_put_again_without_a_second_dlq_report(
    tmp_path: Path,
) -> None:
    plugins.OUTAGE.add("down5")
    try:
        with herder_on(tmp_path) as herder:
            herder.log.create_topic("o5", 1)
            good = [orjson.dumps({"n": n}) for n in range(4)]
            herder.log.append_kv("o5", [None] * 5, [*good[:2], b"{bad json", *good[2:]])
            config = sink("o5", **{**DLQ, "errors.retry.delay.max.ms": "600000"})
            herder.put_connector_config("down5", config, allow_replace=False)
            wait_for(lambda: _retries(herder, "down5") >= 1, what="in a long backoff")
            assert _dead(herder) == 1, "the bad message was reported once, at conversion"
            herder.pause("down5")
            wait_for(lambda: task_state(herder, "down5") == "PAUSED", timeout=3, what="PAUSED")
            plugins.OUTAGE.discard("down5")
            herder.resume("down5")
            wait_for(lambda: len(plugins.values("down5")) == 4, what="the batch put on resume")
            assert [v["n"] for v in plugins.values("down5")] == [0, 1, 2, 3]
            wait_for(lambda: herder.groups.committed("connect-down5", "o5", 0) == 5)
            assert _dead(herder) == 1, "not converted (and reported) a second time"
    finally:
        plugins.OUTAGE.discard("down5")
