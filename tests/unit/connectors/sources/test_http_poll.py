"""HTTP poll source against a real HTTP server in a thread: pagination, cursor, resume, auth."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from connectors.api import ConfigError, ConnectError, SourceTask
from connectors.plugins import default_registry
from connectors.sources.http_poll import (
    MAX_SEEN,
    Cursor,
    HttpPollSourceConnector,
    HttpPollSourceTask,
)
from connectors.sources.json_path import JsonPath
from tests.support.sdk_harness import (
    MemoryOffsetStore,
    ack,
    poll_for,
    poll_until,
    start_source_task,
)


@dataclass
class Api:
    """The fake API's data and what it saw."""

    items: list[dict[str, Any]] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    token: str = "s3cret"
    page_size: int = 2
    status: int = 200
    basic: str = "Basic " + base64.b64encode(b"bob:pw").decode()
    bodies: list[Any] = field(default_factory=list)

    def since(self, query: dict[str, str]) -> list[dict[str, Any]]:
        since = query.get("since")
        return [i for i in self.items if since is None or i["updated_at"] >= since]


def _handler(api: Api) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            url = urlparse(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            api.requests.append(
                {"path": url.path, **query, "auth": self.headers.get("Authorization")}
            )
            key_ok = self.headers.get("X-Api-Key") == api.token
            if not key_ok and self.headers.get("Authorization") not in (
                f"Bearer {api.token}",
                api.basic,
            ):
                return self._send(401, {"error": "no token"})
            if api.status != 200:
                return self._send(api.status, {"error": "down"})
            rows = api.since(query)
            if url.path == "/cursor":  # {"data": {"items": [...]}, "next": "<index>"}
                start = int(query.get("cursor", 0))
                end = start + api.page_size
                nxt = str(end) if end < len(rows) else None
                return self._send(200, {"data": {"items": rows[start:end]}, "next": nxt})
            if url.path == "/pages":  # page numbers, per_page, a bare list
                per = int(query.get("per_page", api.page_size))
                start = (int(query["page"]) - 1) * per
                return self._send(200, rows[start : start + per])
            return self._send(404, {"error": "no such path"})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            api.bodies.append(json.loads(self.rfile.read(length)))
            self.do_GET()

        def _send(self, status: int, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


@pytest.fixture
def api() -> Iterator[tuple[Api, str]]:
    state = Api()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield state, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _items(n: int, start: int = 0, ts: str | None = None) -> list[dict[str, Any]]:
    return [
        {"id": i, "updated_at": ts or f"2024-01-01T00:00:{i:02d}Z"} for i in range(start, start + n)
    ]


def _cursor_config(base: str, **extra: str) -> dict[str, str]:
    return {"http.url": base + "/cursor", "topic": "api", "http.auth.type": "bearer",
            "http.auth.token": "s3cret", "records.path": "$.data.items",
            "pagination.mode": "cursor", "pagination.cursor.path": "$.next",
            "incremental.field": "updated_at", "incremental.param": "since",
            "key.field": "id", "poll.interval.ms": "50", **extra}  # fmt: skip


def _start(
    tasks: list[SourceTask], config: dict[str, str], store: MemoryOffsetStore | None = None
) -> SourceTask:
    task = start_source_task(HttpPollSourceTask, config, store)
    tasks.append(task)
    return task


def test_cursor_pagination_reads_every_page(api: tuple[Api, str], tasks: list[SourceTask]) -> None:
    state, base = api
    state.items = _items(5)
    task = _start(tasks, _cursor_config(base))
    records = poll_until(task, 5, exact=False)
    assert [r.value["id"] for r in records] == [0, 1, 2, 3, 4]
    assert [r.key for r in records] == ["0", "1", "2", "3", "4"]
    assert records[0].source_partition == {"url": base + "/cursor"}
    assert records[-1].source_offset["cursor"] == "2024-01-01T00:00:04Z"
    first_fetch = [r for r in state.requests if r.get("since") is None]
    assert [r.get("cursor") for r in first_fetch] == [None, "2", "4"]
    assert all(r["auth"] == "Bearer s3cret" for r in state.requests)


def test_incremental_cursor_emits_only_new_and_changed(
    api: tuple[Api, str], tasks: list[SourceTask]
) -> None:
    state, base = api
    state.items = _items(3)
    task = _start(tasks, _cursor_config(base))
    poll_until(task, 3, exact=False)
    assert poll_for(task, 0.2) == []  # re-fetched at least once: nothing repeated
    state.items[1] = {"id": 1, "updated_at": "2024-01-01T00:01:00Z", "changed": True}
    records = poll_until(task, 1)
    assert records[0].value["changed"] is True
    assert any(r.get("since") == "2024-01-01T00:00:02Z" for r in state.requests)


def test_resume_from_offset_alone_nothing_lost_or_repeated(
    api: tuple[Api, str], tasks: list[SourceTask]
) -> None:
    state, base = api
    state.items = _items(4, ts="2024-01-01T00:00:00Z")  # all share one cursor value
    store = MemoryOffsetStore()
    config = _cursor_config(base, **{"batch.size": "1"})
    task = _start(tasks, config, store)
    polled = poll_until(task, 4, exact=False, acknowledge=False)
    ack(task, polled[:2])
    task.stop()
    state.items += _items(2, start=10)
    task = _start(tasks, config, store)
    rest = poll_until(task, 4, exact=False)
    assert poll_for(task, 0.2) == []
    assert [r.value["id"] for r in polled[:2] + rest] == [0, 1, 2, 3, 10, 11]


def test_page_number_pagination(api: tuple[Api, str], tasks: list[SourceTask]) -> None:
    state, base = api
    state.items = _items(5)
    config = {"http.url": base + "/pages", "topic": "api", "http.auth.type": "bearer",
              "http.auth.token": "s3cret", "pagination.mode": "page",
              "pagination.size.param": "per_page", "pagination.size": "2",
              "incremental.field": "id", "poll.interval.ms": "50"}  # fmt: skip
    task = _start(tasks, config)
    records = poll_until(task, 5, exact=False)
    assert [r.value["id"] for r in records] == [0, 1, 2, 3, 4]
    assert [r["page"] for r in state.requests[:3]] == ["1", "2", "3"]
    assert records[0].key is None


def test_wrong_credentials_fail_the_task_with_the_answer(
    api: tuple[Api, str], tasks: list[SourceTask]
) -> None:
    _, base = api
    task = _start(tasks, _cursor_config(base, **{"http.auth.token": "wrong"}))
    with pytest.raises(ConnectError, match="401"):
        poll_until(task, 1, timeout=3)


def test_server_errors_are_retried_at_the_next_interval(
    api: tuple[Api, str], tasks: list[SourceTask]
) -> None:
    state, base = api
    state.items, state.status = _items(1), 503
    task = _start(tasks, _cursor_config(base))
    assert poll_for(task, 0.2) == []
    assert isinstance(task, HttpPollSourceTask) and "503" in (task.last_error or "")
    state.status = 200
    assert [r.value["id"] for r in poll_until(task, 1)] == [0]


def test_json_path_subset() -> None:
    data = {"a": {"b c": [{"x": 1}, {"x": 2}]}}
    assert JsonPath("$.a['b c'][1].x").find(data) == 2
    assert JsonPath("a['b c'][-1]").find(data) == {"x": 2}
    assert JsonPath("$").find(data) is data
    assert JsonPath("$.missing.x").find(data) is None
    with pytest.raises(ValueError, match="cannot read"):
        JsonPath("a[")


def test_validation_reports_every_error_at_once() -> None:
    bad = {"http.url": "ftp://x", "pagination.mode": "cursor", "http.auth.type": "bearer",
           "records.path": "a[", "http.headers": "NoColon"}  # fmt: skip
    errors = {v.name: v.errors for v in HttpPollSourceConnector().validate(bad) if v.errors}
    assert set(errors) == {"http.url", "topic", "pagination.cursor.path", "http.auth.token",
                           "records.path", "http.headers"}  # fmt: skip
    with pytest.raises(ConfigError):
        HttpPollSourceConnector().start(bad)
    infos = {i["name"]: i for i in HttpPollSourceConnector().config_def().config_key_infos()}
    assert infos["http.auth.token"]["type"] == "PASSWORD"
    assert default_registry().connector_class("HttpPollSource") is HttpPollSourceConnector


def test_post_with_basic_auth_and_a_body(api: tuple[Api, str], tasks: list[SourceTask]) -> None:
    state, base = api
    state.items = _items(2)
    config = {"http.url": base + "/cursor", "topic": "api", "http.method": "POST",
              "http.request.body": '{"filter": "all"}', "http.auth.type": "basic",
              "http.auth.user": "bob", "http.auth.password": "pw",
              "records.path": "data.items", "http.headers": "X-Trace: t1",
              "poll.interval.ms": "1000"}  # fmt: skip
    task = _start(tasks, config)
    assert [r.value["id"] for r in poll_until(task, 2)] == [0, 1]
    assert state.bodies[0] == {"filter": "all"}
    assert state.requests[0]["auth"] == state.basic


def test_api_key_header_auth(api: tuple[Api, str], tasks: list[SourceTask]) -> None:
    state, base = api
    state.items = _items(1)
    config = _cursor_config(base, **{"http.auth.type": "header", "http.auth.header": "X-Api-Key"})
    task = _start(tasks, config)
    assert [r.value["id"] for r in poll_until(task, 1)] == [0]
    assert state.requests[0]["auth"] is None


def test_cursor_seen_list_is_bounded() -> None:
    cursor = Cursor("t")
    for i in range(MAX_SEEN + 5):
        cursor.advance("t", f"d{i}")
    assert len(cursor.seen) == MAX_SEEN
    assert not cursor.is_new("t", f"d{MAX_SEEN + 4}") and cursor.is_new("t", "d0")
    assert cursor.is_new("u", "d1") and not cursor.is_new("s", "zz")
    cursor.advance("u", "x")
    assert cursor.to_offset() == {"cursor": "u", "seen": ["x"]}
