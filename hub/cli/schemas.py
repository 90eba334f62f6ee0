"""``hub schemas list|get|register|check|delete``: the schema registry for people, over REST.

Talks to the Confluent-compatible endpoints of a running hub (or any
Confluent registry given with ``--url``), so what works here works with curl.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

import click

from hub.cli.client import HubClient, echo_json, url_option

TYPES = click.Choice(["AVRO", "JSON"], case_sensitive=False)


def _subject(subject: str) -> str:
    return quote(subject, safe="")


def _schema_body(path: Path, schema_type: str | None, refs: tuple[str, ...]) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        msg = f"{path} is not JSON ({exc}); a schema file holds an Avro or JSON Schema document"
        raise click.BadParameter(msg) from None
    kind = (schema_type or ("AVRO" if path.suffix == ".avsc" else "JSON")).upper()
    body: dict[str, Any] = {"schema": text, "schemaType": kind}
    if refs:
        body["references"] = [_reference(r) for r in refs]
    return body


def _reference(spec: str) -> dict[str, Any]:
    name, _, rest = spec.partition("=")
    subject, _, version = rest.rpartition(":")
    if not name or not subject or not version.isdigit():
        msg = f"expected NAME=SUBJECT:VERSION, got {spec!r} (e.g. --ref address.json=address:1)"
        raise click.BadParameter(msg)
    return {"name": name, "subject": subject, "version": int(version)}


@click.group("schemas")
def command() -> None:
    """List, show, register, check and delete schemas in the hub's schema registry."""


@command.command("list")
@click.option("--deleted", is_flag=True, help="Include soft-deleted subjects.")
@url_option
def list_subjects(deleted: bool, url: str) -> None:
    """List subjects, one per line."""
    with HubClient(url) as hub:
        for subject in hub.json("GET", "/subjects", params={"deleted": str(deleted).lower()}):
            click.echo(subject)


@command.command(
    "get", epilog="Examples:\n\n  hub schemas get orders-value\n\n  hub schemas get --id 3"
)
@click.argument("subject", required=False)
@click.option(
    "--version", "version", default="latest", show_default=True, help="Version or 'latest'."
)
@click.option("--id", "schema_id", type=int, help="Show the schema with this global id instead.")
@click.option("--raw", is_flag=True, help="Print only the schema document.")
@url_option
def get(subject: str | None, version: str, schema_id: int | None, raw: bool, url: str) -> None:
    """Show one version of a subject (or one schema by id)."""
    if (subject is None) == (schema_id is None):
        msg = "give either a SUBJECT or --id"
        raise click.UsageError(msg)
    with HubClient(url) as hub:
        if schema_id is not None:
            found = hub.json("GET", f"/schemas/ids/{schema_id}")
        else:
            found = hub.json("GET", f"/subjects/{_subject(subject or '')}/versions/{version}")
    if raw:
        echo_json(json.loads(found["schema"]))
    else:
        echo_json({**found, "schema": json.loads(found["schema"])})


@command.command(
    "register",
    epilog="Examples:\n\n  hub schemas register orders-value order.avsc\n\n"
    "  hub schemas register users-value user.json --ref address.json=address-value:1",
)
@click.argument("subject")
@click.argument("schema_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--type", "schema_type", type=TYPES, help="Default: AVRO for .avsc, else JSON.")
@click.option("--ref", "refs", multiple=True, metavar="NAME=SUBJECT:VERSION", help="A reference.")
@url_option
def register(
    subject: str, schema_file: Path, schema_type: str | None, refs: tuple[str, ...], url: str
) -> None:
    """Register a schema file under SUBJECT; prints its id."""
    body = _schema_body(schema_file, schema_type, refs)
    with HubClient(url) as hub:
        found = hub.send_json("POST", f"/subjects/{_subject(subject)}/versions", body)
    click.echo(f"registered {subject}: id {found['id']}")


@command.command("check")
@click.argument("subject")
@click.argument("schema_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--type", "schema_type", type=TYPES, help="Default: AVRO for .avsc, else JSON.")
@click.option("--version", default="latest", show_default=True, help="Version to check against.")
@click.option("--ref", "refs", multiple=True, metavar="NAME=SUBJECT:VERSION", help="A reference.")
@url_option
def check(
    subject: str,
    schema_file: Path,
    schema_type: str | None,
    version: str,
    refs: tuple[str, ...],
    url: str,
) -> None:
    """Check a schema file against SUBJECT's compatibility level; exit 1 when incompatible."""
    body = _schema_body(schema_file, schema_type, refs)
    path = f"/compatibility/subjects/{_subject(subject)}/versions/{version}"
    with HubClient(url) as hub:
        found = hub.send_json("POST", path, body, params={"verbose": "true"})
    if found["is_compatible"]:
        click.echo("compatible")
        return
    click.echo("INCOMPATIBLE:")
    for message in found.get("messages", []):
        click.echo(f"  {message}")
    raise SystemExit(1)


@command.command("delete")
@click.argument("subject")
@click.option("--version", help="Delete only this version (default: the whole subject).")
@click.option("--permanent", is_flag=True, help="Hard delete (only after a soft delete).")
@url_option
def delete(subject: str, version: str | None, permanent: bool, url: str) -> None:
    """Soft-delete a subject or one version (use --permanent afterwards to remove it)."""
    path = f"/subjects/{_subject(subject)}" + (f"/versions/{version}" if version else "")
    with HubClient(url) as hub:
        found = hub.json("DELETE", path, params={"permanent": str(permanent).lower()})
    kind = "permanently deleted" if permanent else "soft-deleted"
    click.echo(f"{kind} {subject} version(s) {found}")
