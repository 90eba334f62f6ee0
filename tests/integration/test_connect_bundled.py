"""Bundled connectors that need the runtime's extras: the sink-side producer and ingest."""

from __future__ import annotations

import httpx

from tests.unit.workers.helpers import wait_for

SRC = "tests.unit.workers.plugins.CountingSource"
PLAIN = {"value.converter.schemas.enable": "false"}


def _records(client: httpx.Client, topic: str) -> list[dict[str, object]]:
    resp = client.get(f"/topics/{topic}/partitions/0/records", params={"offset": 0})
    return resp.json() if resp.status_code == 200 else []


def test_topic_sink_republishes_through_the_runtime_producer(hub_client: httpx.Client) -> None:
    hub_client.post(
        "/connectors",
        json={
            "name": "gen",
            "config": {"connector.class": SRC, "topic": "raw-events", "count": "40", **PLAIN},
        },
    )
    resp = hub_client.post(
        "/connectors",
        json={
            "name": "copy",
            "config": {
                "connector.class": "TopicSinkConnector",
                "topics": "raw-events",
                "topic": "copied",
                "transforms": "tag",
                "transforms.tag.type": "InsertField$Value",
                "transforms.tag.static.field": "copied",
                "transforms.tag.static.value": "yes",
                **PLAIN,
            },
        },
    )
    assert resp.status_code == 201, resp.text
    wait_for(
        lambda: (
            hub_client.get("/connectors/copy/offsets").json()["offsets"]
            and hub_client.get("/connectors/copy/offsets").json()["offsets"][0]["offset"]
            == {"kafka_offset": 40}
        ),
        what="the topic sink committed all 40",
    )
    status = hub_client.get("/connectors/copy/status").json()
    assert status["tasks"][0]["state"] == "RUNNING", status
    end = hub_client.get("/topics/copied").json()["partitions"][0]["end_offset"]
    assert end == 40


def test_http_ingest_answers_once_events_are_durable(hub_client: httpx.Client) -> None:
    config = {
        "connector.class": "HttpIngestSourceConnector",
        "ingest.source": "clicks",
        "topic": "clicks",
        "offset.flush.interval.ms": "100",
        **PLAIN,
    }
    resp = hub_client.post("/connectors", json={"name": "web", "config": config})
    assert resp.status_code == 201, resp.text
    wait_for(
        lambda: (
            (t := hub_client.get("/connectors/web/status").json()["tasks"])
            and t[0]["state"] == "RUNNING"
        )
    )
    sent = hub_client.post("/ingest/clicks", json=[{"page": "/a"}, {"page": "/b"}])
    assert sent.status_code == 200, sent.text
    assert sent.json() == {"source": "clicks", "accepted": 2}
    assert hub_client.get("/topics/clicks").json()["partitions"][0]["end_offset"] == 2
    unknown = hub_client.post("/ingest/nobody", json={"a": 1})
    assert unknown.status_code == 404 and unknown.json()["error_code"] == 404
