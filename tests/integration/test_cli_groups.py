"""`hub groups ...` through click against a real hub."""

from __future__ import annotations

import httpx
import orjson
from click.testing import CliRunner, Result

from hub.cli import main


def hub(url: str, *args: str) -> Result:
    return CliRunner().invoke(main, [*args, "--url", url])


def setup_topic(client: httpx.Client) -> None:
    client.post("/topics", json={"name": "orders", "partitions": 2})
    records = [{"value": i, "partition": i % 2, "timestamp": 1000 * (i + 1)} for i in range(6)]
    client.post("/topics/orders/records", json={"records": records})


def test_reset_list_describe_delete(hub_url: str, hub_client: httpx.Client) -> None:
    setup_topic(hub_client)
    assert hub(hub_url, "groups", "list").stdout == ""
    res = hub(hub_url, "groups", "reset", "indexer", "--topic", "orders", "--to-earliest")
    assert res.exit_code == 0, res.output
    assert res.stdout.splitlines() == ["orders/0: 0", "orders/1: 0"]
    assert hub(hub_url, "groups", "list").stdout.splitlines() == ["indexer"]

    res = hub(hub_url, "groups", "describe", "indexer")
    assert res.exit_code == 0, res.output
    assert "total lag: 6" in res.stdout
    rows = [line.split() for line in res.stdout.splitlines()[2:]]
    assert rows == [["orders", "0", "0", "3", "3"], ["orders", "1", "0", "3", "3"]]

    res = hub(hub_url, "groups", "reset", "indexer", "-t", "orders", "--to-offset", "2", "-p", "1")
    assert res.stdout.splitlines() == ["orders/1: 2"]
    res = hub(hub_url, "groups", "reset", "indexer", "-t", "orders", "--to-timestamp", "4000")
    assert res.stdout.splitlines() == ["orders/0: 2", "orders/1: 1"]  # offsets of ts 5000 and 4000
    res = hub(hub_url, "groups", "reset", "indexer", "-t", "orders", "--to-latest")
    assert res.stdout.splitlines() == ["orders/0: 3", "orders/1: 3"]
    info = orjson.loads(hub(hub_url, "groups", "describe", "indexer", "--json").stdout)
    assert info["total_lag"] == 0

    res = hub(hub_url, "groups", "delete", "indexer")
    assert res.exit_code == 0, res.output
    assert hub_client.get("/consumer-groups").json() == []


def test_group_errors(hub_url: str, hub_client: httpx.Client) -> None:
    setup_topic(hub_client)
    res = hub(hub_url, "groups", "describe", "nobody")
    assert res.exit_code == 1
    assert "no committed offsets" in res.stderr
    res = hub(hub_url, "groups", "reset", "g", "--topic", "orders")
    assert res.exit_code == 2
    assert "exactly one of" in res.stderr
    res = hub(
        hub_url, "groups", "reset", "g", "--topic", "orders", "--to-latest", "--to-offset", "1"
    )
    assert res.exit_code == 2
    res = hub(hub_url, "groups", "reset", "g", "--topic", "ghost", "--to-latest")
    assert res.exit_code == 1
    assert "ghost" in res.stderr
