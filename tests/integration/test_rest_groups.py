"""Consumer-group endpoints over real HTTP: commit, describe lag, reset, delete, errors."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.fixtures.http import api_error
from tests.fixtures.hub import running_hub


@pytest.fixture
def orders(hub_client: httpx.Client) -> str:
    hub_client.post("/topics", json={"name": "orders", "partitions": 2})
    for partition, count in ((0, 5), (1, 3)):
        records = [
            {"value": i, "partition": partition, "timestamp": 1000 * (i + 1)} for i in range(count)
        ]
        assert (
            hub_client.post("/topics/orders/records", json={"records": records}).status_code == 200
        )
    return "orders"


def commit(client: httpx.Client, group: str, *offsets: tuple[str, int, int]) -> httpx.Response:
    body = {"offsets": [{"topic": t, "partition": p, "offset": o} for t, p, o in offsets]}
    return client.post(f"/consumer-groups/{group}/offsets", json=body)


def test_commit_then_describe_lag(hub_client: httpx.Client, orders: str) -> None:
    assert hub_client.get("/consumer-groups").json() == []
    assert commit(hub_client, "indexer", (orders, 0, 2), (orders, 1, 3)).status_code == 204
    assert hub_client.get("/consumer-groups").json() == ["indexer"]
    info = hub_client.get("/consumer-groups/indexer").json()
    assert info == {
        "group_id": "indexer",
        "partitions": [
            {"topic": "orders", "partition": 0, "committed": 2, "end_offset": 5, "lag": 3},
            {"topic": "orders", "partition": 1, "committed": 3, "end_offset": 3, "lag": 0},
        ],
        "total_lag": 3,
    }


def test_committed_offsets_survive_a_restart(tmp_path: Path) -> None:
    with running_hub(tmp_path) as url, httpx.Client(base_url=url) as client:
        client.post("/topics", json={"name": "t"})
        assert commit(client, "g", ("t", 0, 0)).status_code == 204
    with running_hub(tmp_path) as url, httpx.Client(base_url=url) as client:
        assert client.get("/consumer-groups").json() == ["g"]
        assert client.get("/consumer-groups/g").json()["partitions"][0]["committed"] == 0


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"to": "earliest"}, {0: 0, 1: 0}),
        ({"to": "latest"}, {0: 5, 1: 3}),
        ({"to": "offset", "offset": 1}, {0: 1, 1: 1}),
        ({"to": "timestamp", "timestamp": 2500}, {0: 2, 1: 2}),
        ({"to": "timestamp", "timestamp": 4500}, {0: 4, 1: 3}),  # past the last record: the end
        ({"to": "latest", "partitions": [1]}, {1: 3}),
    ],
)
def test_reset(
    hub_client: httpx.Client, orders: str, body: dict[str, object], expected: dict[int, int]
) -> None:
    resp = hub_client.post("/consumer-groups/g/reset", json={"topic": orders, **body})
    assert resp.status_code == 200, resp.text
    assert resp.json() == {
        "group_id": "g",
        "offsets": [
            {"topic": orders, "partition": p, "offset": o} for p, o in sorted(expected.items())
        ],
    }
    committed = {
        r["partition"]: r["committed"]
        for r in hub_client.get("/consumer-groups/g").json()["partitions"]
    }
    assert committed == expected


def test_delete_group(hub_client: httpx.Client, orders: str) -> None:
    commit(hub_client, "old", (orders, 0, 1))
    assert hub_client.delete("/consumer-groups/old").status_code == 204
    assert hub_client.get("/consumer-groups").json() == []
    api_error(hub_client.get("/consumer-groups/old"), 404, 40403)
    api_error(hub_client.delete("/consumer-groups/old"), 404, 40403)


def test_group_errors(hub_client: httpx.Client, orders: str) -> None:
    assert "GET /consumer-groups" in api_error(
        hub_client.get("/consumer-groups/nobody"), 404, 40403
    )
    api_error(commit(hub_client, "g", ("ghost", 0, 1)), 404, 40401)
    api_error(commit(hub_client, "g", (orders, 7, 1)), 404, 40402)
    api_error(commit(hub_client, "g", (orders, 0, -1)), 400, 40001)
    api_error(hub_client.post("/consumer-groups/g/offsets", json={"offsets": []}), 400, 40001)
    api_error(hub_client.post("/consumer-groups/g/offsets", content=b"{"), 400, 40001)
    reset = "/consumer-groups/g/reset"
    api_error(hub_client.post(reset, json={"topic": "ghost", "to": "earliest"}), 404, 40401)
    api_error(
        hub_client.post(reset, json={"topic": orders, "to": "latest", "partitions": [9]}),
        404,
        40402,
    )
    assert '"offset"' in api_error(
        hub_client.post(reset, json={"topic": orders, "to": "offset"}), 400, 40001
    )
    assert "timestamp" in api_error(
        hub_client.post(reset, json={"topic": orders, "to": "timestamp"}), 400, 40001
    )
    assert "to" in api_error(
        hub_client.post(reset, json={"topic": orders, "to": "yesterday"}), 400, 40001
    )
    assert hub_client.get("/consumer-groups").json() == []  # nothing was committed by the failures
