"""Topic administration and the API's error shape, over real HTTP against a real hub."""

from __future__ import annotations

import httpx
import pytest

import hub
from tests.fixtures.http import api_error as error


def test_root_reports_version_and_identity(hub_client: httpx.Client) -> None:
    info = hub_client.get("/").json()
    assert info["name"] == "cdchub"
    assert info["version"] == hub.__version__
    assert len(info["kafka_cluster_id"]) == 22
    assert info["data_dir"].endswith("hub-data")


def test_openapi_lists_every_endpoint(hub_client: httpx.Client) -> None:
    paths = hub_client.get("/openapi.json").json()["paths"]
    for path in (
        "/",
        "/topics",
        "/topics/{topic}",
        "/topics/{topic}/configs",
        "/topics/{topic}/partitions",
        "/topics/{topic}/records",
        "/topics/{topic}/partitions/{partition}/records",
        "/topics/{topic}/partitions/{partition}/offsets",
        "/consumer-groups",
        "/consumer-groups/{group}",
        "/consumer-groups/{group}/offsets",
        "/consumer-groups/{group}/reset",
    ):
        assert path in paths
    produce = paths["/topics/{topic}/records"]["post"]
    assert (
        "records" in produce["requestBody"]["content"]["application/json"]["schema"]["properties"]
    )


def test_create_list_describe_delete(hub_client: httpx.Client) -> None:
    resp = hub_client.post(
        "/topics",
        json={"name": "orders", "partitions": 3, "configs": {"retention.ms": 3600000}},
    )
    assert resp.status_code == 201, resp.text
    created = resp.json()
    assert created["name"] == "orders"
    assert [p["partition"] for p in created["partitions"]] == [0, 1, 2]
    assert created["configs"]["retention.ms"] == "3600000"
    assert created["internal"] is False

    hub_client.post("/topics", json={"name": "audit"})
    assert hub_client.get("/topics").json() == ["audit", "orders"]

    desc = hub_client.get("/topics/audit").json()
    assert len(desc["partitions"]) == 1
    assert desc["partitions"][0] == {
        "partition": 0,
        "beginning_offset": 0,
        "end_offset": 0,
        "size_bytes": 0,
        "segments": 1,
    }
    assert desc["configs"]["cleanup.policy"] == "delete"

    assert hub_client.delete("/topics/orders").status_code == 204
    assert hub_client.get("/topics").json() == ["audit"]
    error(hub_client.get("/topics/orders"), 404, 40401)


def test_internal_topics_are_listed_only_on_request(hub_client: httpx.Client) -> None:
    hub_client.post("/topics", json={"name": "visible"})
    assert "__consumer_offsets" not in hub_client.get("/topics").json()
    assert "__consumer_offsets" in hub_client.get("/topics", params={"internal": "true"}).json()


def test_alter_configs_sets_and_resets(hub_client: httpx.Client) -> None:
    hub_client.post("/topics", json={"name": "t", "configs": {"retention.ms": "1000"}})
    resp = hub_client.put(
        "/topics/t/configs",
        json={
            "configs": {"cleanup.policy": "compact", "retention.ms": None, "fsync.on.append": True}
        },
    )
    assert resp.status_code == 200, resp.text
    configs = resp.json()["configs"]
    assert configs["cleanup.policy"] == "compact"
    assert configs["retention.ms"] == "604800000"  # back to Kafka's default (7 days)
    assert configs["fsync.on.append"] == "true"
    assert hub_client.get("/topics/t").json()["configs"]["cleanup.policy"] == "compact"


def test_grow_partitions(hub_client: httpx.Client) -> None:
    hub_client.post("/topics", json={"name": "t", "partitions": 2})
    resp = hub_client.post("/topics/t/partitions", json={"partitions": 5})
    assert resp.status_code == 200, resp.text
    assert len(resp.json()["partitions"]) == 5
    message = error(hub_client.post("/topics/t/partitions", json={"partitions": 3}), 400, 40004)
    assert "5" in message


def test_partition_offsets(hub_client: httpx.Client) -> None:
    hub_client.post("/topics", json={"name": "t", "partitions": 2})
    hub_client.post(
        "/topics/t/records", json={"records": [{"value": i, "partition": 1} for i in range(7)]}
    )
    assert hub_client.get("/topics/t/partitions/1/offsets").json() == {
        "beginning_offset": 0,
        "end_offset": 7,
    }
    assert hub_client.get("/topics/t/partitions/0/offsets").json()["end_offset"] == 0
    assert "no partition 2" in error(hub_client.get("/topics/t/partitions/2/offsets"), 404, 40402)
    error(hub_client.get("/topics/nope/partitions/0/offsets"), 404, 40401)


@pytest.mark.parametrize("name", ["bad name", "a/b", "x" * 300, "."])
def test_invalid_topic_name_is_400(hub_client: httpx.Client, name: str) -> None:
    error(hub_client.post("/topics", json={"name": name}), 400, 40002)


def test_invalid_config_names_the_key(hub_client: httpx.Client) -> None:
    message = error(
        hub_client.post("/topics", json={"name": "t", "configs": {"retention.msx": "1"}}),
        400,
        40003,
    )
    assert "retention.msx" in message
    message = error(
        hub_client.post("/topics", json={"name": "t", "configs": {"cleanup.policy": "sometimes"}}),
        400,
        40003,
    )
    assert "cleanup.policy" in message
    assert "compact" in message  # the allowed values are listed
    hub_client.post("/topics", json={"name": "t"})
    error(hub_client.put("/topics/t/configs", json={"configs": {"nope": "1"}}), 400, 40003)


def test_existing_topic_is_409(hub_client: httpx.Client) -> None:
    hub_client.post("/topics", json={"name": "t"})
    assert "t" in error(hub_client.post("/topics", json={"name": "t"}), 409, 40901)


def test_unknown_topic_is_404_and_says_how_to_create_it(hub_client: httpx.Client) -> None:
    for resp in (
        hub_client.get("/topics/ghost"),
        hub_client.delete("/topics/ghost"),
        hub_client.put("/topics/ghost/configs", json={"configs": {}}),
        hub_client.post("/topics/ghost/partitions", json={"partitions": 2}),
    ):
        message = error(resp, 404, 40401)
        assert "hub topics create ghost" in message


def test_malformed_json_is_400_with_the_parse_error(hub_client: httpx.Client) -> None:
    # No content type at all, as `curl -d` would send form-urlencoded: still parsed as JSON.
    message = error(hub_client.post("/topics", content=b'{"name": "t",}'), 400, 40001)
    assert message.startswith("malformed JSON body:")
    assert "char 12" in message or "column 13" in message
    message = error(
        hub_client.post("/topics", content=b"[1", headers={"content-type": "application/json"}),
        400,
        40001,
    )
    assert "malformed JSON" in message
    assert "empty" in error(hub_client.post("/topics", content=b""), 400, 40001)


def test_schema_violations_name_the_field(hub_client: httpx.Client) -> None:
    assert "partitions" in error(
        hub_client.post("/topics", json={"name": "t", "partitions": "many"}), 400, 40001
    )
    assert "partitions" in error(
        hub_client.post("/topics", json={"name": "t", "partitions": 0}), 400, 40001
    )
    assert "name" in error(hub_client.post("/topics", json={"partitions": 1}), 400, 40001)
    assert "colour" in error(
        hub_client.post("/topics", json={"name": "t", "colour": 1}), 400, 40001
    )


def test_unknown_endpoint_and_method_use_the_error_shape(hub_client: httpx.Client) -> None:
    assert "/docs" in error(hub_client.get("/no/such/thing"), 404, 404)
    error(hub_client.patch("/topics"), 405, 405)
