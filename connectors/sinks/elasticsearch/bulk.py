"""Talk to Elasticsearch: the client, index creation, and bulk requests with retries.

Bulk requests are built as NDJSON bytes by :mod:`.documents` and sent with the official
client (``elasticsearch`` is imported only here, when a task starts). Operations go in
chunks of ``batch.size`` records / ``bulk.size.bytes``, one chunk at a time, and a chunk is
finished - every item written, refused as stale, or set aside as malformed - before the
next one starts, so a retried item can never land after a newer operation on the same
document. Items answered 429/5xx are sent again together with every later operation on
the same documents, in their original order.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from connectors.api import ConnectError, RetriableError
from connectors.sinks.elasticsearch.config import EsSinkSettings
from connectors.sinks.elasticsearch.documents import Op
from connectors.sinks.elasticsearch.errors import (
    item_outcome,
    item_reason,
    request_outcome,
    terminal_request_error,
)

T = TypeVar("T")
log = logging.getLogger(__name__)


def connect(settings: EsSinkSettings) -> Any:
    """The official client with the sink's auth, TLS and timeouts (its own retries off)."""
    from elasticsearch import Elasticsearch

    options: dict[str, Any] = {
        "request_timeout": settings.timeout_s or None,
        "max_retries": 0,
        "retry_on_timeout": False,
        "http_compress": settings.compression,
    }
    if settings.username is not None:
        options["basic_auth"] = (settings.username, settings.password or "")
    if settings.api_key is not None:
        options["api_key"] = settings.api_key
    if settings.bearer is not None:
        options["bearer_auth"] = settings.bearer
    if any(u.startswith("https://") for u in settings.urls):
        options["verify_certs"] = settings.verify
        if settings.ca_file:
            options["ca_certs"] = settings.ca_file
        if not settings.verify:
            options["ssl_show_warn"] = False
    return Elasticsearch(settings.urls, **options)


@dataclass
class BulkStats:
    """Counters of what the sink did (tests and logs read them)."""

    written: int = 0
    conflicts: int = 0
    retried_items: int = 0
    retried_requests: int = 0
    requests: int = 0
    malformed: list[tuple[Op, str]] = field(default_factory=list)


class BulkSender:
    """Sends operations; returns the malformed ones (with reasons) for the dead letter queue."""

    def __init__(self, client: Any, settings: EsSinkSettings, stopping: threading.Event) -> None:
        self.client = client
        self.s = settings
        self.stopping = stopping
        self.stats = BulkStats()
        self._known_indexes: set[str] = set()

    def call(self, fn: Callable[[], T]) -> T:
        """Run one request, retrying transient failures with backoff and jitter."""
        attempt = 0
        while True:
            try:
                return fn()
            except Exception as exc:
                if request_outcome(exc) == "terminal" or attempt >= self.s.max_retries:
                    raise terminal_request_error(exc, self.s.urls, attempt + 1) from exc
                attempt += 1
                self.stats.retried_requests += 1
                self._backoff(attempt)

    def _backoff(self, attempt: int) -> None:
        """Wait base * 2^(attempt-1), jittered to 50-100% so many tasks do not retry together."""
        delay = self.s.backoff_s * 2 ** (attempt - 1) * random.uniform(0.5, 1.0)
        if self.stopping.wait(delay):
            msg = "the task is stopping; the batch will be delivered again"
            raise RetriableError(msg)

    # -- indexes -------------------------------------------------------------------------

    def ensure_index(self, name: str, mappings: dict[str, Any] | None) -> None:
        """Create a missing index with the configured settings/mappings (once per task)."""
        if name in self._known_indexes or self.s.stream_type != "none":
            return
        exists = bool(self.call(lambda: self.client.indices.exists(index=name)))
        if not exists:
            body = dict(self.s.index_body)
            if "mappings" not in body and mappings:
                body["mappings"] = mappings
            self.call(lambda: self._create(name, body))
        self._known_indexes.add(name)

    def _create(self, name: str, body: dict[str, Any]) -> None:
        from elasticsearch import BadRequestError

        try:
            self.client.indices.create(index=name, **body)
        except BadRequestError as exc:
            if exc.error != "resource_already_exists_exception":
                msg = (
                    f"Elasticsearch refused to create index {name!r}: {exc.message}; check "
                    "index.settings / index.mappings"
                )
                raise ConnectError(msg) from exc

    # -- bulk ----------------------------------------------------------------------------

    def send(self, ops: Sequence[Op]) -> list[tuple[Op, str]]:
        """Write every operation; returns (op, reason) of the malformed ones."""
        malformed: list[tuple[Op, str]] = []
        for chunk in self._chunks(ops):
            malformed += self._send_chunk(chunk)
        return malformed

    def _chunks(self, ops: Sequence[Op]) -> Iterator[list[Op]]:
        chunk: list[Op] = []
        size = 0
        limit = self.s.bulk_bytes if self.s.bulk_bytes > 0 else 1 << 62
        for op in ops:
            if chunk and (len(chunk) >= self.s.batch_size or size + len(op.lines) > limit):
                yield chunk
                chunk, size = [], 0
            chunk.append(op)
            size += len(op.lines)
        if chunk:
            yield chunk

    def _send_chunk(self, chunk: list[Op]) -> list[tuple[Op, str]]:
        malformed: list[tuple[Op, str]] = []
        attempt = 0
        while chunk:
            body = b"".join(op.lines for op in chunk)
            response = self.call(lambda body=body: self.client.bulk(operations=body))  # type: ignore[misc]
            self.stats.requests += 1
            chunk = self._sort_items(chunk, response["items"], malformed)
            if chunk:
                attempt += 1
                self.stats.retried_items += len(chunk)
                if attempt > self.s.max_retries:
                    raise self._exhausted(chunk, attempt)
                self._backoff(attempt)
        return malformed

    def _sort_items(
        self, chunk: list[Op], items: list[dict[str, Any]], malformed: list[tuple[Op, str]]
    ) -> list[Op]:
        """Count what was written; return the operations to send again, in order."""
        retry_ids: set[tuple[str, str | None]] = set()
        again: list[Op] = []
        for op, item in zip(chunk, items, strict=True):
            ((action, result),) = item.items()
            target = (op.index, op.doc_id)
            if target in retry_ids:  # keep later ops on a retried document in order
                again.append(op)
                continue
            outcome = item_outcome(action, result)
            if outcome == "ok":
                self.stats.written += 1
            elif outcome == "stale":
                self.stats.conflicts += 1
            elif outcome == "retry":
                retry_ids.add(target)
                again.append(op)
            elif outcome == "malformed":
                malformed.append((op, item_reason(result)))
            else:
                raise self._fatal(op, result)
        return again

    def _fatal(self, op: Op, result: dict[str, Any]) -> ConnectError:
        record = op.record
        return ConnectError(
            f"Elasticsearch refused the {op.action} of {record.topic}-{record.kafka_partition}"
            f"@{record.kafka_offset} into {op.index!r}: {item_reason(result)}; check the "
            "index and the user's privileges on it"
        )

    def _exhausted(self, chunk: list[Op], attempts: int) -> ConnectError:
        return ConnectError(
            f"Elasticsearch kept rejecting {len(chunk)} operation(s) (429/5xx) after {attempts} "
            "attempts; the cluster is overloaded: lower batch.size or raise max.retries / "
            "retry.backoff.ms"
        )
