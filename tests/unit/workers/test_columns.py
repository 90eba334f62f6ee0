"""The runtime's column path: SourceRecordBatch in, SinkRecordBatch out, same results.

Columns are only a faster way to carry the same records: the log must hold the same bytes,
a bad record must still meet retries, tolerance and the DLQ on its own, and whatever needs
record objects (transforms, headers, ``commit_record``) must still get them.
"""

from __future__ import annotations

from pathlib import Path

import orjson

from tests.unit.workers import plugins
from tests.unit.workers.helpers import herder_on, sink, source, wait_for


def _values(herder: object, topic: str) -> list[bytes | None]:
    log = herder.log  # type: ignore[attr-defined]
    return [r.value for b in log.partition(topic, 0).batches() for r in b.records()]


def _insert_origin(value: str) -> dict[str, str]:
    return {
        "transforms": "add",
        "transforms.add.type": "InsertField$Value",
        "transforms.add.static.field": "origin",
        "transforms.add.static.value": value,
    }


def test_columns_write_the_same_log_as_records(tmp_path: Path) -> None:
    with herder_on(tmp_path) as herder:
        herder.put_connector_config("rows", source("as-records", 120, batch="50"),
                                    allow_replace=False)  # fmt: skip
        columns = {**source("as-columns", 120, batch="50"), "connector.class": "ColumnsSource"}
        herder.put_connector_config("cols", columns, allow_replace=False)
        wait_for(lambda: herder.offsets.get("cols", {"source": "cols"}) == {"n": 119})
        wait_for(lambda: herder.offsets.get("rows", {"source": "rows"}) == {"n": 119})
        assert _values(herder, "as-columns") == _values(herder, "as-records")
        assert len(_values(herder, "as-columns")) == 120


def test_sink_gets_columns_and_commits_like_records(tmp_path: Path) -> None:
    with herder_on(tmp_path) as herder:
        columns = {**source("c1", 300, batch="100"), "connector.class": "ColumnsSource"}
        herder.put_connector_config("src-c1", columns, allow_replace=False)
        herder.put_connector_config("snk-c1", sink("c1"), allow_replace=False)
        wait_for(lambda: len(plugins.values("snk-c1")) == 300, what="300 records put")
        assert [v["n"] for v in plugins.values("snk-c1")] == list(range(300))
        assert set(plugins.PUT_TYPES["snk-c1"]) == {"SinkRecordBatch"}
        wait_for(lambda: herder.groups.committed("connect-snk-c1", "c1", 0) == 300)
        record = plugins.COLLECTED["snk-c1"][7]
        assert (record.topic, record.kafka_partition, record.kafka_offset) == ("c1", 0, 7)
        assert record.original_kafka_offset == 7 and record.timestamp is not None


def test_sink_with_transforms_gets_records(tmp_path: Path) -> None:
    chain = _insert_origin("t")
    with herder_on(tmp_path) as herder:
        columns = {**source("c2", 20), "connector.class": "ColumnsSource"}
        herder.put_connector_config("src-c2", columns, allow_replace=False)
        herder.put_connector_config("snk-c2", sink("c2", **chain), allow_replace=False)
        wait_for(lambda: len(plugins.values("snk-c2")) == 20)
        assert plugins.values("snk-c2")[3] == {"n": 3, "origin": "t"}
        assert set(plugins.PUT_TYPES["snk-c2"]) == {"list"}


def test_source_transforms_apply_to_columns(tmp_path: Path) -> None:
    chain = _insert_origin("s")
    with herder_on(tmp_path) as herder:
        columns = {**source("c3", 15), "connector.class": "ColumnsSource", **chain}
        herder.put_connector_config("src-c3", columns, allow_replace=False)
        wait_for(lambda: herder.log.has_topic("c3") and len(_values(herder, "c3")) == 15)
        assert orjson.loads(_values(herder, "c3")[4] or b"") == {"n": 4, "origin": "s"}


def test_a_bad_value_in_columns_alone_goes_to_the_dlq(tmp_path: Path) -> None:
    errors = {"errors.tolerance": "all", "errors.deadletterqueue.topic.name": "cdlq",
              "poison": "5", "batch": "10"}  # fmt: skip
    with herder_on(tmp_path) as herder:
        columns = {**source("c4", 30, **errors), "connector.class": "ColumnsSource"}
        herder.put_connector_config("src-c4", columns, allow_replace=False)
        wait_for(lambda: herder.log.has_topic("c4") and len(_values(herder, "c4")) == 29)
        got = [orjson.loads(v or b"")["n"] for v in _values(herder, "c4")]
        assert got == [n for n in range(30) if n != 5]
        wait_for(lambda: herder.offsets.get("src-c4", {"source": "src-c4"}) == {"n": 29})


def test_commit_batch_alone_hears_of_every_batch(tmp_path: Path) -> None:
    """Whether a batch went as columns or (with a bad value) record by record."""
    errors = {"errors.tolerance": "all", "poison": "15", "batch": "10"}
    with herder_on(tmp_path) as herder:
        config = {**source("c6", 30, **errors), "connector.class": "BatchAckSource"}
        herder.put_connector_config("src-c6", config, allow_replace=False)
        wait_for(lambda: herder.offsets.get("src-c6", {"source": "src-c6"}) == {"n": 29})
        assert plugins.ACKED["src-c6"] == [("batch", 10)] * 3
        assert len(_values(herder, "c6")) == 29


def test_a_record_the_sink_rejects_is_isolated_from_columns(tmp_path: Path) -> None:
    errors = {"errors.tolerance": "all", "errors.deadletterqueue.topic.name": "kdlq"}
    with herder_on(tmp_path) as herder:
        columns = {**source("c5", 40, batch="40"), "connector.class": "ColumnsSource"}
        herder.put_connector_config("src-c5", columns, allow_replace=False)
        herder.put_connector_config("snk-c5", sink("c5", **{"fail.value": "17", **errors}),
                                    allow_replace=False)  # fmt: skip
        wait_for(lambda: len(plugins.values("snk-c5")) >= 39, what="39 records delivered")
        assert sorted({v["n"] for v in plugins.values("snk-c5")}) == [
            n for n in range(40) if n != 17
        ]
        dead = wait_for(lambda: herder.log.has_topic("kdlq") and _values(herder, "kdlq"))
        assert [orjson.loads(v or b"") for v in dead] == [{"n": 17}]


def test_a_bad_message_read_as_columns_meets_the_error_operator(tmp_path: Path) -> None:
    errors = {"errors.tolerance": "all", "errors.deadletterqueue.topic.name": "rdlq"}
    with herder_on(tmp_path) as herder:
        herder.log.create_topic("c6", 1)
        good = [orjson.dumps({"n": n}) for n in range(5)]
        herder.log.append_kv("c6", [None] * 6, [*good[:2], b"{not json", *good[2:]])
        herder.put_connector_config("snk-c6", sink("c6", **errors), allow_replace=False)
        wait_for(lambda: len(plugins.values("snk-c6")) == 5)
        assert [v["n"] for v in plugins.values("snk-c6")] == list(range(5))
        dead = wait_for(lambda: herder.log.has_topic("rdlq") and _values(herder, "rdlq"))
        assert dead == [b"{not json"]


def _records(herder: object, topic: str) -> list[tuple[object, ...]]:
    log = herder.log  # type: ignore[attr-defined]
    return [(r.key, r.value, r.timestamp) for b in log.partition(topic, 0).batches()
            for r in b.records()]  # fmt: skip


def test_keyed_struct_columns_write_what_their_records_write(tmp_path: Path) -> None:
    """Keys, StructColumns values and timestamps go through as columns, acked per batch."""
    json = {"key.converter": "org.apache.kafka.connect.json.JsonConverter",
            "value.converter": "org.apache.kafka.connect.json.JsonConverter",
            "value.converter.schemas.enable": "true",
            "connector.class": "StructColumnsSource"}  # fmt: skip
    zstd = {"topic.creation.default.compression.type": "zstd"}  # KIP-158: a topic config
    with herder_on(tmp_path) as herder:
        herder.put_connector_config(
            "sc-cols", {**source("sc-cols", 40, batch="15"), **json, **zstd}, allow_replace=False
        )
        herder.put_connector_config(
            "sc-rows", {**source("sc-rows", 40, batch="15"), **json, "as.records": "true"},
            allow_replace=False,
        )  # fmt: skip
        wait_for(lambda: herder.offsets.get("sc-cols", {"source": "sc-cols"}) == {"n": 39})
        wait_for(lambda: herder.offsets.get("sc-rows", {"source": "sc-rows"}) == {"n": 39})
        got, expected = _records(herder, "sc-cols"), _records(herder, "sc-rows")
        batches = list(herder.log.partition("sc-cols", 0).batches())
        assert {b.compression.name for b in batches} == {"ZSTD"}
    assert got == expected and len(got) == 40
    assert orjson.loads(got[3][0] or b"") == {"id": 3}
    assert orjson.loads(got[3][1] or b"")["payload"] == {"id": 3, "op": "c"}
    assert got[3][2] == 1_700_000_000_003
    assert plugins.ACKED["sc-cols"] == [("batch", 15), ("batch", 15), ("batch", 10)]
    assert plugins.ACKED["sc-rows"] == [("record", n) for n in range(40)]
