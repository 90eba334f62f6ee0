"""Both sinks run by the real worker runtime (a hub in-process), declared over REST.

Checks what only the runtime shows: records reach the sinks through converters, a
WRONGTYPE record lands in the dead letter topic with the reason in Kafka's error headers
while the rest is written, and an unreachable Elasticsearch turns the task FAILED with a
message saying what to check.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import redis

from tests.fixtures.es_server import running_es_server
from tests.fixtures.net import free_port
from tests.fixtures.redis import RedisServer

JSON_PLAIN = {
    "key.converter": "org.apache.kafka.connect.json.JsonConverter",
    "key.converter.schemas.enable": "false",
    "value.converter": "org.apache.kafka.connect.json.JsonConverter",
    "value.converter.schemas.enable": "false",
}


def _produce(client: httpx.Client, topic: str, records: list[dict[str, Any]]) -> None:
    client.post("/topics", json={"name": topic, "partitions": 1})
    resp = client.post(f"/topics/{topic}/records", json={"records": records})
    assert resp.status_code == 200, resp.text


def _wait(check: Callable[[], bool], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def _task_state(client: httpx.Client, name: str) -> dict[str, Any]:
    tasks = client.get(f"/connectors/{name}/status").json().get("tasks") or [{}]
    return dict(tasks[0])


def test_wrongtype_records_reach_the_dead_letter_topic_with_the_reason(
    hub_client: httpx.Client, redis_server: Callable[..., RedisServer]
) -> None:
    srv = redis_server()
    cache = redis.Redis.from_url(srv.url)
    cache.rpush("users:2", "a list")
    _produce(hub_client, "users", [{"key": str(i), "value": {"id": i}} for i in (1, 2, 3)])
    config = {**JSON_PLAIN, "connector.class": "com.redis.kafka.connect.RedisSinkConnector",
              "topics": "users", "redis.uri": srv.url, "redis.type": "HASH",
              "errors.tolerance": "all", "errors.deadletterqueue.topic.name": "dlq",
              "errors.deadletterqueue.context.headers.enable": "true"}  # fmt: skip
    resp = hub_client.post("/connectors", json={"name": "cache", "config": config})
    assert resp.status_code == 201, resp.text
    _wait(lambda: cache.exists("users:1", "users:3") == 2, "users:1 and users:3 in Redis")
    _wait(lambda: hub_client.get("/topics/dlq").status_code == 200, "the dlq topic")

    def dead() -> list[dict[str, Any]]:
        found = hub_client.get("/topics/dlq/partitions/0/records", params={"from": "earliest"})
        return list(found.json()) if found.status_code == 200 else []

    _wait(lambda: len(dead()) == 1, "one dead letter")
    (letter,) = dead()
    assert letter["key"] == 2 or letter["key"] == "2"
    message = letter["headers"]["__connect.errors.exception.message"]
    assert "WRONGTYPE" in message
    assert _task_state(hub_client, "cache")["state"] == "RUNNING"


def test_unreachable_elasticsearch_fails_the_task_with_what_to_check(
    hub_client: httpx.Client,
) -> None:
    _produce(hub_client, "orders", [{"key": "1", "value": {"id": 1}}])
    config = {**JSON_PLAIN, "topics": "orders",
              "connector.class": "io.confluent.connect.elasticsearch.ElasticsearchSinkConnector",
              "connection.url": f"http://127.0.0.1:{free_port()}", "max.retries": "1",
              "retry.backoff.ms": "10"}  # fmt: skip
    resp = hub_client.post("/connectors", json={"name": "search", "config": config})
    assert resp.status_code == 201, resp.text
    _wait(lambda: _task_state(hub_client, "search").get("state") == "FAILED", "FAILED")
    trace = _task_state(hub_client, "search")["trace"]
    assert "still failing after 2 attempt" in trace and "connection.url" in trace


def test_documents_flow_through_converters_into_elasticsearch(hub_client: httpx.Client) -> None:
    with running_es_server() as es:
        records = [{"key": str(i), "value": {"id": i, "name": f"n{i}"}} for i in range(50)]
        records.append({"key": "7", "value": None})
        _produce(hub_client, "People", records)
        config = {**JSON_PLAIN, "topics": "People", "connection.url": es.url,
                  "connector.class": "ElasticsearchSink",
                  "behavior.on.null.values": "delete"}  # fmt: skip
        resp = hub_client.post("/connectors", json={"name": "people", "config": config})
        assert resp.status_code == 201, resp.text

        def indexed() -> int:
            es.engine.refresh("people") if "people" in es.engine.indexes else None
            index = es.engine.indexes.get("people")
            return len(index.visible) if index else -1

        _wait(lambda: indexed() == 49, "49 documents in index 'people'")
        assert es.engine.get_doc("people", "8")["_source"] == {"id": 8, "name": "n8"}  # type: ignore[index]
