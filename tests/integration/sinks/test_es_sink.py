"""The Elasticsearch sink against the ES-compatible test server (or a real cluster, see
tests/README.md): versions, write methods, deletes, index management, data streams,
retries, per-item errors, auth and TLS."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import Elasticsearch, NotFoundError

from connectors.api import ConnectError, DataError, Schema, SchemaBuilder, SinkRecord, Struct
from connectors.plugins import default_registry
from connectors.sinks.elasticsearch.connector import ElasticsearchSinkConnector
from connectors.sinks.elasticsearch.task import ElasticsearchSinkTask
from tests.fixtures.es_server import EsTestServer, running_es_server
from tests.fixtures.net import free_port
from tests.integration.sinks.support import EventLog, dead_letters, row, start_task
from tests.support.tls import self_signed_certificate


def _task(url: str, *, tolerate: bool = True, **config: str) -> ElasticsearchSinkTask:
    task: ElasticsearchSinkTask = start_task(
        ElasticsearchSinkTask, {"connection.url": url, **config}, tolerate=tolerate
    )
    return task


def _rec(topic: str, key: Any, value: Any, offset: int, **kw: Any) -> SinkRecord:
    return SinkRecord(topic, 0, None, key, kw.pop("schema", None), value, kafka_offset=offset,
                      timestamp=1_700_000_000_000, **kw)  # fmt: skip


def _docs(url: str, index: str) -> dict[str, Any]:
    client = Elasticsearch(url)
    client.indices.refresh(index=index)
    hits = client.search(index=index, query={"match_all": {}}, size=1000)["hits"]["hits"]
    return {h["_id"]: h["_source"] for h in hits}


def test_the_confluent_class_name_resolves_to_ours() -> None:
    name = "io.confluent.connect.elasticsearch.ElasticsearchSinkConnector"
    assert default_registry().connector_class(name) is ElasticsearchSinkConnector


def test_an_older_replayed_event_never_overwrites_a_newer_one(es_url: str, es_prefix: str) -> None:
    task = _task(es_url)
    task.put([_rec(es_prefix, 1, {"v": "new"}, offset=10)])
    task.put([_rec(es_prefix, 1, {"v": "old"}, offset=4), _rec(es_prefix, 2, {"v": 2}, offset=5)])
    assert _docs(es_url, es_prefix) == {"1": {"v": "new"}, "2": {"v": 2}}
    assert task.sender is not None and task.sender.stats.conflicts == 1
    doc = Elasticsearch(es_url).get(index=es_prefix, id="1")
    assert doc["_version"] == 10


def test_key_ignore_uses_topic_partition_offset_ids(es_url: str, es_prefix: str) -> None:
    task = _task(es_url, **{"key.ignore": "true"})
    task.put([_rec(es_prefix, None, {"v": 1}, offset=3), _rec(es_prefix, None, {"v": 1}, offset=3)])
    assert _docs(es_url, es_prefix) == {f"{es_prefix}+0+3": {"v": 1}}


def test_upsert_updates_only_the_fields_sent(es_url: str, es_prefix: str) -> None:
    task = _task(es_url, **{"write.method": "upsert"})
    task.put([_rec(es_prefix, 1, {"a": 1, "b": 1}, 0), _rec(es_prefix, 1, {"b": 2, "c": 3}, 1)])
    assert _docs(es_url, es_prefix) == {"1": {"a": 1, "b": 2, "c": 3}}


def test_tombstones_follow_behavior_on_null_values(es_url: str, es_prefix: str) -> None:
    ignore = _task(es_url, **{"behavior.on.null.values": "ignore"})
    ignore.put([_rec(es_prefix, 1, {"a": 1}, 0), _rec(es_prefix, 1, None, 1)])
    assert _docs(es_url, es_prefix) == {"1": {"a": 1}}
    delete = _task(es_url, **{"behavior.on.null.values": "DELETE"})
    delete.put([_rec(es_prefix, 1, None, 2), _rec(es_prefix, 9, None, 3)])
    assert _docs(es_url, es_prefix) == {}
    fail = _task(es_url, tolerate=False)
    with pytest.raises(DataError, match=r"behavior.on.null.values=fail"):
        fail.put([_rec(es_prefix, 1, None, 4)])


def test_debezium_deletes_and_pk_changes(es_url: str, es_prefix: str) -> None:
    log = EventLog(topic=es_prefix)
    log.create(row(1, "a", 1))
    log.create(row(2, "b", 2))
    log.change_key(1, row(3, "a", 1))
    log.delete(2, tombstone=False)
    task = _task(es_url)  # default behavior.on.null.values=fail: op=d deletes, tombstones fail
    task.put([r for r in log.records if r.value is not None])
    assert _docs(es_url, es_prefix) == {"3": row(3, "a", 1).to_dict()}


def test_indexes_are_created_with_configured_settings_and_mappings(
    es_server: EsTestServer, es_prefix: str
) -> None:
    mappings = '{"properties": {"name": {"type": "keyword"}}}'
    task = _task(es_server.url, **{"index.mappings": mappings,
                                   "index.settings": '{"number_of_shards": 1}',
                                   "index.name.format": "idx-${topic}"})  # fmt: skip
    task.put([_rec(es_prefix.upper(), 1, {"name": "x"}, 0)])
    index = es_server.engine.get(f"idx-{es_prefix}")
    assert index.properties["name"] == {"type": "keyword"}
    assert index.settings == {"number_of_shards": 1}


def test_mappings_derived_from_the_connect_schema(es_server: EsTestServer) -> None:
    log = EventLog(topic="derived")
    log.create(row(1, "a", 1))
    _task(es_server.url).put(log.records)
    props = es_server.engine.get("derived").properties
    assert props["qty"] == {"type": "long"} and props["id"] == {"type": "integer"}
    assert props["name"]["type"] == "text"
    _task(es_server.url, **{"schema.ignore": "true"}).put(
        [_rec("plain", 1, {"n": 1}, 0, schema=None)])  # fmt: skip
    assert es_server.engine.get("plain").properties == {"n": {"type": "long"}}


def test_mapping_errors_go_to_the_dead_letter_queue_with_the_reason(
    es_url: str, es_prefix: str
) -> None:
    task = _task(es_url, **{"index.mappings": '{"properties": {"n": {"type": "long"}}}'})
    records = [_rec(es_prefix, 1, {"n": 1}, 0), _rec(es_prefix, 2, {"n": "abc"}, 1),
               _rec(es_prefix, 3, {"n": 3}, 2)]  # fmt: skip
    task.put(records)
    ((record, error),) = dead_letters(task)
    assert record is records[1]
    assert "parsing_exception" in str(error) and "[n]" in str(error)
    assert set(_docs(es_url, es_prefix)) == {"1", "3"}
    quiet = _task(es_url, **{"behavior.on.malformed.documents": "ignore"})
    quiet.put([_rec(es_prefix, 4, {"n": "zz"}, 3)])
    assert dead_letters(quiet) == [] and quiet.dropped == 1


def test_mapping_errors_fail_the_task_without_a_dlq(es_url: str, es_prefix: str) -> None:
    task = _task(es_url, tolerate=False,
                 **{"index.mappings": '{"properties": {"n": {"type": "long"}}}'})  # fmt: skip
    with pytest.raises(DataError, match=r"refused the document '2'.*errors.tolerance=all"):
        task.put([_rec(es_prefix, 2, {"n": "abc"}, 1)])


@pytest.mark.parametrize("status", [429, 503])
def test_rejected_bulk_requests_are_retried(es_server: EsTestServer, status: int) -> None:
    es_server.reject_next(2, status)
    task = _task(es_server.url, **{"retry.backoff.ms": "10"})
    task.put([_rec("r", i, {"i": i}, i) for i in range(5)])
    assert len(_docs(es_server.url, "r")) == 5
    assert task.sender is not None and task.sender.stats.retried_requests == 2


def test_rejected_items_are_retried_in_order(es_server: EsTestServer) -> None:
    task = _task(es_server.url, **{"retry.backoff.ms": "10", "write.method": "upsert"})
    task.put([_rec("o", 0, {"seed": 1}, 0)])  # creates the index first
    es_server.reject_items(1)  # the first op below is refused; the later ones must follow it
    task.put([_rec("o", 1, {"v": 1}, 1), _rec("o", 1, {"v": 2}, 2), _rec("o", 2, {"v": 9}, 3)])
    assert _docs(es_server.url, "o") == {"0": {"seed": 1}, "1": {"v": 2}, "2": {"v": 9}}
    assert task.sender is not None and task.sender.stats.retried_items == 2


def test_an_overloaded_cluster_ends_in_a_clear_error(es_server: EsTestServer) -> None:
    task = _task(es_server.url, **{"retry.backoff.ms": "1", "max.retries": "2"})
    task.put([_rec("x", 0, {"i": 0}, 0)])
    es_server.reject_items(10)
    with pytest.raises(ConnectError, match=r"kept rejecting .*lower batch.size"):
        task.put([_rec("x", 1, {"i": 1}, 1)])


def test_connection_refused_is_retried_then_fails_clearly() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    task = _task(url, **{"max.retries": "3", "retry.backoff.ms": "50"})
    started = time.monotonic()
    with pytest.raises(ConnectError, match=r"still failing after 4 attempt.*connection.url"):
        task.put([_rec("x", 1, {"a": 1}, 0)])
    assert time.monotonic() - started >= 0.15  # 3 backoffs of at least 25, 50, 100 ms


@pytest.mark.parametrize(
    ("config", "ok"),
    [
        ({"connection.username": "elastic", "connection.password": "changeme"}, True),
        ({"connection.api.key": "a2V5aWQ6c2VjcmV0"}, True),
        ({"connection.bearer.token": "tok-123"}, True),
        ({"connection.username": "elastic", "connection.password": "nope"}, False),
        ({}, False),
    ],
)
def test_auth_basic_api_key_bearer(config: dict[str, str], ok: bool) -> None:
    auth = {"users": {"elastic": "changeme"}, "api_keys": ["a2V5aWQ6c2VjcmV0"],
            "tokens": ["tok-123"]}  # fmt: skip
    with running_es_server(auth) as server:
        task = _task(server.url, **config)
        if ok:
            task.put([_rec("auth", 1, {"a": 1}, 0)])
            assert server.engine.get_doc("auth", "1") is not None
        else:
            with pytest.raises(ConnectError, match=r"refused the request \(401.*api.key"):
                task.put([_rec("auth", 1, {"a": 1}, 0)])


def test_https_with_a_ca_file(tmp_path: Path) -> None:
    cert, key = self_signed_certificate(tmp_path, "es")
    with running_es_server(tls=(str(cert), str(key))) as server:
        task = _task(server.url, **{"elastic.https.ssl.ca.file": str(cert)})
        task.put([_rec("tls", 1, {"a": 1}, 0)])
        assert server.engine.get_doc("tls", "1") is not None


def test_data_streams_append_with_timestamps(es_server: EsTestServer) -> None:
    log = EventLog(topic="orders")
    log.create(row(1, "a", 1))
    log.update(row(1, "b", 2))
    log.delete(1)
    task = _task(es_server.url, **{"data.stream.type": "logs", "data.stream.dataset": "shop",
                                   "behavior.on.null.values": "delete"})  # fmt: skip
    task.put(log.records)
    client = Elasticsearch(es_server.url)
    stream = client.indices.get_data_stream(name="logs-shop-orders")["data_streams"][0]
    assert stream["name"] == "logs-shop-orders"
    docs = _docs(es_server.url, "logs-shop-orders")
    assert sorted(d["name"] for d in docs.values()) == ["a", "b"]  # appended, deletes skipped
    assert all(d["@timestamp"].endswith("Z") for d in docs.values())


def test_external_version_from_the_change_event_lsn(es_url: str, es_prefix: str) -> None:
    log = EventLog(topic=es_prefix)
    log.create(row(1, "a", 1))
    log.update(row(1, "b", 2))
    task = _task(es_url, **{"external.version.field": "source.lsn"})
    task.put(log.records)
    task.put(log.records[:1])  # replayed under a different offset numbering: still older
    doc = Elasticsearch(es_url).get(index=es_prefix, id="1")
    assert doc["_source"]["name"] == "b" and doc["_version"] == 1008


def test_struct_keys_and_invalid_records(es_url: str, es_prefix: str) -> None:
    key_schema = SchemaBuilder.struct().field("a", Schema.INT32_SCHEMA).build()
    key = Struct(key_schema).put("a", 7)
    task = _task(es_url)
    task.put([_rec(es_prefix, key, {"x": 1}, 0), _rec(es_prefix, None, {"x": 2}, 1),
              _rec(es_prefix, 3, "not json", 2), _rec(es_prefix, 4, '{"x": 4}', 3)])  # fmt: skip
    assert _docs(es_url, es_prefix) == {"7": {"x": 1}, "4": {"x": 4}}
    reasons = [str(e) for _, e in dead_letters(task)]
    assert "null key" in reasons[0] and "JSON objects" in reasons[1]
    dropping = _task(es_url, **{"drop.invalid.message": "true"})
    dropping.put([_rec(es_prefix, None, {"x": 2}, 4)])
    assert dead_letters(dropping) == [] and dropping.dropped == 1
    with pytest.raises(NotFoundError):
        Elasticsearch(es_url).get(index=es_prefix, id="None")


def test_per_topic_key_ignore_version_header_and_gzip(es_server: EsTestServer) -> None:
    task = _task(es_server.url, **{"topic.key.ignore": "logs", "connection.compression": "true",
                                   "external.version.header": "v"})  # fmt: skip
    task.put([_rec("logs", 1, {"a": 1}, 7), _rec("users", 1, {"a": 1}, 8)])
    assert set(_docs(es_server.url, "logs")) == {"logs+0+7"}
    headed = _rec("users", 2, {"a": 2}, 9)
    headed.headers.add("v", "123")
    task.put([headed])
    assert es_server.engine.get_doc("users", "2")["_version"] == 123  # type: ignore[index]
    assert es_server.engine.get_doc("users", "1")["_version"] == 1  # type: ignore[index]


def test_validate_reports_bad_json_options() -> None:
    values = ElasticsearchSinkConnector().validate(
        {"connection.url": "http://x:9200", "index.mappings": "{not json"}
    )
    errors = {v.name: v.errors for v in values if v.errors}
    assert list(errors) == ["index.mappings"] and "not valid JSON" in errors["index.mappings"][0]
    missing = {v.name for v in ElasticsearchSinkConnector().validate({}) if v.errors}
    assert missing == {"connection.url"}


def test_routers_choose_the_index(es_server: EsTestServer) -> None:
    from connectors.transforms.routers import RegexRouter, TimestampRouter

    regex = RegexRouter()
    regex.configure({"regex": "pg\\.public\\.(.*)", "replacement": "search-$1"})
    stamp = TimestampRouter()
    stamp.configure({"topic.format": "${topic}-${timestamp}", "timestamp.format": "yyyy.MM"})
    record = _rec("pg.public.items", 1, {"a": 1}, 0)
    task = _task(es_server.url)
    task.put([stamp.apply(regex.apply(record))])  # type: ignore[list-item]
    assert list(es_server.engine.indexes) == ["search-items-2023.11"]
