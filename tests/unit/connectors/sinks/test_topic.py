"""Topic-to-topic sink: routing, durability before commit, loop protection, resume."""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any

import pytest

from connectors.api import (
    ConfigError,
    ConnectError,
    DataError,
    RecordMetadata,
    RetriableError,
    SinkRecord,
    TopicPartition,
)
from connectors.plugins import default_registry
from connectors.sinks.topic import TopicSinkConnector, TopicSinkTask
from tests.support.sdk_harness import HarnessSinkTaskContext, MemoryProducer

TP = TopicPartition("orders", 0)


def _records(values: list[Any], start: int = 0, topic: str = "orders") -> list[SinkRecord]:
    return [SinkRecord(topic, 0, None, f"k{start + i}", None, v, kafka_offset=start + i,
                       timestamp=1000 + i) for i, v in enumerate(values)]  # fmt: skip


def _task(producer: MemoryProducer | None, **config: str) -> TopicSinkTask:
    full = {"topics": "orders", **config}
    task = TopicSinkTask()
    task.initialize(HarnessSinkTaskContext(full, {TP}, producer))
    task.start(full)
    return task


def test_republishes_to_a_fixed_topic_keeping_key_value_timestamp_headers() -> None:
    producer = MemoryProducer()
    task = _task(producer, topic="orders-copy")
    records = _records(["a", "b"])
    records[0].headers.add("trace", "t-1")
    task.put(records)
    assert task.pre_commit({TP: 2}) == {TP: 2}
    sent = producer.sent["orders-copy"]
    assert [(r.key, r.value, r.timestamp, r.kafka_partition) for r in sent] == [
        ("k0", "a", 1000, None), ("k1", "b", 1001, None)
    ]  # fmt: skip
    assert sent[0].headers.last_with_name("trace").value == "t-1"  # type: ignore[union-attr]
    assert records[0].topic == "orders"  # the input record is left alone


def test_topic_format_uses_the_topic_after_transforms_and_preserves_partitions() -> None:
    producer = MemoryProducer()
    task = _task(producer, **{"topic.format": "${topic}-clean", "partition.preserve": "true"})
    routed = [r.new_record(topic="eu.orders", kafka_partition=3) for r in _records(["x"])]
    task.put(routed)
    task.flush({TP: 1})
    assert [(r.topic, r.kafka_partition) for r in producer.sent["eu.orders-clean"]] == [
        ("eu.orders-clean", 3)
    ]


def test_commit_waits_until_sent_records_are_durable() -> None:
    producer = MemoryProducer()
    producer.complete_immediately = False
    task = _task(producer, topic="out", **{"flush.timeout.ms": "50"})
    task.put(_records(["a"]))
    with pytest.raises(RetriableError, match="not durable"):
        task.pre_commit({TP: 1})
    task.put(_records(["b"], start=1))
    producer.complete_pending()
    assert task.pre_commit({TP: 2}) == {TP: 2}


def test_a_failed_send_blocks_the_commit() -> None:
    producer = MemoryProducer(
        fail_with=lambda r: OSError("disk full") if r.value == "bad" else None
    )
    task = _task(producer, topic="out")
    task.put(_records(["ok", "bad"]))
    with pytest.raises(RetriableError, match="disk full"):
        task.flush({TP: 2})


def test_resume_after_restart_continues_with_the_next_records() -> None:
    producer = MemoryProducer()
    task = _task(producer, topic="out")
    task.put(_records(["1", "2"]))
    committed = task.pre_commit({TP: 2})
    task.stop()
    task = _task(producer, topic="out")  # the runtime redelivers from the committed offset
    task.put(_records(["3"], start=committed[TP]))
    task.pre_commit({TP: 3})
    assert [r.value for r in producer.sent["out"]] == ["1", "2", "3"]


def test_routing_back_into_a_source_topic_is_refused() -> None:
    task = _task(MemoryProducer(), **{"topic.format": "${topic}", "transforms": "x"})
    with pytest.raises(DataError, match="re-published into 'orders'"):
        task.put(_records(["loop"]))


def test_config_errors_are_reported_together() -> None:
    values = {v.name: v.errors for v in TopicSinkConnector().validate(
        {"topics": "orders", "topic": "orders", "flush.timeout.ms": "0"})}  # fmt: skip
    assert "forever" in values["topic"][0]
    assert values["flush.timeout.ms"]
    with pytest.raises(ConfigError) as info:
        TopicSinkConnector().start({"topics": "orders"})
    assert "routing transform" in str(info.value)


def test_needs_a_runtime_producer() -> None:
    with pytest.raises(ConnectError, match="RecordProducer"):
        _task(None, topic="out")


def test_registered_as_a_sink() -> None:
    assert default_registry().connector_class("TopicSink") is TopicSinkConnector


def test_futures_type_is_what_the_sdk_promises() -> None:
    future = MemoryProducer().send(_records(["v"])[0].new_record(topic="t"))
    assert isinstance(future, Future)
    assert isinstance(future.result(), RecordMetadata)
