"""``hub groups list|describe|reset|delete``: consumer-group offsets and lag over REST."""

from __future__ import annotations

from typing import Any

import click

from hub.cli.client import HubClient, json_option, partitions_option, show, url_option
from hub.cli.records import parse_timestamp


@click.group("groups")
def command() -> None:
    """List consumer groups, show their lag, move or delete their offsets."""


@command.command("list", epilog="\b\nExample:\n  hub groups list")
@url_option
def list_groups(url: str) -> None:
    """List consumer groups that have committed offsets, one per line."""
    with HubClient(url) as hub:
        for name in hub.json("GET", "/consumer-groups"):
            click.echo(name)


@command.command("describe", epilog="\b\nExample:\n  hub groups describe search-indexer")
@click.argument("group")
@json_option
@url_option
def describe(group: str, as_json: bool, url: str) -> None:
    """Show GROUP's committed offset, end offset and lag per partition."""
    show(url, f"/consumer-groups/{group}", as_json, _print_lag)


def _print_lag(info: dict[str, Any]) -> None:
    click.echo(f"Group: {info['group_id']}  total lag: {info['total_lag']}")
    click.echo(f"  {'TOPIC':<30} {'PARTITION':>9} {'COMMITTED':>12} {'END':>12} {'LAG':>10}")
    for p in info["partitions"]:
        committed = "-" if p["committed"] is None else p["committed"]
        lag = "-" if p["lag"] is None else p["lag"]
        click.echo(
            f"  {p['topic']:<30} {p['partition']:>9} {committed:>12} "
            f"{p['end_offset']:>12} {lag:>10}"
        )


@command.command(
    "reset",
    epilog="""\b
Examples:
  hub groups reset search-indexer --topic orders --to-earliest     # reprocess everything
  hub groups reset search-indexer --topic orders --to-latest       # skip the backlog
  hub groups reset search-indexer --topic orders --to-offset 500 -p 0
  hub groups reset search-indexer --topic orders --to-timestamp 2026-11-20T08:00:00Z""",
)
@click.argument("group")
@click.option("-t", "--topic", required=True, help="Topic whose offsets move.")
@click.option("--to-earliest", "to", flag_value="earliest", help="Oldest retained record.")
@click.option("--to-latest", "to", flag_value="latest", help="Next record to be written.")
@click.option("--to-offset", type=click.IntRange(min=0), help="This offset.")
@click.option("--to-timestamp", metavar="MS|ISO-8601", help="First record at/after this time.")
@partitions_option("Only these partitions; repeatable (default: all).")
@url_option
def reset(
    group: str,
    topic: str,
    to: str | None,
    to_offset: int | None,
    to_timestamp: str | None,
    partitions: tuple[int, ...],
    url: str,
) -> None:
    """Move GROUP's committed offsets on a topic."""
    chosen = [x for x in (to, to_offset, to_timestamp) if x is not None]
    if len(chosen) != 1:
        msg = "give exactly one of --to-earliest, --to-latest, --to-offset, --to-timestamp"
        raise click.UsageError(msg)
    body: dict[str, object] = {"topic": topic}
    if to_offset is not None:
        body.update(to="offset", offset=to_offset)
    elif to_timestamp is not None:
        body.update(to="timestamp", timestamp=parse_timestamp(to_timestamp))
    else:
        body["to"] = to
    if partitions:
        body["partitions"] = list(partitions)
    with HubClient(url) as hub:
        reply = hub.send_json("POST", f"/consumer-groups/{group}/reset", body)
    for item in reply["offsets"]:
        click.echo(f"{item['topic']}/{item['partition']}: {item['offset']}")


@command.command("delete", epilog="\b\nExample:\n  hub groups delete old-indexer")
@click.argument("group")
@url_option
def delete(group: str, url: str) -> None:
    """Forget GROUP's committed offsets."""
    with HubClient(url) as hub:
        hub.json("DELETE", f"/consumer-groups/{group}")
    click.echo(f"deleted consumer group {group!r}")
