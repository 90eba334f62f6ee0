"""HTTP ingest source: acknowledgement on durability, routing, backpressure, errors, resume."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from connectors.api import ConfigError, ConnectError, SourceTask
from connectors.plugins import default_registry
from connectors.sources.http_ingest import (
    HttpIngestSourceConnector,
    HttpIngestSourceTask,
    IngestAborted,
    IngestBatchTooLarge,
    IngestBusy,
    IngestEndpoints,
    InvalidIngestEvents,
    UnknownIngestSource,
)
from tests.support.sdk_harness import ack, poll_until, start_source_task

BASE = {"ingest.source": "web", "topic": "activity", "poll.wait.ms": "5"}


def _start(tasks: list[SourceTask], **config: str) -> SourceTask:
    task = start_source_task(HttpIngestSourceTask, {**BASE, **config})
    tasks.append(task)
    return task


def test_future_resolves_only_when_every_event_is_durable(tasks: list[SourceTask]) -> None:
    task = _start(tasks, **{"batch.size": "2"})
    future = IngestEndpoints.offer("web", [{"n": 1}, {"n": 2}, {"n": 3}])
    first = poll_until(task, 2)
    assert not future.done()
    rest = poll_until(task, 1, acknowledge=False)
    assert not future.done()
    ack(task, rest)
    assert future.result(timeout=1) == 3
    assert [r.value for r in first + rest] == [{"n": 1}, {"n": 2}, {"n": 3}]
    assert {(r.topic, r.key, r.value_schema) for r in first} == {("activity", None, None)}


def test_filtered_records_count_as_acknowledged(tasks: list[SourceTask]) -> None:
    task = _start(tasks)
    future = IngestEndpoints.offer("web", [{"n": 1}])
    records = poll_until(task, 1, acknowledge=False)
    task.commit_record(records[0], None)
    task.commit()
    assert future.result(timeout=1) == 1


def test_written_is_not_enough_the_commit_makes_it_durable(tasks: list[SourceTask]) -> None:
    task = _start(tasks)
    future = IngestEndpoints.offer("web", [{"n": 1}])
    records = poll_until(task, 1, acknowledge=False)
    ack(task, records, commit_offsets=False)  # appended, not yet fsynced
    assert not future.done()
    task.commit()
    assert future.result(timeout=1) == 1


def test_written_but_uncommitted_events_fail_on_stop(tasks: list[SourceTask]) -> None:
    task = _start(tasks)
    future = IngestEndpoints.offer("web", [{"n": 1}])
    ack(task, poll_until(task, 1, acknowledge=False), commit_offsets=False)
    task.stop()
    assert isinstance(future.exception(timeout=1), IngestAborted)


def test_routing_key_and_timestamp_fields(tasks: list[SourceTask]) -> None:
    config = {"topic.format": "activity.${type}", "topic": "activity.other",
              "key.field": "user", "timestamp.field": "at"}  # fmt: skip
    task = _start(tasks, **config)
    IngestEndpoints.offer("web", [
        {"type": "page view", "user": 7, "at": 1700000000123},
        {"type": "click", "at": "2024-01-01T00:00:00Z"},
        {"user": "u"},
    ])  # fmt: skip
    records = poll_until(task, 3)
    assert [(r.topic, r.key) for r in records] == [
        ("activity.page_view", "7"), ("activity.click", None), ("activity.other", "u")
    ]  # fmt: skip
    assert records[0].timestamp == 1700000000123
    assert records[1].timestamp == 1704067200000
    assert records[2].timestamp is not None and records[2].timestamp > 1704067200000


def test_unroutable_event_is_refused_with_its_index(tasks: list[SourceTask]) -> None:
    _start(tasks, **{"topic": "", "topic.format": "a.${type}"})
    with pytest.raises(InvalidIngestEvents, match="Event 1") as info:
        IngestEndpoints.offer("web", [{"type": "x"}, {"other": 1}])
    assert info.value.http_status == 400


def test_bad_bodies_are_400(tasks: list[SourceTask]) -> None:
    _start(tasks)
    for body in ([1], "text", [{"ok": 1}, None]):
        with pytest.raises(InvalidIngestEvents):
            IngestEndpoints.offer("web", body)  # type: ignore[arg-type]


def test_single_object_is_one_event(tasks: list[SourceTask]) -> None:
    task = _start(tasks)
    future = IngestEndpoints.offer("web", {"n": 1})  # type: ignore[arg-type]
    poll_until(task, 1)
    assert future.result(timeout=1) == 1


def test_unknown_source_is_404_and_names_the_running_ones(tasks: list[SourceTask]) -> None:
    _start(tasks)
    with pytest.raises(UnknownIngestSource, match="running: web") as info:
        IngestEndpoints.offer("nope", [{}])
    assert info.value.http_status == 404


def test_full_buffer_pushes_back_with_retry_after(tasks: list[SourceTask]) -> None:
    task = _start(tasks, **{"buffer.max.events": "3", "retry.after.s": "2"})
    IngestEndpoints.offer("web", [{"n": 1}, {"n": 2}])
    with pytest.raises(IngestBusy) as busy:
        IngestEndpoints.offer("web", [{"n": 3}, {"n": 4}])
    assert (busy.value.http_status, busy.value.retry_after) == (429, 2)
    with pytest.raises(IngestBatchTooLarge) as large:
        IngestEndpoints.offer("web", [{}] * 4)
    assert large.value.http_status == 413
    poll_until(task, 2)
    IngestEndpoints.offer("web", [{"n": 3}, {"n": 4}])  # room again


def test_stop_fails_pending_requests_with_503_and_frees_the_name(tasks: list[SourceTask]) -> None:
    task = _start(tasks, **{"batch.size": "1"})
    future = IngestEndpoints.offer("web", [{"n": 1}, {"n": 2}])
    poll_until(task, 1, acknowledge=False)
    task.stop()
    error = future.exception(timeout=1)
    assert isinstance(error, IngestAborted)
    assert (error.http_status, error.retry_after) == (503, 1)
    with pytest.raises(UnknownIngestSource):
        IngestEndpoints.offer("web", [{}])


def test_resume_nothing_acknowledged_is_lost(tasks: list[SourceTask]) -> None:
    task = _start(tasks)
    delivered = IngestEndpoints.offer("web", [{"n": 1}, {"n": 2}])
    written = poll_until(task, 2)
    assert delivered.result(timeout=1) == 2
    in_flight = IngestEndpoints.offer("web", [{"n": 3}, {"n": 4}])
    poll_until(task, 2, acknowledge=False)  # polled, never durable
    task.stop()
    assert isinstance(in_flight.exception(timeout=1), IngestAborted)
    task = _start(tasks)  # the restarted task; the client sends the failed request again
    again = IngestEndpoints.offer("web", [{"n": 3}, {"n": 4}])
    written += poll_until(task, 2)
    assert again.result(timeout=1) == 2
    assert [r.value["n"] for r in written] == [1, 2, 3, 4]


def test_two_connectors_cannot_share_a_source(tasks: list[SourceTask]) -> None:
    _start(tasks, name="one")
    with pytest.raises(ConnectError, match="already served by connector 'one'"):
        _start(tasks, name="two")


def test_a_restarted_task_of_the_same_connector_takes_over(tasks: list[SourceTask]) -> None:
    old = _start(tasks, name="one")
    stranded = IngestEndpoints.offer("web", [{"n": 1}])
    new = _start(tasks, name="one")  # the runtime started the new task before stopping the old
    assert isinstance(stranded.exception(timeout=1), IngestAborted)
    future = IngestEndpoints.offer("web", [{"n": 2}])
    assert [r.value for r in poll_until(new, 1)] == [{"n": 2}]
    assert future.result(timeout=1) == 1
    old.stop()  # must not unregister the new task's endpoint
    assert IngestEndpoints.sources() == ["web"]


def test_concurrent_clients_all_get_their_acknowledgement(tasks: list[SourceTask]) -> None:
    task = _start(tasks, **{"buffer.max.events": "100000"})
    futures: list[Any] = []
    lock = threading.Lock()

    def client(c: int) -> None:
        for i in range(50):
            f = IngestEndpoints.offer("web", [{"c": c, "i": i}] * 2)
            with lock:
                futures.append(f)

    threads = [threading.Thread(target=client, args=(c,)) for c in range(4)]
    for t in threads:
        t.start()
    records = poll_until(task, 400, exact=False)
    for t in threads:
        t.join()
    assert len(records) == 400
    assert all(f.result(timeout=1) == 2 for f in futures)


def test_validation_reports_every_error_at_once() -> None:
    values = HttpIngestSourceConnector().validate({"ingest.source": "a/b", "batch.size": "0"})
    errors = {v.name: v.errors for v in values if v.errors}
    assert set(errors) == {"ingest.source", "topic", "batch.size"}
    with pytest.raises(ConfigError):
        HttpIngestSourceConnector().start({"topic": "t"})
    assert default_registry().connector_class("HttpIngestSource") is HttpIngestSourceConnector
