"""Produce and consume records over HTTP: the hub's HTTP ingest path.

Both endpoints are hot paths (website activity tracking posts here), so they
skip FastAPI's per-field models: the body is parsed with orjson, each record is
checked with a few ``isinstance`` tests (a bad one gets a 400 naming its index
and field), and a whole request becomes ONE :meth:`Log.append` call, which
writes one batch per partition. Responses are rendered with orjson directly.

Keys and values travel as JSON: ``"value": {"a": 1}`` is stored as the bytes
``{"a":1}``, and on the way out stored bytes are decoded as JSON when they
parse. Raw bytes use ``key_b64``/``value_b64`` in both directions; a ``null``
value is a tombstone.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import threading
import time
from collections.abc import Sequence
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Depends, FastAPI, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from hub.api.bodies import parse_json
from hub.api.errors import (
    OFFSET_OUT_OF_RANGE,
    UNKNOWN_PARTITION,
    ApiError,
    bad_request,
    unknown_topic_or_partition,
)
from hub.core_log import FetchResult, Log, ProduceRecord, Record, RecordBatch
from hub.core_log.errors import (
    OffsetOutOfRangeError,
    TopicAlreadyExistsError,
    UnknownTopicOrPartitionError,
)
from hub.services import HubServices

RECORD_FIELDS = frozenset(
    {"key", "value", "key_b64", "value_b64", "headers", "headers_b64", "partition", "timestamp"}
)
PLAIN_FIELDS = frozenset({"key", "value"})
MAX_WAIT_MS = 30_000
POLL_SLICE_MS = 250  # how soon a waiting consumer notices the hub is stopping
DEFAULT_MAX_BYTES = 1 << 20

PRODUCE_BODY_SCHEMA: dict[str, Any] = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["records"],
                "properties": {
                    "records": {
                        "type": "array",
                        "minItems": 1,
                        "items": {
                            "type": "object",
                            "properties": {
                                "key": {"description": "Any JSON value, stored as JSON."},
                                "value": {"description": "Any JSON value; null = tombstone."},
                                "key_b64": {"type": "string", "description": "Raw key bytes."},
                                "value_b64": {"type": "string", "description": "Raw bytes."},
                                "headers": {
                                    "type": "object",
                                    "additionalProperties": {"type": ["string", "null"]},
                                },
                                "headers_b64": {
                                    "type": "object",
                                    "additionalProperties": {"type": ["string", "null"]},
                                },
                                "partition": {"type": "integer", "minimum": 0},
                                "timestamp": {"type": "integer", "description": "ms epoch"},
                            },
                        },
                    }
                },
            },
            "example": {"records": [{"key": "user-1", "value": {"page": "/home"}}]},
        }
    },
}


def _b64(index: int, field: str, text: object) -> bytes | None:
    if text is None:
        return None
    if not isinstance(text, str):
        msg = f"records[{index}].{field} must be a base64 string or null"
        raise bad_request(msg)
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        msg = f"records[{index}].{field} is not valid base64: {exc}"
        raise bad_request(msg) from None


def _payload(index: int, rec: dict[str, Any], field: str, required: bool) -> bytes | None:
    """Read ``field`` (JSON, re-serialized) or ``field_b64`` (raw bytes) of one record."""
    b64_field = field + "_b64"
    if b64_field in rec:
        if field in rec:
            msg = f"records[{index}] has both {field} and {b64_field}; send one"
            raise bad_request(msg)
        return _b64(index, b64_field, rec[b64_field])
    if field in rec:
        value = rec[field]
        return None if value is None else orjson.dumps(value)
    if required:
        msg = f'records[{index}] has no "{field}" (use null for a tombstone, {b64_field} for bytes)'
        raise bad_request(msg)
    return None


def _headers(index: int, rec: dict[str, Any]) -> list[tuple[str, bytes | None]]:
    out: list[tuple[str, bytes | None]] = []
    for field, b64 in (("headers", False), ("headers_b64", True)):
        given = rec.get(field)
        if given is None:
            continue
        if not isinstance(given, dict):
            msg = f"records[{index}].{field} must be an object of name -> string"
            raise bad_request(msg)
        for name, value in given.items():
            if value is None:
                out.append((name, None))
            elif b64:
                out.append((name, _b64(index, f"{field}.{name}", value)))
            elif isinstance(value, str):
                out.append((name, value.encode()))
            else:
                msg = f"records[{index}].headers.{name} must be a string or null"
                raise bad_request(msg)
    return out


def _non_negative_int(index: int, rec: dict[str, Any], field: str) -> int | None:
    value = rec.get(field)
    if value is None:
        return None
    if type(value) is not int or value < 0:
        msg = f"records[{index}].{field} must be a non-negative integer, got {value!r}"
        raise bad_request(msg)
    return value


def _plain(data: Any) -> bytes | None:
    return None if data is None else orjson.dumps(data)


def parse_record(index: int, rec: object) -> ProduceRecord:
    """Validate one element of ``records`` and turn it into a :class:`ProduceRecord`."""
    if type(rec) is not dict:
        msg = f"records[{index}] must be a JSON object, got {type(rec).__name__}"
        raise bad_request(msg)
    if "value" in rec and PLAIN_FIELDS.issuperset(rec):  # the common case, kept short
        return ProduceRecord(_plain(rec.get("key")), _plain(rec["value"]))
    if not RECORD_FIELDS.issuperset(rec):
        unknown = sorted(set(rec) - RECORD_FIELDS)
        allowed = ", ".join(sorted(RECORD_FIELDS))
        msg = f"records[{index}] has unknown field(s) {unknown}; allowed: {allowed}"
        raise bad_request(msg)
    return ProduceRecord(
        _payload(index, rec, "key", required=False),
        _payload(index, rec, "value", required=True),
        _headers(index, rec) if ("headers" in rec or "headers_b64" in rec) else (),
        _non_negative_int(index, rec, "timestamp"),
        _non_negative_int(index, rec, "partition"),
    )


def parse_produce_body(raw: bytes) -> list[ProduceRecord]:
    """Parse a ``POST /topics/{t}/records`` body; every problem is a 400 saying where."""
    body = parse_json(raw)
    records = body.get("records") if isinstance(body, dict) else None
    if not isinstance(records, list):
        msg = 'the body must be a JSON object {"records": [{"value": ...}, ...]}'
        raise bad_request(msg)
    if not records:
        msg = "records is empty; send at least one record"
        raise bad_request(msg)
    return [parse_record(i, rec) for i, rec in enumerate(records)]


class Producer:
    """Appends parsed requests to the log, creating unknown topics when configured to."""

    def __init__(self, services: HubServices) -> None:
        self.log = services.log
        self.auto_create = services.config.auto_create_topics
        self.auto_partitions = services.config.auto_create_partitions

    def produce(self, topic: str, raw: bytes) -> bytes:
        """Parse, append in one call, and render the offsets response."""
        records = parse_produce_body(raw)
        try:
            offsets = self.log.append(topic, records)
        except UnknownTopicOrPartitionError as exc:
            offsets = self._retry_after_create(topic, records, exc)
        return orjson.dumps({"offsets": [{"partition": p, "offset": o} for p, o in offsets]})

    def _retry_after_create(
        self, topic: str, records: Sequence[ProduceRecord], exc: UnknownTopicOrPartitionError
    ) -> list[tuple[int, int]]:
        if self.log.has_topic(topic):
            raise ApiError(404, UNKNOWN_PARTITION, exc.message) from None
        if not self.auto_create:
            err = unknown_topic_or_partition(False, topic, None)
            err.message += ", or start the hub with HUB_AUTO_CREATE_TOPICS=true"
            raise err from None
        with contextlib.suppress(TopicAlreadyExistsError):  # another request created it first
            self.log.create_topic(topic, self.auto_partitions)
        return self.log.append(topic, records)


def _headers_json(headers: Sequence[tuple[str, bytes | None]], out: dict[str, Any]) -> None:
    text: dict[str, str | None] = {}
    raw: dict[str, str | None] = {}
    for name, value in headers:
        if value is None:
            text[name] = None
            continue
        try:
            text[name] = value.decode()
        except UnicodeDecodeError:
            raw[name] = base64.b64encode(value).decode()
    out["headers"] = text
    if raw:
        out["headers_b64"] = raw


def _b64_or_none(data: bytes | None) -> str | None:
    return None if data is None else base64.b64encode(data).decode()


def json_item(topic: str, partition: int, rec: Record) -> dict[str, Any]:
    """One consumed record, keys/values decoded from JSON when they parse (else base64).

    Written out long-hand: it runs once per record on the consume hot path.
    """
    item: dict[str, Any] = {
        "topic": topic,
        "partition": partition,
        "offset": rec.offset,
        "timestamp": rec.timestamp,
    }
    key, value = rec.key, rec.value
    if key is None:
        item["key"] = None
    else:
        try:
            item["key"] = orjson.loads(key)
        except orjson.JSONDecodeError:
            item["key_b64"] = base64.b64encode(key).decode()
    if value is None:
        item["value"] = None
    else:
        try:
            item["value"] = orjson.loads(value)
        except orjson.JSONDecodeError:
            item["value_b64"] = base64.b64encode(value).decode()
    if rec.headers:
        _headers_json(rec.headers, item)
    else:
        item["headers"] = {}
    return item


def binary_item(topic: str, partition: int, rec: Record) -> dict[str, Any]:
    """One consumed record with the exact stored bytes, base64-encoded."""
    return {
        "topic": topic,
        "partition": partition,
        "offset": rec.offset,
        "timestamp": rec.timestamp,
        "key_b64": _b64_or_none(rec.key),
        "value_b64": _b64_or_none(rec.value),
        "headers_b64": {n: _b64_or_none(v) for n, v in rec.headers},
    }


def render_records(
    topic: str, partition: int, batches: Sequence[RecordBatch], offset: int, binary: bool
) -> tuple[list[dict[str, Any]], int]:
    """Turn fetched batches into the consume response; also return the next offset."""
    render = binary_item if binary else json_item
    out: list[dict[str, Any]] = []
    next_offset = offset
    for batch in batches:
        next_offset = max(next_offset, batch.next_offset)
        if batch.is_control or batch.next_offset <= offset:
            continue
        if batch.base_offset >= offset:
            out.extend([render(topic, partition, rec) for rec in batch])
        else:
            out.extend([render(topic, partition, rec) for rec in batch if rec.offset >= offset])
    return out, next_offset


class Consumer:
    """Serves ``GET .../records``: resolve the start position, long-poll, render."""

    def __init__(self, log: Log, stopping: threading.Event) -> None:
        self.log = log
        self.stopping = stopping

    def start_offset(
        self, topic: str, partition: int, offset: int | None, timestamp: int | None
    ) -> int:
        """Where a fetch starts: the offset given, the first at/after a time, or the beginning."""
        if offset is not None and timestamp is not None:
            msg = "give either offset or timestamp, not both"
            raise bad_request(msg)
        if offset is not None:
            return offset
        if timestamp is not None:
            found = self.log.offset_for_timestamp(topic, partition, timestamp)
            return self.log.end_offset(topic, partition) if found is None else found
        return self.log.start_offset(topic, partition)

    def fetch(self, topic: str, partition: int, params: FetchParams) -> Response:
        """Read up to ``max_bytes`` from the start position and render it."""
        try:
            offset = self.start_offset(topic, partition, params.offset, params.timestamp)
        except UnknownTopicOrPartitionError:
            raise unknown_topic_or_partition(self.log.has_topic(topic), topic, partition) from None
        try:
            result = self._read(topic, partition, offset, params)
        except UnknownTopicOrPartitionError:
            raise unknown_topic_or_partition(self.log.has_topic(topic), topic, partition) from None
        except OffsetOutOfRangeError:
            raise self._out_of_range(topic, partition, offset) from None
        records, next_offset = render_records(
            topic, partition, list(result.batches()), offset, params.format == "binary"
        )
        headers = {
            "X-Hub-Next-Offset": str(next_offset),
            "X-Hub-High-Watermark": str(result.high_watermark),
            "X-Hub-Log-Start-Offset": str(result.log_start_offset),
        }
        return Response(orjson.dumps(records), media_type="application/json", headers=headers)

    def _read(self, topic: str, partition: int, offset: int, params: FetchParams) -> FetchResult:
        """Long-poll in short slices so a stopping hub answers waiting consumers at once."""
        deadline = time.monotonic() + params.max_wait_ms / 1000
        while True:
            wait_ms = max(0, min(POLL_SLICE_MS, int((deadline - time.monotonic()) * 1000)))
            result = self.log.read(topic, partition, offset, params.max_bytes, max_wait_ms=wait_ms)
            if result.data or wait_ms == 0 or self.stopping.is_set():
                return result

    def _out_of_range(self, topic: str, partition: int, offset: int) -> ApiError:
        start = self.log.start_offset(topic, partition)
        end = self.log.end_offset(topic, partition)
        message = (
            f"offset {offset} is out of range for {topic!r} partition {partition}: valid start "
            f"offsets are {start}..{end} ({end} = the next offset to be written); retry with "
            f"offset={start} for the oldest record or offset={end} for new ones"
        )
        return ApiError(416, OFFSET_OUT_OF_RANGE, message)


class FetchParams:
    """Query parameters of a consume request, validated by FastAPI (400 on bad input)."""

    def __init__(
        self,
        offset: Annotated[int | None, Query(ge=0, description="First offset to return")] = None,
        timestamp: Annotated[
            int | None, Query(ge=0, description="Start at the first record at/after (ms)")
        ] = None,
        max_bytes: Annotated[
            int, Query(ge=1, le=64 << 20, description="Soft limit on bytes read")
        ] = DEFAULT_MAX_BYTES,
        max_wait_ms: Annotated[
            int, Query(ge=0, le=MAX_WAIT_MS, description="Long-poll up to this long for data")
        ] = 0,
        format: Annotated[
            Literal["json", "binary"], Query(description="json decodes values; binary = base64")
        ] = "json",
    ) -> None:
        self.offset = offset
        self.timestamp = timestamp
        self.max_bytes = max_bytes
        self.max_wait_ms = max_wait_ms
        self.format = format


def register(app: FastAPI, services: HubServices) -> None:
    """Mount the produce and consume endpoints."""
    router = APIRouter(tags=["records"])
    producer = Producer(services)
    consumer = Consumer(services.log, services.stopping)

    @router.post(
        "/topics/{topic}/records",
        summary="Produce a batch of records (one log append per request)",
        openapi_extra={"requestBody": PRODUCE_BODY_SCHEMA},
        responses={200: {"description": '{"offsets": [{"partition": 0, "offset": 0}]}'}},
    )
    async def produce(topic: str, request: Request) -> Response:
        raw = await request.body()
        body = await run_in_threadpool(producer.produce, topic, raw)
        return Response(body, media_type="application/json")

    @router.get(
        "/topics/{topic}/partitions/{partition}/records",
        summary="Consume records of one partition from an offset or timestamp",
    )
    def consume(topic: str, partition: int, params: Annotated[FetchParams, Depends()]) -> Response:
        return consumer.fetch(topic, partition, params)

    app.include_router(router)
