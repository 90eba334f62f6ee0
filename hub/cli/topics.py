"""``hub topics create|list|describe|alter|delete``: topic administration over REST."""

from __future__ import annotations

from typing import Any

import click

from hub.cli.client import HubClient, json_option, show, url_option


def parse_assignments(pairs: tuple[str, ...]) -> dict[str, str]:
    """Turn repeated ``key=value`` options into a dict, rejecting anything else."""
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            msg = f"expected KEY=VALUE, got {pair!r} (e.g. --config retention.ms=86400000)"
            raise click.BadParameter(msg)
        out[key.strip()] = value.strip()
    return out


def print_topic(topic: dict[str, Any]) -> None:
    """Print a topic description as a short human-readable table."""
    click.echo(f"Topic: {topic['name']}  partitions: {len(topic['partitions'])}")
    click.echo(f"  {'PARTITION':>9}  {'BEGINNING':>12}  {'END':>12}  {'SIZE (B)':>12}  SEGMENTS")
    for p in topic["partitions"]:
        click.echo(
            f"  {p['partition']:>9}  {p['beginning_offset']:>12}  {p['end_offset']:>12}  "
            f"{p['size_bytes']:>12}  {p['segments']}"
        )
    click.echo("  configs:")
    for key, value in sorted(topic["configs"].items()):
        click.echo(f"    {key}={value}")


@click.group("topics")
def command() -> None:
    """Create, list, describe, alter and delete topics."""


@command.command(
    "create",
    epilog="""\b
Examples:
  hub topics create orders
  hub topics create clicks --partitions 6 --config retention.ms=86400000
  hub topics create users --config cleanup.policy=compact""",
)
@click.argument("name")
@click.option(
    "-p",
    "--partitions",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Number of partitions.",
)
@click.option(
    "-c",
    "--config",
    "configs",
    multiple=True,
    metavar="KEY=VALUE",
    help="Topic config override; repeatable.",
)
@url_option
def create(name: str, partitions: int, configs: tuple[str, ...], url: str) -> None:
    """Create topic NAME."""
    body = {"name": name, "partitions": partitions, "configs": parse_assignments(configs)}
    with HubClient(url) as hub:
        topic = hub.send_json("POST", "/topics", body)
    click.echo(f"created topic {topic['name']!r} with {len(topic['partitions'])} partition(s)")


@command.command("list", epilog="\b\nExample:\n  hub topics list --internal")
@click.option("--internal", is_flag=True, help="Also list internal topics (names starting _).")
@url_option
def list_topics(internal: bool, url: str) -> None:
    """List topic names, one per line."""
    with HubClient(url) as hub:
        names = hub.json("GET", "/topics", params={"internal": str(internal).lower()})
    for name in names:
        click.echo(name)


@command.command("describe", epilog="\b\nExample:\n  hub topics describe orders --json")
@click.argument("name")
@json_option
@url_option
def describe(name: str, as_json: bool, url: str) -> None:
    """Show NAME's partitions (offsets, sizes) and effective configs."""
    show(url, f"/topics/{name}", as_json, print_topic)


@command.command(
    "alter",
    epilog="""\b
Examples:
  hub topics alter orders --set retention.ms=3600000 --set cleanup.policy=compact
  hub topics alter orders --delete retention.ms        # back to the default
  hub topics alter orders --partitions 12              # grow (never shrinks)""",
)
@click.argument("name")
@click.option("--set", "to_set", multiple=True, metavar="KEY=VALUE", help="Set a config.")
@click.option(
    "--delete", "to_delete", multiple=True, metavar="KEY", help="Reset a config to its default."
)
@click.option("--partitions", type=click.IntRange(min=1), help="New total partition count.")
@url_option
def alter(
    name: str,
    to_set: tuple[str, ...],
    to_delete: tuple[str, ...],
    partitions: int | None,
    url: str,
) -> None:
    """Change NAME's configs and/or grow its partition count."""
    if not to_set and not to_delete and partitions is None:
        msg = "nothing to change: give --set KEY=VALUE, --delete KEY or --partitions N"
        raise click.UsageError(msg)
    configs: dict[str, str | None] = dict(parse_assignments(to_set))
    configs.update(dict.fromkeys(to_delete))
    with HubClient(url) as hub:
        if configs:
            hub.send_json("PUT", f"/topics/{name}/configs", {"configs": configs})
        if partitions is not None:
            hub.send_json("POST", f"/topics/{name}/partitions", {"partitions": partitions})
        topic = hub.json("GET", f"/topics/{name}")
    print_topic(topic)


@command.command("delete", epilog="\b\nExample:\n  hub topics delete old-clicks")
@click.argument("name")
@url_option
def delete(name: str, url: str) -> None:
    """Delete topic NAME and all its data."""
    with HubClient(url) as hub:
        hub.json("DELETE", f"/topics/{name}")
    click.echo(f"deleted topic {name!r}")
