"""The runtime end to end in one process: source -> log -> sink, with the stores' twins."""

from __future__ import annotations

from pathlib import Path

import orjson

from tests.unit.workers import plugins
from tests.unit.workers.helpers import herder_on, sink, source, task_state, wait_for
from workers import dlq


def _read(herder: object, topic: str) -> list[object]:
    log = herder.log  # type: ignore[attr-defined]
    return [r for b in log.partition(topic, 0).batches() for r in b.records()]


def test_source_to_sink_in_order_with_offsets_committed(tmp_path: Path) -> None:
    with herder_on(tmp_path) as herder:
        herder.put_connector_config("src", source("nums", 200), allow_replace=False)
        herder.put_connector_config("snk", sink("nums"), allow_replace=False)
        wait_for(lambda: len(plugins.values("snk")) == 200, what="200 records in the sink")
        assert [v["n"] for v in plugins.values("snk")] == list(range(200))
        wait_for(lambda: herder.offsets.get("src", {"source": "src"}) == {"n": 199})
        wait_for(lambda: herder.groups.committed("connect-snk", "nums", 0) == 200)
        assert plugins.COMMITTED["src"], "SourceTask.commit() was called"
        assert herder.statuses.topics("src") == ["nums"] == herder.statuses.topics("snk")


def test_transform_chain_runs_in_the_runtime(tmp_path: Path) -> None:
    chain = {"transforms": "add,route", "transforms.add.type": "InsertField$Value",
             "transforms.add.static.field": "origin", "transforms.add.static.value": "test",
             "transforms.route.type": "RegexRouter", "transforms.route.regex": "raw",
             "transforms.route.replacement": "cooked"}  # fmt: skip
    with herder_on(tmp_path) as herder:
        herder.put_connector_config("src2", source("raw", 5, **chain), allow_replace=False)
        herder.put_connector_config("snk2", sink("cooked"), allow_replace=False)
        wait_for(lambda: len(plugins.values("snk2")) == 5)
        assert plugins.values("snk2")[0] == {"n": 0, "origin": "test"}
        assert not herder.log.has_topic("raw")


def test_poison_record_goes_to_dlq_with_kafka_headers_and_nothing_after_is_lost(
    tmp_path: Path,
) -> None:
    errors = {"errors.tolerance": "all", "errors.deadletterqueue.topic.name": "dlq",
              "errors.deadletterqueue.context.headers.enable": "true",
              "errors.log.enable": "true"}  # fmt: skip
    with herder_on(tmp_path) as herder:
        herder.put_connector_config("src3", source("p", 20), allow_replace=False)
        herder.put_connector_config("snk3", sink("p", **{"fail.value": "7", **errors}),
                                    allow_replace=False)  # fmt: skip
        wait_for(lambda: len(plugins.values("snk3")) >= 19, what="19 records delivered")
        got = sorted({v["n"] for v in plugins.values("snk3")})
        assert got == [n for n in range(20) if n != 7]
        dead = wait_for(lambda: herder.log.has_topic("dlq") and _read(herder, "dlq"))
        assert len(dead) == 1
        record = dead[0]
        assert orjson.loads(record.value) == {"n": 7}
        headers = dict(record.headers)
        assert headers[dlq.TOPIC] == b"p" and headers[dlq.PARTITION] == b"0"
        assert headers[dlq.OFFSET] == b"7" and headers[dlq.STAGE] == b"TASK_PUT"
        assert headers[dlq.CONNECTOR_NAME] == b"snk3" and headers[dlq.TASK_ID] == b"0"
        assert headers[dlq.EXCEPTION_CLASS_NAME] == b"builtins.ValueError"
        assert b"cannot write" in headers[dlq.EXCEPTION_MESSAGE]
        assert b"Traceback" in headers[dlq.EXCEPTION_STACKTRACE]
        assert headers[dlq.CLASS_NAME] == b"tests.unit.workers.plugins.CollectingTask"
        assert task_state(herder, "snk3") == "RUNNING"


def test_converter_failure_in_source_goes_to_dlq(tmp_path: Path) -> None:
    errors = {"errors.tolerance": "all", "errors.deadletterqueue.topic.name": "sdlq",
              "errors.deadletterqueue.context.headers.enable": "true", "poison": "3"}  # fmt: skip
    with herder_on(tmp_path) as herder:
        herder.put_connector_config("src4", source("q", 10, **errors), allow_replace=False)
        wait_for(lambda: herder.log.has_topic("q") and len(_read(herder, "q")) == 9)
        dead = wait_for(lambda: herder.log.has_topic("sdlq") and _read(herder, "sdlq"))
        assert dict(dead[0].headers)[dlq.STAGE] == b"VALUE_CONVERTER"


def test_tolerance_none_fails_the_task_with_the_trace(tmp_path: Path) -> None:
    with herder_on(tmp_path) as herder:
        herder.put_connector_config("src5", source("r", 10), allow_replace=False)
        herder.put_connector_config("snk5", sink("r", **{"fail.value": "4"}),
                                    allow_replace=False)  # fmt: skip
        wait_for(lambda: task_state(herder, "snk5") == "FAILED", what="FAILED")
        trace = herder.status("snk5")["tasks"][0]["trace"]
        assert "Tolerance exceeded" in trace and "cannot write" in trace
        assert herder.groups.committed("connect-snk5", "r", 0) in (None, 0)
        assert herder.task_status("snk5", 0)["state"] == "FAILED"


def test_retriable_put_is_retried_within_the_timeout(tmp_path: Path) -> None:
    retry = {"retriable.failures": "2", "errors.retry.timeout": "10000",
             "errors.retry.delay.max.ms": "50"}  # fmt: skip
    with herder_on(tmp_path) as herder:
        herder.put_connector_config("src6", source("s", 10), allow_replace=False)
        herder.put_connector_config("snk6", sink("s", **retry), allow_replace=False)
        wait_for(lambda: len(plugins.values("snk6")) == 10)
        assert task_state(herder, "snk6") == "RUNNING"


def test_failed_task_restarts_automatically_with_backoff(tmp_path: Path) -> None:
    policy = {"fail.at": "5", "batch": "1", "errors.restart.enable": "true",
              "errors.restart.backoff.ms": "50", "errors.restart.max.attempts": "2"}  # fmt: skip
    with herder_on(tmp_path) as herder:
        herder.put_connector_config("src7", source("u", 10, **policy), allow_replace=False)
        wait_for(lambda: herder._restart_attempts.get(next(iter(herder._restart_attempts), None))
                 == 2, what="two automatic restarts")  # fmt: skip
        wait_for(lambda: task_state(herder, "src7") == "FAILED")
        assert len(_read(herder, "u")) >= 5


def test_topics_regex_spreads_partitions_over_tasks_in_order(tmp_path: Path) -> None:
    with herder_on(tmp_path) as herder:
        herder.log.create_topic("events-a", 3)
        herder.log.create_topic("events-b", 1)
        herder.put_connector_config("ra", source("events-a", 60), allow_replace=False)
        herder.put_connector_config("rb", source("events-b", 30), allow_replace=False)
        config = sink("", **{"topics.regex": "events-.*", "tasks.max": "2"})
        del config["topics"]
        herder.put_connector_config("rx", config, allow_replace=False)
        wait_for(lambda: len(plugins.values("rx")) == 90, what="90 records from both topics")
        by_partition: dict[tuple[str, int], list[int]] = {}
        for record in plugins.COLLECTED["rx"]:
            by_partition.setdefault((record.topic, record.kafka_partition or 0), []).append(
                record.kafka_offset
            )
        assert len(by_partition) == 4
        for offsets in by_partition.values():
            assert offsets == sorted(offsets), "in order per partition"
        tasks = [herder.worker.tasks[t] for t in herder.worker.tasks_of("rx")]
        assert sorted(len(t.positions) for t in tasks) == [2, 2]  # type: ignore[attr-defined]


def test_commit_record_gets_where_each_record_was_written(tmp_path: Path) -> None:
    with herder_on(tmp_path) as herder:
        herder.put_connector_config("cr", source("cr", 12), allow_replace=False)
        wait_for(lambda: len(plugins.METADATA.get("cr", [])) == 12)
        offsets = [m.offset for m in plugins.METADATA["cr"] if m is not None]
        assert offsets == list(range(12))
        assert {m.topic for m in plugins.METADATA["cr"] if m is not None} == {"cr"}


def test_errant_record_reporter_sends_to_the_dlq(tmp_path: Path) -> None:
    errors = {"errors.tolerance": "all", "errors.deadletterqueue.topic.name": "edlq",
              "errant.value": "2"}  # fmt: skip
    with herder_on(tmp_path) as herder:
        herder.put_connector_config("es", source("e", 5), allow_replace=False)
        herder.put_connector_config("ek", sink("e", **errors), allow_replace=False)
        wait_for(lambda: len(plugins.values("ek")) == 4)
        dead = wait_for(lambda: herder.log.has_topic("edlq") and _read(herder, "edlq"))
        assert orjson.loads(dead[0].value) == {"n": 2}


def test_transform_failure_in_sink_names_the_transform(tmp_path: Path) -> None:
    errors = {"errors.tolerance": "all", "errors.deadletterqueue.topic.name": "tdlq",
              "errors.deadletterqueue.context.headers.enable": "true",
              "transforms": "boom", "transforms.boom.type": "Explode"}  # fmt: skip
    with herder_on(tmp_path) as herder:
        herder.put_connector_config("ts", source("tx", 6), allow_replace=False)
        herder.put_connector_config("tk", sink("tx", **errors), allow_replace=False)
        wait_for(lambda: len(plugins.values("tk")) == 5)
        dead = wait_for(lambda: herder.log.has_topic("tdlq") and _read(herder, "tdlq"))
        headers = dict(dead[0].headers)
        assert headers[dlq.STAGE] == b"TRANSFORMATION"
        assert headers[dlq.CLASS_NAME] == b"tests.unit.workers.plugins.Explode"
        assert headers[dlq.OFFSET] == b"3"
