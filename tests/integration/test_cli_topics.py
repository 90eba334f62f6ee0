"""`hub topics ...` and the CLI's error handling, through click against a real hub."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner, Result

from hub.cli import main
from tests.fixtures.hub import running_hub
from tests.fixtures.net import free_port


def hub(url: str, *args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(main, [*args, "--url", url], input=input)


def test_topic_lifecycle(hub_url: str, hub_client: httpx.Client) -> None:
    res = hub(hub_url, "topics", "create", "orders", "-p", "3", "-c", "retention.ms=3600000")
    assert res.exit_code == 0, res.output
    assert "created topic 'orders' with 3 partition(s)" in res.stdout
    assert hub_client.get("/topics/orders").json()["configs"]["retention.ms"] == "3600000"

    hub(hub_url, "topics", "create", "audit")
    res = hub(hub_url, "topics", "list")
    assert res.stdout.splitlines() == ["audit", "orders"]
    assert "__consumer_offsets" in hub(hub_url, "topics", "list", "--internal").stdout

    res = hub(hub_url, "topics", "describe", "orders")
    assert res.exit_code == 0, res.output
    assert "Topic: orders  partitions: 3" in res.stdout
    assert "retention.ms=3600000" in res.stdout
    res = hub(hub_url, "topics", "describe", "orders", "--json")
    assert '"name": "orders"' in res.stdout

    res = hub(
        hub_url, "topics", "alter", "orders", "--set", "cleanup.policy=compact",
        "--delete", "retention.ms", "--partitions", "5",
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    desc = hub_client.get("/topics/orders").json()
    assert len(desc["partitions"]) == 5
    assert desc["configs"]["cleanup.policy"] == "compact"
    assert desc["configs"]["retention.ms"] == "604800000"

    res = hub(hub_url, "topics", "delete", "orders")
    assert res.exit_code == 0, res.output
    assert hub_client.get("/topics").json() == ["audit"]


def test_server_errors_are_printed_and_exit_non_zero(hub_url: str) -> None:
    hub(hub_url, "topics", "create", "t")
    res = hub(hub_url, "topics", "create", "t")
    assert res.exit_code == 1
    assert "Error:" in res.stderr
    assert "already exists" in res.stderr
    res = hub(hub_url, "topics", "create", "bad name")
    assert res.exit_code == 1
    assert "bad name" in res.stderr
    res = hub(hub_url, "topics", "create", "u", "-c", "retention.ms=soon")
    assert res.exit_code == 1
    assert "retention.ms" in res.stderr
    res = hub(hub_url, "topics", "describe", "ghost")
    assert res.exit_code == 1
    assert "hub topics create ghost" in res.stderr
    assert "Traceback" not in res.output


def test_usage_errors(hub_url: str) -> None:
    res = hub(hub_url, "topics", "create", "t", "-c", "no-equals-sign")
    assert res.exit_code == 2
    assert "KEY=VALUE" in res.stderr
    res = hub(hub_url, "topics", "alter", "t")
    assert res.exit_code == 2
    assert "nothing to change" in res.stderr


def test_unreachable_hub_says_how_to_start_one() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    res = hub(url, "topics", "list")
    assert res.exit_code == 1
    assert f"cannot reach the hub at {url}" in res.stderr
    assert "hub up" in res.stderr


def test_url_from_environment(hub_url: str) -> None:
    hub(hub_url, "topics", "create", "from-env")
    res = CliRunner(env={"HUB_URL": hub_url}).invoke(main, ["topics", "list"])
    assert res.exit_code == 0, res.output
    assert res.stdout.strip() == "from-env"


@pytest.mark.parametrize(
    "command",
    [
        [], ["up"], ["topics"], ["topics", "create"], ["topics", "list"], ["topics", "describe"],
        ["topics", "alter"], ["topics", "delete"], ["produce"], ["consume"], ["groups"],
        ["groups", "list"], ["groups", "describe"], ["groups", "reset"], ["groups", "delete"],
        ["bench"], ["bench", "log"],
    ],
)  # fmt: skip
def test_every_command_has_help(command: list[str]) -> None:
    res = CliRunner().invoke(main, [*command, "--help"])
    assert res.exit_code == 0, res.output
    assert "Usage: " in res.stdout
    leaf = (command and command[0] not in ("topics", "groups", "bench")) or len(command) > 1
    if leaf or not command:
        assert "Example" in res.stdout or "Quick start" in res.stdout


def test_credentials_for_a_hub_with_an_auth_file(tmp_path: Path) -> None:
    auth = tmp_path / "auth.json"
    auth.write_text('{"users": {"alice": "s3cret"}, "tokens": ["tok-123"]}')
    with running_hub(tmp_path / "data", auth_file=auth) as url:
        res = hub(url, "topics", "list")
        assert res.exit_code == 1
        assert "401" in res.stderr or "auth" in res.stderr.lower()
        res = CliRunner(env={"HUB_TOKEN": "tok-123"}).invoke(
            main, ["topics", "create", "t", "--url", url]
        )
        assert res.exit_code == 0, res.output
        with_user = url.replace("http://", "http://alice:s3cret@")
        assert hub(with_user, "topics", "list").stdout.splitlines() == ["t"]
