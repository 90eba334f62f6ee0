"""Kafka Connect REST endpoints over real HTTP against a running hub (COMPAT.md 1.3 shapes)."""

from __future__ import annotations

import httpx

from tests.unit.workers.helpers import wait_for

SRC = "tests.unit.workers.plugins.CountingSource"
SNK = "tests.unit.workers.plugins.CollectingSink"
PLAIN = {"value.converter.schemas.enable": "false"}


def _create(client: httpx.Client, name: str, **config: str) -> httpx.Response:
    return client.post("/connectors", json={"name": name, "config": config})


def _task_state(client: httpx.Client, name: str) -> str | None:
    tasks = client.get(f"/connectors/{name}/status").json()["tasks"]
    return tasks[0]["state"] if tasks else None


def test_create_list_get_and_expand(hub_client: httpx.Client) -> None:
    resp = _create(hub_client, "c1", **{"connector.class": SRC, "topic": "t1", "count": "20"})
    assert resp.status_code == 201
    assert resp.headers["location"] == "/connectors/c1"
    body = resp.json()
    assert body["name"] == "c1" and body["type"] == "source" and body["tasks"] == []
    assert body["config"]["name"] == "c1"
    assert hub_client.get("/connectors").json() == ["c1"]
    info = hub_client.get("/connectors/c1").json()
    assert info["tasks"] == [{"connector": "c1", "task": 0}]
    both = hub_client.get("/connectors", params=[("expand", "status"), ("expand", "info")]).json()
    assert set(both["c1"]) == {"status", "info"}
    status = both["c1"]["status"]
    assert status["name"] == "c1" and status["type"] == "source"
    assert set(status["connector"]) == {"state", "worker_id"}
    assert hub_client.get("/connectors?expand=bogus").json() == ["c1"]


def test_error_statuses_and_messages(hub_client: httpx.Client) -> None:
    bad_json = hub_client.post("/connectors", content=b'{"name": "x", ',
                               headers={"content-type": "application/json"})  # fmt: skip
    assert bad_json.status_code == 400 and bad_json.json()["error_code"] == 400
    assert "malformed JSON" in bad_json.json()["message"]
    unknown = _create(hub_client, "u", **{"connector.class": "NoSuchThing"})
    assert unknown.status_code == 400 and "CountingSource" not in unknown.json()["message"]
    assert "FileStreamSource" in unknown.json()["message"] or "Available" in unknown.json()[
        "message"]  # fmt: skip
    invalid = _create(hub_client, "v", **{"connector.class": SRC, "count": "x", "tasks.max": "0"})
    message = invalid.json()["message"]
    assert invalid.status_code == 400
    assert message.startswith("Connector configuration is invalid and contains the following 3")
    assert "count" in message and "tasks.max" in message and "topic" in message
    assert _create(hub_client, "d", **{"connector.class": SRC, "topic": "t"}).status_code == 201
    dup = _create(hub_client, "d", **{"connector.class": SRC, "topic": "t"})
    assert dup.status_code == 409 and dup.json() == {
        "error_code": 409,
        "message": "Connector d already exists",
    }
    missing = hub_client.get("/connectors/nope/status")
    assert missing.status_code == 404
    assert missing.json() == {"error_code": 404, "message": "Connector nope not found"}
    mismatch = hub_client.put("/connectors/a/config", json={"name": "b", "connector.class": SRC})
    assert mismatch.status_code == 400
    assert mismatch.json()["message"] == (
        "Connector name configuration (b) doesn't match connector name in the URL (a)"
    )


def test_config_put_patch_and_lifecycle_codes(hub_client: httpx.Client) -> None:
    config = {"connector.class": SRC, "topic": "t2", "count": "5", **PLAIN}
    created = hub_client.put("/connectors/c2/config", json=config)
    assert created.status_code == 201
    updated = hub_client.put("/connectors/c2/config", json={**config, "count": "6"})
    assert updated.status_code == 200 and updated.json()["config"]["count"] == "6"
    patched = hub_client.patch("/connectors/c2/config", json={"count": "7", "batch": None})
    assert patched.status_code == 200 and patched.json()["config"]["count"] == "7"
    assert hub_client.get("/connectors/c2/config").json()["count"] == "7"
    assert hub_client.put("/connectors/c2/pause").status_code == 202
    wait_for(lambda: _task_state(hub_client, "c2") == "PAUSED")
    assert hub_client.put("/connectors/c2/resume").status_code == 202
    wait_for(lambda: _task_state(hub_client, "c2") == "RUNNING")
    assert hub_client.post("/connectors/c2/restart").status_code == 204
    restarted = hub_client.post("/connectors/c2/restart?includeTasks=true")
    assert restarted.status_code == 202
    assert restarted.json()["connector"]["state"] == "RESTARTING"
    assert restarted.json()["tasks"][0]["state"] == "RESTARTING"
    assert hub_client.post("/connectors/c2/tasks/0/restart").status_code == 204
    assert hub_client.post("/connectors/c2/tasks/9/restart").status_code == 404
    tasks = hub_client.get("/connectors/c2/tasks").json()
    assert tasks[0]["id"] == {"connector": "c2", "task": 0} and tasks[0]["config"]["topic"] == "t2"
    task_status = wait_for(lambda: hub_client.get("/connectors/c2/tasks/0/status").json())
    assert task_status["id"] == 0 and "worker_id" in task_status
    assert hub_client.get("/connectors/c2/tasks/5/status").status_code == 404
    assert hub_client.put("/connectors/c2/stop").status_code == 204
    stopped = hub_client.get("/connectors/c2/status").json()
    assert stopped["connector"]["state"] == "STOPPED" and stopped["tasks"] == []
    assert hub_client.delete("/connectors/c2").status_code == 204
    assert hub_client.delete("/connectors/c2").status_code == 404


def test_offsets_topics_and_plugins(hub_client: httpx.Client) -> None:
    _create(hub_client, "s3", **{"connector.class": SRC, "topic": "t3", "count": "10", **PLAIN})
    _create(hub_client, "k3", **{"connector.class": SNK, "topics": "t3", **PLAIN})
    wait_for(lambda: hub_client.get("/connectors/s3/offsets").json()["offsets"])
    src = wait_for(lambda: (o := hub_client.get("/connectors/s3/offsets").json())["offsets"][0][
        "offset"] == {"n": 9} and o)  # fmt: skip
    assert src == {"offsets": [{"partition": {"source": "s3"}, "offset": {"n": 9}}]}
    sink = wait_for(lambda: (o := hub_client.get("/connectors/k3/offsets").json())["offsets"] and o)
    assert sink["offsets"][0]["partition"] == {"kafka_topic": "t3", "kafka_partition": 0}
    assert hub_client.get("/connectors/s3/topics").json() == {"s3": {"topics": ["t3"]}}
    assert hub_client.put("/connectors/s3/topics/reset").status_code == 202
    assert hub_client.get("/connectors/s3/topics").json() == {"s3": {"topics": []}}
    running = hub_client.delete("/connectors/s3/offsets")
    assert running.status_code == 400 and "STOPPED" in running.json()["message"]
    hub_client.put("/connectors/s3/stop")
    empty = hub_client.patch("/connectors/s3/offsets", json={"offsets": []})
    assert empty.status_code == 400 and "need to be provided" in empty.json()["message"]
    altered = hub_client.patch("/connectors/s3/offsets", json={"offsets": [
        {"partition": {"source": "s3"}, "offset": {"n": 4}}]})  # fmt: skip
    assert altered.status_code == 200 and "altered successfully" in altered.json()["message"]
    assert hub_client.get("/connectors/s3/offsets").json()["offsets"][0]["offset"] == {"n": 4}
    reset = hub_client.delete("/connectors/s3/offsets")
    assert reset.status_code == 200 and "reset successfully" in reset.json()["message"]
    assert hub_client.get("/connectors/s3/offsets").json() == {"offsets": []}
    hub_client.put("/connectors/k3/stop")
    sink_alter = hub_client.patch("/connectors/k3/offsets", json={"offsets": [
        {"partition": {"kafka_topic": "t3", "kafka_partition": 0},
         "offset": {"kafka_offset": 2}}]})  # fmt: skip
    assert sink_alter.status_code == 200
    assert hub_client.get("/connectors/k3/offsets").json()["offsets"][0]["offset"] == {
        "kafka_offset": 2}  # fmt: skip
    plugins = hub_client.get("/connector-plugins").json()
    assert plugins and {p["type"] for p in plugins} <= {"source", "sink"}
    every = hub_client.get("/connector-plugins?connectorsOnly=false").json()
    assert {"converter", "transformation", "predicate"} <= {p["type"] for p in every}
    keys = hub_client.get("/connector-plugins/InsertField$Value/config").json()
    assert {"name", "type", "required", "default_value", "importance", "documentation",
            "group", "order", "width", "display_name", "dependents"} == set(keys[0])  # fmt: skip


def test_validate_endpoint(hub_client: httpx.Client) -> None:
    resp = hub_client.put("/connector-plugins/CountingSource/config/validate",
                          json={"connector.class": SRC, "count": "x", "secret": "p"})  # fmt: skip
    assert resp.status_code == 200
    body = resp.json()
    assert body["name"] == SRC and body["error_count"] == 3
    assert "Common" in body["groups"]
    configs = {c["value"]["name"]: c for c in body["configs"]}
    assert configs["count"]["value"]["errors"]
    assert configs["secret"]["value"]["value"] == "[hidden]"
    assert set(configs["count"]["value"]) == {"name", "value", "recommended_values", "errors",
                                               "visible"}  # fmt: skip
    mismatch = hub_client.put("/connector-plugins/Other/config/validate",
                              json={"connector.class": SRC})  # fmt: skip
    assert mismatch.status_code == 400
    missing = hub_client.put("/connector-plugins/X/config/validate", json={"a": "b"})
    assert missing.status_code == 400 and "contains no connector type" in missing.json()["message"]


def test_metrics_and_loggers(hub_client: httpx.Client) -> None:
    _create(hub_client, "m", **{"connector.class": SRC, "topic": "tm", "count": "25", **PLAIN})
    _create(hub_client, "mk", **{"connector.class": SNK, "topics": "tm", **PLAIN})

    def scraped() -> str | None:
        text = hub_client.get("/metrics").text
        ok = 'cdchub_connect_records_written_total{connector="mk",task="0"} 25.0' in text
        return text if ok else None

    text = wait_for(scraped, what="sink metrics")
    assert 'cdchub_connect_records_polled_total{connector="m",task="0"} 25.0' in text
    assert 'cdchub_connect_task_state{connector="m",state="RUNNING",task="0"} 1.0' in text
    assert 'cdchub_connect_consumer_lag{connector="mk",partition="0",task="0",topic="tm"}' in text
    assert "cdchub_connect_batch_seconds_bucket" in text
    loggers = hub_client.get("/admin/loggers").json()
    assert "root" in loggers and set(loggers["root"]) == {"level", "last_modified"}
    changed = hub_client.put("/admin/loggers/workers", json={"level": "DEBUG"})
    assert changed.status_code == 200 and "workers" in changed.json()
    assert hub_client.get("/admin/loggers/workers").json()["level"] == "DEBUG"
    hub_client.put("/admin/loggers/workers", json={"level": "INFO"})
    assert hub_client.put("/admin/loggers/workers", json={}).status_code == 400


def test_health(hub_client: httpx.Client) -> None:
    resp = hub_client.get("/health")
    assert resp.status_code == 200 and resp.json()["status"] == "healthy"
