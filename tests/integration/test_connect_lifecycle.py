"""Connect state across hub restarts, authentication, and secrets over real HTTP."""

from __future__ import annotations

import base64
from pathlib import Path

import httpx
import orjson
import pytest

from tests.fixtures.hub import running_hub
from tests.unit.workers.helpers import wait_for

SRC = "tests.unit.workers.plugins.CountingSource"
SNK = "tests.unit.workers.plugins.CollectingSink"
PLAIN = {"value.converter.schemas.enable": "false"}


def _state(client: httpx.Client, name: str) -> tuple[str, list[str]]:
    status = client.get(f"/connectors/{name}/status").json()
    return status["connector"]["state"], [t["state"] for t in status["tasks"]]


def test_connectors_resume_in_their_state_after_a_restart(hub_data_dir: Path) -> None:
    with running_hub(hub_data_dir) as url, httpx.Client(base_url=url) as client:
        for name, state in (("run", "RUNNING"), ("pause", "PAUSED"), ("halt", "STOPPED")):
            config = {"connector.class": SRC, "topic": f"t-{name}", "count": "30", **PLAIN}
            resp = client.post("/connectors", json={"name": name, "config": config,
                                                    "initial_state": state})  # fmt: skip
            assert resp.status_code == 201
        wait_for(lambda: client.get("/connectors/run/offsets").json()["offsets"])
        wait_for(lambda: client.get("/connectors/run/offsets").json()["offsets"][0]["offset"]
                 == {"n": 29})  # fmt: skip
    with running_hub(hub_data_dir) as url, httpx.Client(base_url=url) as client:
        assert client.get("/connectors").json() == ["halt", "pause", "run"]
        wait_for(lambda: _state(client, "run") == ("RUNNING", ["RUNNING"]))
        wait_for(lambda: _state(client, "pause") == ("PAUSED", ["PAUSED"]))
        assert _state(client, "halt") == ("STOPPED", [])
        records = client.get("/topics/t-run").json()
        assert sum(p["end_offset"] for p in records["partitions"]) == 30


@pytest.fixture
def auth_file(tmp_path: Path) -> Path:
    path = tmp_path / "auth.json"
    path.write_bytes(orjson.dumps({"users": {"alice": "pw"}, "tokens": ["tok-123"]}))
    return path


def test_auth_on_every_endpoint_but_root(hub_data_dir: Path, auth_file: Path) -> None:
    with running_hub(hub_data_dir, auth_file=auth_file) as url, httpx.Client(base_url=url) as c:
        assert c.get("/").status_code == 200
        for method, path in (("GET", "/connectors"), ("GET", "/connector-plugins"),
                             ("GET", "/metrics"), ("POST", "/connectors"),
                             ("GET", "/topics")):  # fmt: skip
            resp = c.request(method, path)
            assert resp.status_code == 401, path
            assert resp.json()["error_code"] == 401
        basic = base64.b64encode(b"alice:pw").decode()
        assert c.get("/connectors", headers={"Authorization": f"Basic {basic}"}).json() == []
        assert c.get("/connectors", headers={"Authorization": "Bearer tok-123"}).status_code == 200
        wrong = base64.b64encode(b"alice:nope").decode()
        assert c.get("/connectors", headers={"Authorization": f"Basic {wrong}"}).status_code == 401
        assert c.get("/connectors", headers={"Authorization": "Bearer x"}).status_code == 401


def test_auth_off_by_default(hub_client: httpx.Client) -> None:
    assert hub_client.get("/connectors").status_code == 200


def test_secrets_never_returned(
    hub_client: httpx.Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secrets = tmp_path / "s.properties"
    secrets.write_text("topic=real-topic\n")
    monkeypatch.setenv("CONNECT_TEST_SECRET", "env-secret-value")
    config = {"connector.class": SRC, "topic": f"${{file:{secrets}:topic}}", "count": "3",
              "secret": "${env:CONNECT_TEST_SECRET}", **PLAIN}  # fmt: skip
    hub_client.post("/connectors", json={"name": "sec", "config": config})
    hub_client.post("/connectors", json={"name": "pw", "config": {**config, "secret": "plain"}})
    wait_for(lambda: "real-topic" in hub_client.get("/topics").text)
    for path in ("/connectors/sec", "/connectors/sec/config", "/connectors/sec/tasks",
                 "/connectors?expand=info", "/connectors/pw/config", "/connectors/pw/tasks",
                 "/connectors/sec/tasks-config"):  # fmt: skip
        text = hub_client.get(path).text
        assert "env-secret-value" not in text and "real-topic" not in text, path
        assert '"plain"' not in text, path
    assert hub_client.get("/connectors/pw/config").json()["secret"] == "[hidden]"


def test_topic_tracking_disabled_on_the_worker_answers_403(
    hub_data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HUB_TOPIC_TRACKING_ENABLE", "false")
    with running_hub(hub_data_dir) as url, httpx.Client(base_url=url) as client:
        config = {"connector.class": SRC, "topic": "t-untracked", "count": "3", **PLAIN}
        assert client.post("/connectors", json={"name": "u", "config": config}).status_code == 201
        for method, path in (("GET", "/connectors/u/topics"),
                             ("PUT", "/connectors/u/topics/reset"),
                             ("GET", "/connectors/missing/topics")):  # fmt: skip
            resp = client.request(method, path)
            assert resp.status_code == 403, (method, path)
            assert resp.json() == {"error_code": 403, "message": "Topic tracking is disabled."}


def test_topic_tracking_reset_disallowed_answers_403(
    hub_data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HUB_TOPIC_TRACKING_ALLOW_RESET", "false")
    with running_hub(hub_data_dir) as url, httpx.Client(base_url=url) as client:
        config = {"connector.class": SRC, "topic": "t-kept", "count": "3", **PLAIN}
        assert client.post("/connectors", json={"name": "k", "config": config}).status_code == 201
        wait_for(lambda: client.get("/connectors/k/topics").json() == {"k": {"topics": ["t-kept"]}})
        resp = client.put("/connectors/k/topics/reset")
        assert resp.status_code == 403
        assert resp.json()["message"] == "Topic tracking reset is disabled."
        assert client.get("/connectors/k/topics").json() == {"k": {"topics": ["t-kept"]}}
