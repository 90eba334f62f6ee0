"""``hub connectors ...``: Kafka Connect's REST API for people.

Every subcommand is one or two REST calls (shown in ``--help``), so what works here works
with curl too. ``status`` shows the progress a task reports for long work (a database
snapshot, a backfill) as a bar; ``--watch`` refreshes it until the work is done.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import click
import orjson

from hub.cli.client import HubClient, echo_json, json_option, show, url_option

BAR_WIDTH = 30


@click.group("connectors")
def command() -> None:
    """Create, inspect and control connectors (Kafka Connect REST API)."""


@command.command("list", epilog="\b\nExample:\n  hub connectors list")
@json_option
@url_option
def list_connectors(as_json: bool, url: str) -> None:
    """One line per connector: name, type, connector state, task states."""
    show(url, "/connectors?expand=status", as_json, _render_list)


def _render_list(expanded: dict[str, Any]) -> None:
    for name, entry in sorted(expanded.items()):
        status = entry["status"]
        tasks = ",".join(f"{t['id']}:{t['state']}" for t in status["tasks"]) or "-"
        click.echo(f"{name:<30} {status['type']:<7} {status['connector']['state']:<11} {tasks}")


def _load(path: Path) -> Any:
    try:
        return orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as exc:
        msg = f"{path} is not valid JSON: {exc}"
        raise click.ClickException(msg) from None


@command.command(
    "create",
    epilog="""\b
The file holds what `curl -X POST /connectors` sends, {"name": ..., "config": {...}},
or a flat config map with "name" (sent to PUT /connectors/{name}/config).
Example:
  hub connectors create -f file-source.json""",
)
@click.option(
    "-f",
    "--file",
    "path",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="JSON file with the connector.",
)
@url_option
def create(path: Path, url: str) -> None:
    """Create a connector (or update it, for a flat config file)."""
    body = _load(path)
    if not isinstance(body, dict):
        msg = f"{path} must hold a JSON object"
        raise click.ClickException(msg)
    with HubClient(url) as hub:
        if isinstance(body.get("config"), dict):
            info = hub.send_json("POST", "/connectors", body)
        elif isinstance(body.get("name"), str):
            info = hub.send_json("PUT", f"/connectors/{body['name']}/config", body)
        else:
            msg = f'{path} needs {{"name": ..., "config": {{...}}}} or a config with "name"'
            raise click.ClickException(msg)
    click.echo(f"connector {info['name']} ({info['type']}) saved")


def progress_line(progress: dict[str, Any]) -> str:
    """``[#####.....]  45% snapshot 4500/10000 rows`` (or the phase alone)."""
    phase = str(progress.get("phase", "working"))
    done, total = progress.get("done"), progress.get("total")
    unit = str(progress.get("unit", ""))
    if isinstance(done, int | float) and isinstance(total, int | float) and total > 0:
        ratio = min(1.0, done / total)
        filled = int(ratio * BAR_WIDTH)
        bar = "#" * filled + "." * (BAR_WIDTH - filled)
        return f"[{bar}] {ratio:4.0%} {phase} {done}/{total} {unit}".rstrip()
    if isinstance(done, int | float):
        return f"{phase} {done} {unit}".rstrip()
    extras = [
        f"{k}={v}"
        for k, v in progress.items()
        if k not in ("phase", "unit") and isinstance(v, int | float | str)
    ]
    return " ".join([phase, *extras])


def _show_status(hub: HubClient, name: str) -> bool:
    """Print the status; True while some task still reports unfinished progress."""
    status = hub.json("GET", f"/connectors/{name}/status")
    progress = hub.json("GET", f"/connectors/{name}/progress")
    by_task = {t["id"]: t["progress"] for t in progress["tasks"]}
    conn = status["connector"]
    click.echo(f"{status['name']} ({status['type']}): {conn['state']} on {conn['worker_id']}")
    busy = False
    for task in status["tasks"]:
        click.echo(f"  task {task['id']}: {task['state']} on {task['worker_id']}")
        report = by_task.get(task["id"])
        if report:
            click.echo(f"    {progress_line(report)}")
            busy = busy or report.get("done") != report.get("total")
        if task.get("trace"):
            click.echo("    " + task["trace"].strip().replace("\n", "\n    "))
    if conn.get("trace"):
        click.echo("  connector trace:\n    " + conn["trace"].strip().replace("\n", "\n    "))
    return busy


@command.command(
    "status",
    epilog="\b\nExamples:\n  hub connectors status pg-orders\n"
    "  hub connectors status pg-orders --watch     # until the snapshot is done",
)
@click.argument("name")
@json_option
@click.option("--watch", is_flag=True, help="Refresh every second while work is in progress.")
@url_option
def status(name: str, as_json: bool, watch: bool, url: str) -> None:
    """Connector and task states, traces of failures, and progress of long work."""
    with HubClient(url) as hub:
        if as_json:
            echo_json(hub.json("GET", f"/connectors/{name}/status"))
            return
        while _show_status(hub, name) and watch:
            time.sleep(1)
            click.echo()


def _simple(verb: str, method: str, suffix: str, done: str) -> click.Command:
    @click.command(
        verb, help=f"{verb.capitalize()} connector NAME ({method} /connectors/NAME{suffix})."
    )
    @click.argument("name")
    @url_option
    def run(name: str, url: str) -> None:
        with HubClient(url) as hub:
            hub.request(method, f"/connectors/{name}{suffix}")
        click.echo(f"connector {name} {done}")

    return run


for _verb, _method, _suffix, _done in (
    ("pause", "PUT", "/pause", "paused"),
    ("resume", "PUT", "/resume", "resumed"),
    ("stop", "PUT", "/stop", "stopped"),
    ("delete", "DELETE", "", "deleted (its offsets are kept)"),
):
    command.add_command(_simple(_verb, _method, _suffix, _done))


@command.command(
    "restart",
    epilog="\b\nExamples:\n  hub connectors restart orders-sink\n"
    "  hub connectors restart orders-sink --include-tasks --only-failed\n"
    "  hub connectors restart orders-sink --task 2",
)
@click.argument("name")
@click.option("--include-tasks", is_flag=True, help="Restart the tasks too.")
@click.option("--only-failed", is_flag=True, help="Only instances that are FAILED.")
@click.option("--task", type=int, help="Restart only this task.")
@url_option
def restart(name: str, include_tasks: bool, only_failed: bool, task: int | None, url: str) -> None:
    """Restart a connector, its tasks, or one task."""
    with HubClient(url) as hub:
        if task is not None:
            hub.request("POST", f"/connectors/{name}/tasks/{task}/restart")
            click.echo(f"task {name}-{task} restarted")
            return
        params = {
            "includeTasks": str(include_tasks).lower(),
            "onlyFailed": str(only_failed).lower(),
        }
        hub.request("POST", f"/connectors/{name}/restart", params=params)
    click.echo(f"connector {name} restarting")


@command.command(
    "offsets",
    epilog="\b\nExamples:\n  hub connectors offsets file-src\n"
    "  hub connectors stop file-src && hub connectors offsets file-src --reset",
)
@click.argument("name")
@click.option("--reset", is_flag=True, help="Forget all offsets (the connector must be STOPPED).")
@click.option(
    "--set",
    "set_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help='Apply {"offsets": [...]} from a file (connector STOPPED).',
)
@url_option
def offsets(name: str, reset: bool, set_file: Path | None, url: str) -> None:
    """Show a connector's committed offsets, or reset / alter them."""
    with HubClient(url) as hub:
        if reset:
            click.echo(hub.json("DELETE", f"/connectors/{name}/offsets")["message"])
        elif set_file is not None:
            body = _load(set_file)
            click.echo(hub.send_json("PATCH", f"/connectors/{name}/offsets", body)["message"])
        else:
            echo_json(hub.json("GET", f"/connectors/{name}/offsets"))
