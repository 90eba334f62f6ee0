"""`hub produce` / `hub consume` through click against a real hub (and --follow as a process)."""

from __future__ import annotations

import base64
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from click.testing import CliRunner, Result

from hub.cli import main

HUB_SCRIPT = str(Path(sys.executable).with_name("hub"))  # the installed console script


def hub(url: str, *args: str, input: str | bytes | None = None) -> Result:
    return CliRunner().invoke(main, [*args, "--url", url], input=input)


def lines(res: Result) -> list[dict[str, Any]]:
    assert res.exit_code == 0, res.output
    return [orjson.loads(line) for line in res.stdout.splitlines()]


@pytest.fixture
def clicks(hub_url: str, hub_client: httpx.Client) -> str:
    hub_client.post("/topics", json={"name": "clicks", "partitions": 2})
    return "clicks"


def test_produce_values_and_consume_everything(hub_url: str, clicks: str) -> None:
    data = '{"user": "u1", "page": "/a"}\n\n{"user": "u2", "page": "/b"}\n'
    data += '{"user": "u1", "page": "/c"}\n'
    res = hub(hub_url, "produce", clicks, "--key-field", "user", "-H", "source=test", input=data)
    assert res.exit_code == 0, res.output
    assert "produced 3 record(s) to 'clicks'" in res.stderr
    records = lines(hub(hub_url, "consume", clicks))
    assert len(records) == 3
    by_user: dict[str, list[str]] = {}
    for rec in records:
        assert rec["headers"] == {"source": "test"}
        assert rec["key"] == rec["value"]["user"]
        by_user.setdefault(rec["key"], []).append(rec["value"]["page"])
    assert by_user == {"u1": ["/a", "/c"], "u2": ["/b"]}  # same key, same partition, in order
    assert len({r["partition"] for r in records if r["key"] == "u1"}) == 1


def test_produce_record_and_text_formats(hub_url: str, clicks: str) -> None:
    records_in = [
        {"key": "o-1", "value": {"total": 12.5}, "headers": {"h": "v"}, "partition": 1},
        {"key": "o-1", "value": None, "partition": 1},
        {"value_b64": base64.b64encode(b"\x00\x01").decode(), "partition": 1},
    ]
    data = "\n".join(orjson.dumps(r).decode() for r in records_in)
    assert hub(hub_url, "produce", clicks, "--format", "record", input=data).exit_code == 0
    assert (
        hub(
            hub_url, "produce", clicks, "--format", "text", "-p", "0", input="plain line\n"
        ).exit_code
        == 0
    )
    p1 = lines(hub(hub_url, "consume", clicks, "-p", "1"))
    assert [(r["key"], r.get("value")) for r in p1] == [
        ("o-1", {"total": 12.5}),
        ("o-1", None),
        (None, None),
    ]
    assert p1[0]["headers"] == {"h": "v"}
    assert base64.b64decode(p1[2]["value_b64"]) == b"\x00\x01"
    (text,) = lines(hub(hub_url, "consume", clicks, "-p", "0"))
    assert base64.b64decode(text["value_b64"]) == b"plain line"


def test_produce_key_and_partition_options(hub_url: str, clicks: str) -> None:
    assert (
        hub(hub_url, "produce", clicks, "-k", "fixed", "-p", "1", input="1\n2\n3\n").exit_code == 0
    )
    records = lines(hub(hub_url, "consume", clicks, "-p", "1"))
    assert [(r["key"], r["value"], r["offset"]) for r in records] == [
        ("fixed", i, i - 1) for i in (1, 2, 3)
    ]


def test_produce_batches_requests(hub_url: str, clicks: str) -> None:
    data = "".join(f"{i}\n" for i in range(25))
    res = hub(hub_url, "produce", clicks, "-p", "0", "--batch-size", "10", input=data)
    assert res.exit_code == 0, res.output
    assert [r["value"] for r in lines(hub(hub_url, "consume", clicks))] == list(range(25))


def test_consume_positions(hub_url: str, clicks: str) -> None:
    records = "".join(
        orjson.dumps({"value": i, "partition": 0, "timestamp": 1000 * (i + 1)}).decode() + "\n"
        for i in range(6)
    )
    hub(hub_url, "produce", clicks, "--format", "record", input=records)
    values = lambda res: [r["value"] for r in lines(res)]  # noqa: E731
    assert values(hub(hub_url, "consume", clicks, "-p", "0", "--from", "4")) == [4, 5]
    assert values(hub(hub_url, "consume", clicks, "--from", "latest")) == []
    assert values(hub(hub_url, "consume", clicks, "-n", "2")) == [0, 1]
    assert values(hub(hub_url, "consume", clicks, "--from-timestamp", "3000")) == [2, 3, 4, 5]
    iso = "1970-01-01T00:00:05Z"
    assert values(hub(hub_url, "consume", clicks, "--from-timestamp", iso)) == [4, 5]
    res = hub(hub_url, "consume", clicks, "-p", "0", "--value-only", "-n", "3")
    assert res.stdout.splitlines() == ["0", "1", "2"]
    res = hub(hub_url, "consume", clicks, "-p", "0", "--format", "binary", "-n", "1")
    assert base64.b64decode(lines(res)[0]["value_b64"]) == b"0"


def test_produce_and_consume_errors(hub_url: str, clicks: str) -> None:
    res = hub(hub_url, "produce", clicks, input='{"ok": 1}\n{broken\n')
    assert res.exit_code == 1
    assert "line 2 is not valid JSON" in res.stderr
    res = hub(hub_url, "produce", clicks, "--key-field", "id", input='{"no_id": 1}\n')
    assert res.exit_code == 1
    assert "no field 'id'" in res.stderr
    res = hub(hub_url, "produce", "ghost", input="1\n")
    assert res.exit_code == 1
    assert "topic 'ghost' does not exist" in res.stderr
    res = hub(hub_url, "consume", "ghost")
    assert res.exit_code == 1
    assert "hub topics create ghost" in res.stderr
    res = hub(hub_url, "consume", clicks, "--from", "yesterday")
    assert res.exit_code == 2
    res = hub(hub_url, "consume", clicks, "--from-timestamp", "tuesday")
    assert res.exit_code == 2
    assert "ISO-8601" in res.stderr
    res = hub(hub_url, "consume", clicks, "-p", "0", "--from", "99")
    assert res.exit_code == 1
    assert "out of range" in res.stderr


def test_consume_follow_prints_new_records_until_interrupted(hub_url: str, clicks: str) -> None:
    env = {**os.environ, "HUB_URL": hub_url}
    proc = subprocess.Popen(
        [
            HUB_SCRIPT,
            "consume",
            clicks,
            "--follow",
            "--value-only",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    try:
        assert (
            hub(hub_url, "produce", clicks, "-p", "1", input='"first"\n"second"\n').exit_code == 0
        )
        assert proc.stdout is not None
        assert proc.stdout.readline() == b'"first"\n'
        assert proc.stdout.readline() == b'"second"\n'
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=15)
    assert proc.returncode == 0, err.decode()
    assert b"Traceback" not in err


def test_consume_with_a_group_resumes_where_it_stopped(
    hub_url: str, hub_client: httpx.Client, clicks: str
) -> None:
    hub(hub_url, "produce", clicks, "-p", "0", input="".join(f"{i}\n" for i in range(5)))
    hub(hub_url, "produce", clicks, "-p", "1", input="10\n11\n12\n")
    first = lines(hub(hub_url, "consume", clicks, "--group", "g", "-n", "3"))
    assert [(r["partition"], r["value"]) for r in first] == [(0, 0), (0, 1), (0, 2)]
    info = hub_client.get("/consumer-groups/g").json()
    assert [(p["partition"], p["committed"]) for p in info["partitions"]] == [(0, 3)]

    second = lines(hub(hub_url, "consume", clicks, "--group", "g"))
    assert [(r["partition"], r["value"]) for r in second] == [
        (0, 3),
        (0, 4),
        (1, 10),
        (1, 11),
        (1, 12),
    ]
    assert hub_client.get("/consumer-groups/g").json()["total_lag"] == 0
    assert lines(hub(hub_url, "consume", clicks, "--group", "g")) == []

    # A group without commits starts where --from says.
    assert lines(hub(hub_url, "consume", clicks, "--group", "new", "--from", "latest")) == []
