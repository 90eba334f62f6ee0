"""``hub produce`` and ``hub consume``: JSON lines in, JSON lines out, over REST.

Produce reads lines, groups them into requests of ``--batch-size`` records
(one log append each) and reports the offsets taken. Consume fetches each
partition from a start position until the end offset seen at start, or keeps
long-polling with ``--follow``; every record is printed as one JSON line in the
REST API's shape (``key``/``value`` decoded from JSON, ``*_b64`` otherwise).
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import sys
from collections.abc import Iterator
from typing import IO, Any

import click
import orjson

from hub.cli.client import HubClient, HubRequestError, partitions_option, url_option
from hub.cli.topics import parse_assignments

PRODUCE_EXAMPLES = """\b
Examples:
  echo '{"page": "/home", "user": "u1"}' | hub produce clicks
  hub produce clicks --key-field user < clicks.jsonl      # key = each value's "user"
  hub produce orders --format record <<'EOF'
  {"key": "o-1", "value": {"total": 12.5}, "headers": {"source": "shop"}}
  {"key": "o-2", "value": null}
  EOF
  tail -f app.log | hub produce logs --format text --batch-size 1

\b
Formats (one record per line; blank lines are skipped):
  value   each line is a JSON value, stored as JSON (default)
  record  each line is a REST record: key, value, headers, partition,
          timestamp, key_b64, value_b64 (see docs/rest-api.md)
  text    each line is stored as-is (UTF-8 bytes, no JSON)"""

CONSUME_EXAMPLES = """\b
Examples:
  hub consume clicks                          # everything there now, then exit
  hub consume clicks --from latest --follow   # only new records, until Ctrl-C
  hub consume clicks -p 0 --from 1200 -n 10   # 10 records of partition 0 from offset 1200
  hub consume clicks --from-timestamp 2026-11-20T08:00:00Z
  hub consume clicks --value-only | jq .page
  hub consume clicks --group dashboard        # resume where the group stopped, commit

Each record is one JSON line: {"topic", "partition", "offset", "timestamp",
"key", "value", "headers"}; bytes that are not JSON come as key_b64/value_b64."""


def parse_timestamp(text: str) -> int:
    """Milliseconds since the epoch from digits or an ISO-8601 time (UTC if no zone)."""
    if text.isdigit():
        return int(text)
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        msg = f"{text!r} is neither milliseconds since the epoch nor an ISO-8601 time"
        raise click.BadParameter(msg) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return int(when.timestamp() * 1000)


def line_to_record(number: int, line: bytes, fmt: str, key_field: str | None) -> dict[str, Any]:
    """Build one REST record from an input line; errors name the line number."""
    if fmt == "text":
        return {"value_b64": base64.b64encode(line).decode()}
    try:
        data = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        msg = f"line {number} is not valid JSON ({exc}); use --format text for plain lines"
        raise click.ClickException(msg) from None
    if fmt == "record":
        if not isinstance(data, dict):
            msg = f'line {number}: --format record needs an object like {{"value": ...}}'
            raise click.ClickException(msg)
        return data
    record: dict[str, Any] = {"value": data}
    if key_field is not None:
        if not isinstance(data, dict) or key_field not in data:
            msg = f"line {number} has no field {key_field!r} to use as the key"
            raise click.ClickException(msg)
        record["key"] = data[key_field]
    return record


def read_batches(
    stream: IO[bytes], batch_size: int, fmt: str, key_field: str | None
) -> Iterator[list[dict[str, Any]]]:
    """Group input lines into lists of at most ``batch_size`` records."""
    batch: list[dict[str, Any]] = []
    for number, raw in enumerate(stream, start=1):
        line = raw.rstrip(b"\r\n")
        if not line.strip():
            continue
        batch.append(line_to_record(number, line, fmt, key_field))
        if len(batch) >= batch_size:
            yield batch
            batch = []
    if batch:
        yield batch


@click.command("produce", epilog=PRODUCE_EXAMPLES)
@click.argument("topic")
@click.option(
    "-f",
    "--file",
    "source",
    type=click.File("rb"),
    default="-",
    help="Read lines from this file instead of stdin.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["value", "record", "text"]),
    default="value",
    show_default=True,
    help="How to read each line.",
)
@click.option("-k", "--key", help="Key (a string) for every record without one.")
@click.option("--key-field", help="Use this field of each JSON object value as its key.")
@click.option(
    "-H",
    "--header",
    "headers",
    multiple=True,
    metavar="NAME=VALUE",
    help="Header added to every record; repeatable.",
)
@click.option(
    "-p",
    "--partition",
    type=click.IntRange(min=0),
    help="Send every record to this partition (default: by key, else sticky).",
)
@click.option(
    "--batch-size",
    type=click.IntRange(1, 100_000),
    default=1000,
    show_default=True,
    help="Records per request (one log append each).",
)
@url_option
def produce(
    topic: str,
    source: IO[bytes],
    fmt: str,
    key: str | None,
    key_field: str | None,
    headers: tuple[str, ...],
    partition: int | None,
    batch_size: int,
    url: str,
) -> None:
    """Produce records read as lines from stdin (or --file) to TOPIC."""
    extra_headers = parse_assignments(headers)
    total = 0
    partitions: set[int] = set()
    with HubClient(url) as hub:
        for batch in read_batches(source, batch_size, fmt, key_field):
            for record in batch:
                if key is not None and "key" not in record and "key_b64" not in record:
                    record["key"] = key
                if extra_headers:
                    record["headers"] = {**extra_headers, **record.get("headers", {})}
                if partition is not None:
                    record["partition"] = partition
            reply = hub.send_json("POST", f"/topics/{topic}/records", {"records": batch})
            total += len(reply["offsets"])
            partitions.update(o["partition"] for o in reply["offsets"])
    where = ", ".join(str(p) for p in sorted(partitions)) or "-"
    click.echo(f"produced {total} record(s) to {topic!r} (partitions: {where})", err=True)


class PartitionReader:
    """Position and stopping point of one partition during ``hub consume``."""

    def __init__(self, partition: int, offset: int | None, timestamp: int | None, end: int):
        self.partition = partition
        self.offset = offset
        self.timestamp = timestamp
        self.end = end

    def params(self, max_wait_ms: int, fmt: str) -> dict[str, Any]:
        """Query parameters of the next fetch."""
        params: dict[str, Any] = {"max_wait_ms": max_wait_ms, "format": fmt}
        if self.offset is not None:
            params["offset"] = self.offset
        elif self.timestamp is not None:
            params["timestamp"] = self.timestamp
        return params

    def done(self) -> bool:
        """Whether this partition reached the end offset seen when consuming started."""
        return self.offset is not None and self.offset >= self.end


def committed_offsets(hub: HubClient, group: str | None, topic: str) -> dict[int, int]:
    """The group's committed offset per partition of ``topic`` (empty for a new group)."""
    if group is None:
        return {}
    try:
        info = hub.json("GET", f"/consumer-groups/{group}")
    except HubRequestError as exc:
        if exc.status == 404:
            return {}
        raise
    return {p["partition"]: p["committed"] for p in info["partitions"] if p["topic"] == topic}


def start_readers(
    hub: HubClient,
    topic: str,
    partitions: tuple[int, ...],
    start: str,
    timestamp: int | None,
    committed: dict[int, int],
) -> list[PartitionReader]:
    """Start each partition at the group's committed offset, else at --from/--from-timestamp."""
    if not partitions:
        described = hub.json("GET", f"/topics/{topic}")
        partitions = tuple(p["partition"] for p in described["partitions"])
    readers = []
    for p in partitions:
        offsets = hub.json("GET", f"/topics/{topic}/partitions/{p}/offsets")
        begin, end = offsets["beginning_offset"], offsets["end_offset"]
        if begin <= committed.get(p, -1) <= end:
            readers.append(PartitionReader(p, committed[p], None, end))
            continue
        if timestamp is not None:
            offset = None
        elif start == "earliest":
            offset = begin
        elif start == "latest":
            offset = end
        else:
            offset = int(start)
            if not begin <= offset <= end:
                msg = (
                    f"offset {offset} is out of range for partition {p} of {topic!r} "
                    f"(valid: {begin}..{end}); pick partitions with -p"
                )
                raise click.ClickException(msg)
        readers.append(PartitionReader(p, offset, timestamp, end))
    return readers


class Printer:
    """Writes records as JSON lines and counts them against --max-messages."""

    def __init__(self, out: IO[bytes], limit: int | None, value_only: bool) -> None:
        self.out = out
        self.remaining = limit
        self.value_only = value_only

    @property
    def full(self) -> bool:
        """True once --max-messages records were printed."""
        return self.remaining is not None and self.remaining <= 0

    def write(self, records: list[dict[str, Any]]) -> int:
        """Print as many of ``records`` as the limit allows, flush, return how many."""
        if self.remaining is not None:
            records = records[: self.remaining]
            self.remaining -= len(records)
        lines = []
        for rec in records:
            if self.value_only:
                value = rec["value"] if "value" in rec else rec.get("value_b64")
                lines.append(orjson.dumps(value))
            else:
                lines.append(orjson.dumps(rec))
        if lines:
            self.out.write(b"\n".join(lines) + b"\n")
            self.out.flush()
        return len(lines)


def fetch_once(
    hub: HubClient, topic: str, reader: PartitionReader, printer: Printer, wait: int, fmt: str
) -> int | None:
    """Fetch and print one response; return the offset after the last record printed."""
    path = f"/topics/{topic}/partitions/{reader.partition}/records"
    resp = hub.request("GET", path, params=reader.params(wait, fmt))
    records = orjson.loads(resp.content)
    printed = printer.write(records)
    if printed < len(records):  # --max-messages cut this response short
        return int(records[printed - 1]["offset"]) + 1 if printed else reader.offset
    return int(resp.headers["x-hub-next-offset"])


def consume_loop(
    hub: HubClient,
    topic: str,
    readers: list[PartitionReader],
    printer: Printer,
    options: ConsumeOptions,
) -> None:
    """Fetch round-robin over partitions until done (or forever with --follow).

    With a group, the position after each printed response is committed, so the
    next ``hub consume --group`` continues where this one stopped.
    """
    follow = options.follow
    wait = max(50, 1000 // max(1, len(readers))) if follow else 0
    active = [r for r in readers if follow or not r.done()]
    while active and not printer.full:
        for reader in active:
            previous = reader.offset
            reader.offset = fetch_once(hub, topic, reader, printer, wait, options.fmt)
            if options.group and reader.offset is not None and reader.offset != previous:
                commit = {"topic": topic, "partition": reader.partition, "offset": reader.offset}
                hub.send_json(
                    "POST", f"/consumer-groups/{options.group}/offsets", {"offsets": [commit]}
                )
            stuck = reader.offset is not None and previous is not None and reader.offset <= previous
            if stuck and not follow:
                reader.end = reader.offset or 0  # nothing more to read here; do not spin
            if printer.full:
                return
        if not follow:
            active = [r for r in active if not r.done()]


class ConsumeOptions:
    """How ``hub consume`` reads: follow or stop at the end, format, group to commit to."""

    def __init__(self, follow: bool, fmt: str, group: str | None) -> None:
        self.follow = follow
        self.fmt = fmt
        self.group = group


@click.command("consume", epilog=CONSUME_EXAMPLES)
@click.argument("topic")
@partitions_option("Partition to read; repeatable (default: all).")
@click.option(
    "--from",
    "start",
    default="earliest",
    show_default=True,
    metavar="earliest|latest|OFFSET",
    help="Where to start in each partition.",
)
@click.option(
    "--from-timestamp",
    metavar="MS|ISO-8601",
    help="Start at the first record at or after this time (overrides --from).",
)
@click.option("-n", "--max-messages", type=click.IntRange(min=1), help="Stop after N records.")
@click.option("--follow", is_flag=True, help="Keep waiting for new records (Ctrl-C stops).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "binary"]),
    default="json",
    show_default=True,
    help="binary: keys/values always as base64 (*_b64).",
)
@click.option("--value-only", is_flag=True, help="Print only each record's value.")
@click.option(
    "-g",
    "--group",
    help="Consumer group: start at its committed offsets (--from only where it has none) "
    "and commit the position after each batch printed.",
)
@url_option
def consume(
    topic: str,
    partitions: tuple[int, ...],
    start: str,
    from_timestamp: str | None,
    max_messages: int | None,
    follow: bool,
    fmt: str,
    value_only: bool,
    group: str | None,
    url: str,
) -> None:
    """Print TOPIC's records as JSON lines."""
    if start not in ("earliest", "latest") and not start.isdigit():
        msg = f"--from must be earliest, latest or an offset, got {start!r}"
        raise click.BadParameter(msg, param_hint="--from")
    timestamp = None if from_timestamp is None else parse_timestamp(from_timestamp)
    printer = Printer(sys.stdout.buffer, max_messages, value_only)
    with HubClient(url, timeout=60.0) as hub:
        committed = committed_offsets(hub, group, topic)
        readers = start_readers(hub, topic, partitions, start, timestamp, committed)
        with contextlib.suppress(KeyboardInterrupt):
            consume_loop(hub, topic, readers, printer, ConsumeOptions(follow, fmt, group))


commands: list[click.Command] = [produce, consume]
