"""Through a real ``hub up`` process: a Debezium config posted over REST, SIGKILL mid-snapshot
and mid-stream, restart; the topic then folds to exactly the table (duplicates allowed only
inside the at-least-once window, which the fold absorbs)."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from tests.fixtures.net import free_port
from tests.fixtures.postgres import PostgresServer
from tests.fixtures.process import HUB_SCRIPT, ChildProcess, wait_for_http
from tests.integration.postgres_cdc.conftest import make_db
from tests.integration.postgres_cdc.test_consistency import Writer, table_image

pytestmark = pytest.mark.slow
TOPIC = "kill.public.items"
ROWS = 60_000


def _hub(data: Path, port: int) -> ChildProcess:
    child = ChildProcess([HUB_SCRIPT, "up", "--data-dir", str(data), "--port", str(port),
                          "--log-level", "warning"])  # fmt: skip
    wait_for_http(f"http://127.0.0.1:{port}/", child=child)
    return child


def _end_offset(client: httpx.Client) -> int:
    found = client.get(f"/topics/{TOPIC}")
    if found.status_code != 200:
        return 0
    return int(sum(p["end_offset"] for p in found.json()["partitions"]))


def _fold(client: httpx.Client) -> tuple[dict[int, dict[str, Any]], int]:
    state: dict[int, dict[str, Any]] = {}
    offset, count = 0, 0
    while True:
        resp = client.get(f"/topics/{TOPIC}/partitions/0/records",
                          params={"offset": offset, "max_bytes": 8 << 20})  # fmt: skip
        records = resp.json()
        if not records:
            return state, count
        for rec in records:
            count += 1
            key = rec["key"] if isinstance(rec["key"], dict) else json.loads(rec["key"])
            ident = key["payload"]["id"]
            value = rec["value"]
            if isinstance(value, str):
                value = json.loads(value)
            if value is None:
                state.pop(ident, None)
                continue
            after = value["payload"]["after"]
            if after is None:
                state.pop(ident, None)
            else:
                state[ident] = after
        offset = int(resp.headers["X-Hub-Next-Offset"])


def _kill_when(child: ChildProcess, client: httpx.Client, low: int, high: int) -> int:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        seen = _end_offset(client)
        if low <= seen:
            child.signal_group(signal.SIGKILL)
            child.wait()
            return seen
        time.sleep(0.05)
    raise AssertionError(f"the topic never reached {low} records:\n{child.text[-2000:]}")


def test_sigkill_mid_snapshot_and_mid_stream(postgres: PostgresServer, tmp_path: Path) -> None:
    db = make_db(postgres, "cdc_hub_kill")
    db.sql("CREATE TABLE items (id int PRIMARY KEY, v int)",
           f"INSERT INTO items SELECT g, 0 FROM generate_series(1, {ROWS}) g")  # fmt: skip
    config = {
        "connector.class": "io.debezium.connector.postgresql.PostgresConnector",
        "database.hostname": "127.0.0.1", "database.port": str(postgres.port),
        "database.user": "postgres", "database.password": "", "database.dbname": db.name,
        "topic.prefix": "kill", "plugin.name": "pgoutput", "slot.name": "kill_slot",
        "publication.name": "kill_pub", "table.include.list": "public.items",
        "snapshot.fetch.size": "2000", "offset.flush.interval.ms": "300",
        "max.batch.size": "200",
    }  # fmt: skip
    port, data = free_port(), tmp_path / "hub"
    url = f"http://127.0.0.1:{port}"
    child = _hub(data, port)
    writer = Writer(db.dsn, "items", ROWS + 1)
    try:
        with httpx.Client(base_url=url, timeout=30) as client:
            resp = client.post("/connectors", json={"name": "pg", "config": config})
            assert resp.status_code == 201, resp.text
            seen = _kill_when(child, client, 4000, ROWS)
        assert seen < ROWS, "the snapshot finished before the kill; raise ROWS"
        child = _hub(data, port)
        writer.start()
        with httpx.Client(base_url=url, timeout=30) as client:
            _kill_when(child, client, ROWS + 200, 10**9)  # mid-stream, writer still busy
        time.sleep(0.5)
        child = _hub(data, port)
        time.sleep(1.0)
        writer.finish()
        image = table_image(db, "items")
        with httpx.Client(base_url=url, timeout=30) as client:
            deadline = time.monotonic() + 60
            while True:
                state, _ = _fold(client)
                if state == image or time.monotonic() > deadline:
                    break
                time.sleep(0.5)
            status = client.get("/connectors/pg/status").json()
        assert state == image, f"{len(state)} rows folded vs {len(image)} in the table"
        assert status["tasks"][0]["state"] == "RUNNING"
    finally:
        writer.finish()
        child.stop()
        with psycopg.connect(db.dsn, autocommit=True) as conn:
            conn.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
                         "WHERE slot_name = 'kill_slot' AND NOT active")  # fmt: skip
