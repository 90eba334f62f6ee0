"""Produce and consume over real HTTP: shapes, encodings, positions, long-poll, errors."""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from hub.config import HubConfig
from hub.core_log import Log, partition_for_key
from hub.services import HubServices
from tests.fixtures.http import api_error as error
from tests.fixtures.hub import running_hub, running_services


def produce(client: httpx.Client, topic: str, *records: dict[str, Any]) -> list[dict[str, int]]:
    resp = client.post(f"/topics/{topic}/records", json={"records": list(records)})
    assert resp.status_code == 200, resp.text
    return list(resp.json()["offsets"])


def consume(
    client: httpx.Client, topic: str, partition: int = 0, **params: Any
) -> list[dict[str, Any]]:
    resp = client.get(f"/topics/{topic}/partitions/{partition}/records", params=params)
    assert resp.status_code == 200, resp.text
    return list(resp.json())


@pytest.fixture
def topic(hub_client: httpx.Client) -> str:
    assert hub_client.post("/topics", json={"name": "events", "partitions": 1}).status_code == 201
    return "events"


def test_json_round_trip(hub_client: httpx.Client, topic: str) -> None:
    offsets = produce(
        hub_client,
        topic,
        {"key": "user-1", "value": {"page": "/home", "n": 1.5}, "headers": {"source": "web"}},
        {"key": {"id": 7}, "value": [1, "two", None], "timestamp": 1_700_000_000_000},
        {"value": "plain string"},
    )
    assert offsets == [{"partition": 0, "offset": i} for i in range(3)]
    records = consume(hub_client, topic)
    assert [r["offset"] for r in records] == [0, 1, 2]
    first, second, third = records
    assert first["topic"] == topic
    assert first["partition"] == 0
    assert first["key"] == "user-1"
    assert first["value"] == {"page": "/home", "n": 1.5}
    assert first["headers"] == {"source": "web"}
    assert abs(first["timestamp"] - time.time() * 1000) < 60_000
    assert second["key"] == {"id": 7}
    assert second["value"] == [1, "two", None]
    assert second["timestamp"] == 1_700_000_000_000
    assert second["headers"] == {}
    assert third["key"] is None
    assert third["value"] == "plain string"


def test_raw_bytes_tombstones_and_headers(hub_client: httpx.Client, topic: str) -> None:
    raw = bytes(range(256))
    produce(
        hub_client,
        topic,
        {
            "key_b64": base64.b64encode(b"\xff\x00k").decode(),
            "value_b64": base64.b64encode(raw).decode(),
        },
        {"key": "gone", "value": None},
        {
            "value_b64": base64.b64encode(b'{"a": 1}').decode()
        },  # bytes that are JSON come back decoded
        {
            "value": 1,
            "headers": {"n": None},
            "headers_b64": {"bin": base64.b64encode(b"\xfe").decode()},
        },
    )
    binary, tomb, jsonish, headers = consume(hub_client, topic)
    assert base64.b64decode(binary["value_b64"]) == raw
    assert base64.b64decode(binary["key_b64"]) == b"\xff\x00k"
    assert "value" not in binary
    assert "key" not in binary
    assert tomb["value"] is None
    assert tomb["key"] == "gone"
    assert jsonish["value"] == {"a": 1}
    assert headers["headers"] == {"n": None}
    assert headers["headers_b64"] == {"bin": base64.b64encode(b"\xfe").decode()}


def test_binary_format_gives_exact_stored_bytes(hub_client: httpx.Client, topic: str) -> None:
    produce(hub_client, topic, {"key": "k", "value": {"a": 1}, "headers": {"h": "v"}})
    (rec,) = consume(hub_client, topic, format="binary")
    assert base64.b64decode(rec["key_b64"]) == b'"k"'
    assert base64.b64decode(rec["value_b64"]) == orjson.dumps({"a": 1})
    assert rec["headers_b64"] == {"h": base64.b64encode(b"v").decode()}
    assert "value" not in rec


def test_keyed_records_land_where_kafka_would_put_them(hub_client: httpx.Client) -> None:
    hub_client.post("/topics", json={"name": "keyed", "partitions": 4})
    keys = [f"user-{i}" for i in range(40)]
    offsets = produce(hub_client, "keyed", *({"key": k, "value": i} for i, k in enumerate(keys)))
    for key, placed in zip(keys, offsets, strict=True):
        assert placed["partition"] == partition_for_key(orjson.dumps(key), 4)
    seen = [r["key"] for p in range(4) for r in consume(hub_client, "keyed", p)]
    assert sorted(seen) == sorted(keys)


def test_explicit_partition(hub_client: httpx.Client) -> None:
    hub_client.post("/topics", json={"name": "p3", "partitions": 3})
    offsets = produce(hub_client, "p3", {"value": 1, "partition": 2}, {"value": 2, "partition": 2})
    assert offsets == [{"partition": 2, "offset": 0}, {"partition": 2, "offset": 1}]
    assert [r["value"] for r in consume(hub_client, "p3", 2)] == [1, 2]


def test_one_request_is_one_batch(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with running_hub(data_dir) as url, httpx.Client(base_url=url) as client:
        client.post("/topics", json={"name": "t"})
        produce(client, "t", *({"key": i, "value": i} for i in range(500)))
        produce(client, "t", {"value": "second request"})
    with Log(data_dir) as log:
        batches = list(log.read("t", 0, 0).batches())
    assert [b.record_count for b in batches] == [500, 1]


def test_offset_and_next_offset_header(hub_client: httpx.Client, topic: str) -> None:
    for i in range(5):
        produce(hub_client, topic, {"value": i})
    resp = hub_client.get(f"/topics/{topic}/partitions/0/records", params={"offset": 3})
    assert [r["value"] for r in resp.json()] == [3, 4]
    assert resp.headers["x-hub-next-offset"] == "5"
    assert resp.headers["x-hub-high-watermark"] == "5"
    assert resp.headers["x-hub-log-start-offset"] == "0"
    empty = hub_client.get(f"/topics/{topic}/partitions/0/records", params={"offset": 5})
    assert empty.json() == []
    assert empty.headers["x-hub-next-offset"] == "5"


def test_max_bytes_limits_batches_but_returns_at_least_one(
    hub_client: httpx.Client, topic: str
) -> None:
    for i in range(10):
        produce(hub_client, topic, *({"value": "x" * 100, "key": i} for _ in range(10)))
    some = consume(hub_client, topic, max_bytes=1)
    assert [r["offset"] for r in some] == list(range(10))  # one whole batch, even past the limit
    more = consume(hub_client, topic, max_bytes=3000)
    assert 10 < len(more) < 100
    assert [r["offset"] for r in more] == list(range(len(more)))


def test_consume_from_timestamp(hub_client: httpx.Client, topic: str) -> None:
    produce(hub_client, topic, *({"value": i, "timestamp": 1000 * (i + 1)} for i in range(5)))
    assert [r["value"] for r in consume(hub_client, topic, timestamp=2500)] == [2, 3, 4]
    assert [r["value"] for r in consume(hub_client, topic, timestamp=0)] == [0, 1, 2, 3, 4]
    resp = hub_client.get(f"/topics/{topic}/partitions/0/records", params={"timestamp": 10**13})
    assert resp.json() == []
    assert resp.headers["x-hub-next-offset"] == "5"


def test_long_poll_returns_as_soon_as_data_arrives(hub_client: httpx.Client, topic: str) -> None:
    result: list[Any] = []

    def wait_for_record() -> None:
        started = time.monotonic()
        records = consume(hub_client, topic, offset=0, max_wait_ms=10_000)
        result.append((records, time.monotonic() - started))

    waiter = threading.Thread(target=wait_for_record)
    waiter.start()
    time.sleep(0.5)
    produce(hub_client, topic, {"value": "late"})
    waiter.join(timeout=15)
    records, elapsed = result[0]
    assert [r["value"] for r in records] == ["late"]
    assert 0.4 < elapsed < 5


def test_long_poll_times_out_empty(hub_client: httpx.Client, topic: str) -> None:
    started = time.monotonic()
    assert consume(hub_client, topic, max_wait_ms=300) == []
    assert 0.25 < time.monotonic() - started < 5


def test_unknown_topic_is_404_unless_auto_create(hub_client: httpx.Client, tmp_path: Path) -> None:
    message = error(
        hub_client.post("/topics/ghost/records", json={"records": [{"value": 1}]}), 404, 40401
    )
    assert "hub topics create ghost" in message
    assert "HUB_AUTO_CREATE_TOPICS" in message
    assert "ghost" not in hub_client.get("/topics").json()
    auto = running_hub(tmp_path / "auto", auto_create_topics=True, auto_create_partitions=2)
    with auto as url, httpx.Client(base_url=url) as client:
        assert produce(client, "ghost", {"value": 1, "partition": 1}) == [
            {"partition": 1, "offset": 0}
        ]
        assert len(client.get("/topics/ghost").json()["partitions"]) == 2


def test_unknown_partition_is_404(hub_client: httpx.Client, topic: str) -> None:
    error(
        hub_client.post(
            f"/topics/{topic}/records", json={"records": [{"value": 1, "partition": 3}]}
        ),
        404,
        40402,
    )
    assert "no partition 3" in error(
        hub_client.get(f"/topics/{topic}/partitions/3/records"), 404, 40402
    )
    error(hub_client.get("/topics/ghost/partitions/0/records"), 404, 40401)


def test_offset_out_of_range_is_416_with_the_valid_range(
    hub_client: httpx.Client, topic: str
) -> None:
    produce(hub_client, topic, {"value": 1}, {"value": 2})
    message = error(
        hub_client.get(f"/topics/{topic}/partitions/0/records", params={"offset": 9}), 416, 41601
    )
    assert "0..2" in message


def test_record_too_large_is_413(hub_client: httpx.Client) -> None:
    hub_client.post("/topics", json={"name": "small", "configs": {"max.message.bytes": 1000}})
    message = error(
        hub_client.post("/topics/small/records", json={"records": [{"value": "x" * 5000}]}),
        413,
        41301,
    )
    assert "max.message.bytes" in message
    assert consume(hub_client, "small") == []
    produce(hub_client, "small", {"value": "fits"})


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'{"records": [', "malformed JSON body"),
        (b"", "empty"),
        (b"[]", '{"records"'),
        (b'{"records": {}}', '{"records"'),
        (b'{"records": []}', "at least one record"),
        (b'{"records": [{"value": 1}, 5]}', "records[1] must be a JSON object"),
        (b'{"records": [{"value": 1}, {"key": 1}]}', 'records[1] has no "value"'),
        (b'{"records": [{"value": 1, "colour": 2}]}', "records[0] has unknown field(s) ['colour']"),
        (
            b'{"records": [{"value": 1, "partition": -1}]}',
            "records[0].partition must be a non-negative",
        ),
        (b'{"records": [{"value": 1, "partition": "0"}]}', "records[0].partition"),
        (b'{"records": [{"value": 1, "partition": true}]}', "records[0].partition"),
        (b'{"records": [{"value": 1, "timestamp": 1.5}]}', "records[0].timestamp"),
        (b'{"records": [{"value_b64": "***"}]}', "records[0].value_b64 is not valid base64"),
        (b'{"records": [{"value_b64": 12}]}', "records[0].value_b64 must be a base64 string"),
        (b'{"records": [{"value": 1, "value_b64": "AA=="}]}', "both value and value_b64"),
        (b'{"records": [{"value": 1, "headers": ["a"]}]}', "records[0].headers must be an object"),
        (
            b'{"records": [{"value": 1, "headers": {"a": 1}}]}',
            "records[0].headers.a must be a string",
        ),
    ],
)
def test_bad_produce_bodies_are_400_naming_the_problem(
    hub_client: httpx.Client, topic: str, body: bytes, expected: str
) -> None:
    message = error(hub_client.post(f"/topics/{topic}/records", content=body), 400, 40001)
    assert expected in message
    assert consume(hub_client, topic) == []  # nothing of a rejected request is stored


def test_bad_consume_parameters_are_400(hub_client: httpx.Client, topic: str) -> None:
    path = f"/topics/{topic}/partitions/0/records"
    assert "not both" in error(
        hub_client.get(path, params={"offset": 0, "timestamp": 0}), 400, 40001
    )
    assert "offset" in error(hub_client.get(path, params={"offset": -1}), 400, 40001)
    assert "max_wait_ms" in error(hub_client.get(path, params={"max_wait_ms": 10**9}), 400, 40001)
    assert "format" in error(hub_client.get(path, params={"format": "xml"}), 400, 40001)


def test_many_long_polls_do_not_stall_the_api(
    hub_url: str, hub_client: httpx.Client, topic: str
) -> None:
    waiting = 60  # more than anyio's default 40 worker threads
    path = f"{hub_url}/topics/{topic}/partitions/0/records"
    with ThreadPoolExecutor(waiting) as pool:
        polls = [
            pool.submit(httpx.get, path, params={"max_wait_ms": 5000}, timeout=30)
            for _ in range(waiting)
        ]
        time.sleep(1)
        started = time.monotonic()
        assert hub_client.get("/topics").status_code == 200
        produce(hub_client, topic, {"value": "wake up"})
        assert time.monotonic() - started < 2.5
        for poll in polls:
            assert [r["value"] for r in poll.result().json()] == ["wake up"]


def test_oversized_bodies_are_413_before_being_read(tmp_path: Path) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"records": [{"value": "'
        for _ in range(5):
            yield b"x" * 500
        yield b'"}]}'

    with HubServices.open(HubConfig(data_dir=tmp_path)) as services:
        services.log.create_topic("t")
        with (
            running_services(services, max_body_size=1000) as url,
            httpx.Client(base_url=url) as client,
        ):
            message = error(client.post("/topics/t/records", content=b"x" * 2000), 413, 41302)
            assert "(2000 bytes) exceeds the 1000 bytes" in message
            error(
                client.post("/topics/t/records", content=chunks()), 413, 41302
            )  # no Content-Length
            error(client.post("/topics", content=chunks()), 413, 41302)
            assert produce(client, "t", {"value": "small"}) == [{"partition": 0, "offset": 0}]
