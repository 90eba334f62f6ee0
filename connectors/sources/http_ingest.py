"""HTTP ingest source: events POSTed to ``/ingest/{source}`` become records (activity tracking).

The hub's REST route hands each request to :meth:`IngestEndpoints.offer`; the running task
for that ``ingest.source`` owns a bounded buffer, and the returned future resolves only when
every event of the request is durable in the log: ``commit_record`` says an event was
written (or filtered out), and the next ``commit`` - which the runtime calls after fsyncing
the log and storing the offsets - makes it durable. So a client that got a 2xx never loses an
event, and a client that got an error retries (duplicates possible only then: at-least-once).
Answers therefore take up to the connector's ``offset.flush.interval.ms``.

Errors carry the HTTP status the REST layer answers with (:class:`IngestError`): unknown
source 404, malformed events 400, a batch larger than the whole buffer 413, full buffer 429
with ``Retry-After`` (backpressure), task stopped before the events were durable 503.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from collections import deque
from collections.abc import Mapping
from concurrent.futures import Future
from typing import Any

from connectors.api import (
    NO_DEFAULT,
    ConfigDef,
    ConfigType,
    ConfiguredConnector,
    ConfigValue,
    ConnectError,
    Importance,
    Range,
    RecordMetadata,
    SourceConnector,
    SourceRecord,
    SourceTask,
)

VERSION = "1.0.0"
_NAME = re.compile(r"^[A-Za-z0-9._-]+$")
_PLACEHOLDER = re.compile(r"\$\{([^}]+)\}")
_BAD_TOPIC_CHARS = re.compile(r"[^A-Za-z0-9._-]")


class IngestError(ConnectError):
    """Base of ingest failures; ``http_status``/``retry_after`` say what the REST layer answers."""

    http_status = 500

    def __init__(self, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class UnknownIngestSource(IngestError):
    """No running connector task owns this ``ingest.source``."""

    http_status = 404


class InvalidIngestEvents(IngestError):
    """The body is not a list of JSON objects, or an event cannot be routed."""

    http_status = 400


class IngestBatchTooLarge(IngestError):
    """One request holds more events than the task's whole buffer."""

    http_status = 413


class IngestBusy(IngestError):
    """The buffer is full: the client should retry after ``retry_after`` seconds."""

    http_status = 429


class IngestAborted(IngestError):
    """The task stopped before the events were durable; the client should send them again."""

    http_status = 503


def _source_name(name: str, value: Any) -> None:
    if value is not None and not _NAME.match(str(value)):
        msg = "use letters, digits, '.', '_' or '-' only (it is a URL path segment)"
        raise ValueError(msg)


CONFIG_DEF = (
    ConfigDef()
    .define("ingest.source", ConfigType.STRING, NO_DEFAULT, _source_name, Importance.HIGH,
            "The {source} part of POST /ingest/{source} this connector receives.",
            group="Endpoint", order=1)
    .define("topic", ConfigType.STRING, "", None, Importance.HIGH,
            "The topic for events; with topic.format, the topic for events the template "
            "cannot be filled for.", group="Routing", order=1)
    .define("topic.format", ConfigType.STRING, "", None, Importance.MEDIUM,
            "Per-event topic template: ${field} is replaced by the event's top-level field, "
            "e.g. activity.${type} routes page views and clicks to their own topics.",
            group="Routing", order=2)
    .define("key.field", ConfigType.STRING, "", None, Importance.MEDIUM,
            "Event field used as the record key (string); empty: no key.",
            group="Routing", order=3)
    .define("timestamp.field", ConfigType.STRING, "", None, Importance.LOW,
            "Event field holding the event time (epoch ms or ISO-8601) used as the record "
            "timestamp; empty or unparsable: the time the hub received it.",
            group="Routing", order=4)
    .define("buffer.max.events", ConfigType.INT, 10000, Range.at_least(1), Importance.MEDIUM,
            "Events held in memory before requests are refused with 429 (backpressure).",
            group="Endpoint", order=2)
    .define("batch.size", ConfigType.INT, 1000, Range.at_least(1), Importance.LOW,
            "The most records returned by one poll.", group="Endpoint", order=3)
    .define("retry.after.s", ConfigType.INT, 1, Range.at_least(1), Importance.LOW,
            "The Retry-After (seconds) suggested to clients when the buffer is full.",
            group="Endpoint", order=4)
    .define("poll.wait.ms", ConfigType.LONG, 100, Range.between(0, 1000), Importance.LOW,
            "How long poll() waits for events before returning an empty batch.",
            group="Endpoint", order=5)
)  # fmt: skip


def _check_topic(values: Mapping[str, ConfigValue], config: Mapping[str, Any]) -> None:
    """The cross-key rule: some topic must be configured."""
    if not values["topic"].value and not values["topic.format"].value:
        values["topic"].errors.append("Set 'topic', 'topic.format', or both.")


class _Ticket:
    """One offer() call: its future resolves when all its events were acknowledged."""

    __slots__ = ("future", "lock", "remaining", "total")

    def __init__(self, count: int) -> None:
        self.future: Future[int] = Future()
        self.remaining = self.total = count
        self.lock = threading.Lock()
        if count == 0:
            self.future.set_result(0)

    def ack(self) -> None:
        with self.lock:
            self.remaining -= 1
            done = self.remaining == 0
        if done and not self.future.done():
            self.future.set_result(self.total)

    def abort(self, error: IngestError) -> None:
        if not self.future.done():
            self.future.set_exception(error)


class _Routing:
    """Per-event topic, key and timestamp, from the connector config."""

    def __init__(self, cfg: Mapping[str, Any]) -> None:
        self.topic: str = cfg["topic"]
        self.format: str = cfg["topic.format"]
        self.key_field: str = cfg["key.field"]
        self.ts_field: str = cfg["timestamp.field"]

    def topic_for(self, event: Mapping[str, Any]) -> str | None:
        if not self.format:
            return self.topic
        missing = False

        def fill(match: re.Match[str]) -> str:
            nonlocal missing
            value = event.get(match.group(1))
            if value is None or isinstance(value, dict | list):
                missing = True
                return ""
            return _BAD_TOPIC_CHARS.sub("_", str(value))

        topic = _PLACEHOLDER.sub(fill, self.format)
        return (self.topic or None) if missing or not topic else topic

    def key_for(self, event: Mapping[str, Any]) -> str | None:
        value = event.get(self.key_field) if self.key_field else None
        return None if value is None else str(value)

    def timestamp_for(self, event: Mapping[str, Any], received_ms: int) -> int:
        raw = event.get(self.ts_field) if self.ts_field else None
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            return int(raw)
        if isinstance(raw, str):
            try:
                parsed = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
            except ValueError:
                return received_ms
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=dt.UTC)
            return int(parsed.timestamp() * 1000)
        return received_ms


class _Entry:
    __slots__ = ("event", "received_ms", "ticket", "topic")

    def __init__(self, event: dict[str, Any], topic: str, ticket: _Ticket, now: int) -> None:
        self.event, self.topic, self.ticket, self.received_ms = event, topic, ticket, now


class IngestBuffer:
    """The bounded, thread-safe queue between the REST layer and one task."""

    def __init__(
        self, source: str, capacity: int, routing: _Routing, retry_after: int,
        owner: str | None = None,
    ) -> None:  # fmt: skip
        self.source, self.capacity, self.retry_after = source, capacity, retry_after
        self.owner = owner
        self._routing = routing
        self._entries: deque[_Entry] = deque()
        self._cond = threading.Condition()
        self._closed = False

    def offer(self, events: Any) -> Future[int]:
        """Queue a request's events atomically (all or none); see the module docstring."""
        batch = self._check(events)
        if len(batch) > self.capacity:
            msg = (f"{len(batch)} events in one request but the buffer of ingest source "
                   f"'{self.source}' holds {self.capacity}; send smaller batches or raise "
                   "buffer.max.events.")  # fmt: skip
            raise IngestBatchTooLarge(msg)
        ticket = _Ticket(len(batch))
        now = int(time.time() * 1000)
        with self._cond:
            if self._closed:
                raise IngestAborted(self._stopped_message(), self.retry_after)
            if len(self._entries) + len(batch) > self.capacity:
                msg = (f"Ingest source '{self.source}' is busy ({len(self._entries)} events "
                       f"waiting); retry after {self.retry_after}s.")  # fmt: skip
                raise IngestBusy(msg, self.retry_after)
            self._entries.extend(_Entry(e, t, ticket, now) for e, t in batch)
            self._cond.notify()
        return ticket.future

    def _check(self, events: Any) -> list[tuple[dict[str, Any], str]]:
        if isinstance(events, dict):
            events = [events]
        if not isinstance(events, list):
            msg = "The body must be a JSON object or an array of JSON objects."
            raise InvalidIngestEvents(msg)
        batch = []
        for i, event in enumerate(events):
            if not isinstance(event, dict):
                msg = f"Event {i} is a {type(event).__name__}, not a JSON object."
                raise InvalidIngestEvents(msg)
            topic = self._routing.topic_for(event)
            if topic is None:
                msg = (f"Event {i} has no value for topic.format '{self._routing.format}' "
                       "and no default 'topic' is configured.")  # fmt: skip
                raise InvalidIngestEvents(msg)
            batch.append((event, topic))
        return batch

    def take(self, max_events: int, wait_s: float) -> list[_Entry]:
        """Up to ``max_events`` entries, waiting up to ``wait_s`` for the first one."""
        with self._cond:
            if not self._entries and not self._closed:
                self._cond.wait(wait_s)
            count = min(max_events, len(self._entries))
            return [self._entries.popleft() for _ in range(count)]

    def close(self) -> list[_Entry]:
        """Refuse new offers and hand back what was never polled."""
        with self._cond:
            self._closed = True
            left = list(self._entries)
            self._entries.clear()
            self._cond.notify_all()
        return left

    def _stopped_message(self) -> str:
        return f"Ingest source '{self.source}' stopped before the events were stored; send again."


class IngestEndpoints:
    """Process-wide registry: ingest source name -> the buffer of the task that owns it."""

    _lock = threading.Lock()
    _buffers: dict[str, IngestBuffer] = {}

    @classmethod
    def offer(cls, source: str, events: list[dict[str, Any]]) -> Future[int]:
        """Hand a request's events to the owning task (see :class:`IngestBuffer.offer`)."""
        with cls._lock:
            buffer = cls._buffers.get(source)
        if buffer is None:
            known = ", ".join(sorted(cls.sources())) or "none"
            msg = (f"No running connector receives ingest source '{source}' (running: {known}). "
                   "Create an HttpIngestSource connector with ingest.source="
                   f"{source}, or check that it is RUNNING.")  # fmt: skip
            raise UnknownIngestSource(msg)
        return buffer.offer(events)

    @classmethod
    def sources(cls) -> list[str]:
        with cls._lock:
            return list(cls._buffers)

    @classmethod
    def register(cls, buffer: IngestBuffer) -> None:
        """Serve ``buffer.source``; a restarted task of the same connector takes over."""
        with cls._lock:
            old = cls._buffers.get(buffer.source)
            if old is not None and (old.owner is None or old.owner != buffer.owner):
                msg = (f"Ingest source '{buffer.source}' is already served by connector "
                       f"'{old.owner}'; give this one a different ingest.source.")  # fmt: skip
                raise ConnectError(msg)
            cls._buffers[buffer.source] = buffer
        if old is not None:
            error = IngestAborted(old._stopped_message(), old.retry_after)
            for entry in old.close():
                entry.ticket.abort(error)

    @classmethod
    def unregister(cls, buffer: IngestBuffer) -> None:
        with cls._lock:
            if cls._buffers.get(buffer.source) is buffer:
                del cls._buffers[buffer.source]


class HttpIngestSourceTask(SourceTask):
    """Drains its endpoint's buffer; acknowledges requests as their records become durable."""

    def __init__(self) -> None:
        self._buffer: IngestBuffer | None = None
        self._in_flight: dict[int, _Ticket] = {}
        self._written: list[_Ticket] = []
        self._seq = 0
        self._lock = threading.Lock()

    def version(self) -> str:
        return VERSION

    def start(self, config: Mapping[str, str]) -> None:
        cfg = HttpIngestSourceConnector.parse_config(config)
        self._routing = _Routing(cfg)
        self._source: str = cfg["ingest.source"]
        self._batch: int = cfg["batch.size"]
        self._wait_s = cfg["poll.wait.ms"] / 1000
        buffer = IngestBuffer(self._source, cfg["buffer.max.events"], self._routing,
                              cfg["retry.after.s"], owner=config.get("name"))  # fmt: skip
        IngestEndpoints.register(buffer)
        self._buffer = buffer

    def poll(self) -> list[SourceRecord]:
        if self._buffer is None:
            return []
        entries = self._buffer.take(self._batch, self._wait_s)
        records = []
        partition = {"ingest.source": self._source}
        with self._lock:
            for entry in entries:
                self._seq += 1
                self._in_flight[self._seq] = entry.ticket
                event = entry.event
                records.append(SourceRecord(
                    entry.topic, None, None, self._routing.key_for(event), None, event,
                    timestamp=self._routing.timestamp_for(event, entry.received_ms),
                    source_partition=partition, source_offset={"seq": self._seq},
                ))  # fmt: skip
        return records

    def commit_record(self, record: SourceRecord, metadata: RecordMetadata | None) -> None:
        """The record was written (or filtered out); it counts once the next commit ran."""
        with self._lock:
            ticket = self._in_flight.pop(int(record.source_offset.get("seq", -1)), None)
            if ticket is not None:
                self._written.append(ticket)

    def commit(self) -> None:
        """Everything written so far is fsynced and its offsets stored: answer the clients."""
        with self._lock:
            written, self._written = self._written, []
        for ticket in written:
            ticket.ack()

    def stop(self) -> None:
        buffer, self._buffer = self._buffer, None
        if buffer is None:
            return
        IngestEndpoints.unregister(buffer)
        error = IngestAborted(buffer._stopped_message(), buffer.retry_after)
        for entry in buffer.close():
            entry.ticket.abort(error)
        with self._lock:
            tickets = [*self._in_flight.values(), *self._written]
            self._in_flight, self._written = {}, []
        for ticket in tickets:
            ticket.abort(error)


class HttpIngestSourceConnector(ConfiguredConnector, SourceConnector):
    """One task per ingest source (the endpoint has one buffer)."""

    CONFIG_DEF = CONFIG_DEF
    TASK_CLASS = HttpIngestSourceTask
    VERSION = VERSION
    MAX_TASKS = 1
    check_config = staticmethod(_check_topic)
