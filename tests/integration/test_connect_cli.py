"""``hub connectors ...`` against a running hub."""

from __future__ import annotations

from pathlib import Path

import orjson
from click.testing import CliRunner

from hub.cli import main
from hub.cli.connectors import progress_line
from tests.unit.workers.helpers import wait_for

SRC = "tests.unit.workers.plugins.CountingSource"


def _hub(url: str, *args: str) -> str:
    result = CliRunner().invoke(main, ["connectors", *args, "--url", url])
    assert result.exit_code == 0, result.output
    return result.output


def test_cli_lifecycle(hub_url: str, tmp_path: Path) -> None:
    spec = tmp_path / "c.json"
    spec.write_bytes(
        orjson.dumps(
            {"name": "cli", "config": {"connector.class": SRC, "topic": "ct", "count": "5"}}
        )
    )
    assert "connector cli (source) saved" in _hub(hub_url, "create", "-f", str(spec))
    flat = tmp_path / "flat.json"
    flat.write_bytes(
        orjson.dumps({"name": "cli", "connector.class": SRC, "topic": "ct", "count": "6"})
    )
    _hub(hub_url, "create", "-f", str(flat))
    wait_for(lambda: "0:RUNNING" in _hub(hub_url, "list"))
    assert "task 0: RUNNING" in _hub(hub_url, "status", "cli")
    assert "paused" in _hub(hub_url, "pause", "cli")
    assert "resumed" in _hub(hub_url, "resume", "cli")
    assert "restarting" in _hub(hub_url, "restart", "cli", "--include-tasks")
    assert "task cli-0 restarted" in _hub(hub_url, "restart", "cli", "--task", "0")
    wait_for(lambda: '"n": 5' in _hub(hub_url, "offsets", "cli"))
    _hub(hub_url, "stop", "cli")
    assert "reset successfully" in _hub(hub_url, "offsets", "cli", "--reset")
    assert "deleted" in _hub(hub_url, "delete", "cli")
    missing = CliRunner().invoke(main, ["connectors", "status", "cli", "--url", hub_url])
    assert missing.exit_code == 1 and "Connector cli not found" in missing.output


def test_progress_line() -> None:
    assert progress_line({"phase": "snapshot", "done": 50, "total": 200, "unit": "rows"}) == (
        "[#######.......................]  25% snapshot 50/200 rows"
    )
    assert progress_line({"phase": "streaming"}) == "streaming"


def test_progress_line_shows_scalar_details_without_a_total() -> None:
    line = progress_line({"phase": "streaming", "events": 12, "lag_bytes": 0, "tables": ["a"]})
    assert line == "streaming events=12 lag_bytes=0"


def test_status_shows_the_progress_a_task_reports(hub_url: str) -> None:
    import httpx

    with httpx.Client(base_url=hub_url) as client:
        client.post(
            "/connectors",
            json={"name": "prog", "config": {"connector.class": SRC, "topic": "pt", "count": "4"}},
        )
        progress = wait_for(
            lambda: (
                (p := client.get("/connectors/prog/progress").json())["tasks"]
                and p["tasks"][0]["progress"]["done"] == 4
                and p
            )
        )
    assert progress["tasks"][0]["progress"] == {
        "phase": "counting",
        "done": 4,
        "total": 4,
        "unit": "records",
    }
    assert "[##############################] 100% counting 4/4 records" in _hub(
        hub_url, "status", "prog"
    )


def test_list_as_json(hub_url: str) -> None:
    assert orjson.loads(_hub(hub_url, "list", "--json")) == {}
