"""How the Elasticsearch sink classifies failures, by one table per level.

Whole requests (:func:`request_outcome`): 429 and 5xx and connection failures are
transient (retried with backoff and jitter); 401/403 and other 4xx are terminal.

Bulk items (:func:`item_outcome`): a 2xx (or the 404 of a delete whose document is already
gone) is ``ok``; a 409 version conflict is ``stale`` - an older event replayed after a newer
one, counted and ignored, which is the point of external versioning; 429/5xx are
``retry``; mapping and parsing errors are ``malformed`` (DLQ with the Elasticsearch
reason); anything else is ``fatal``.
"""

from __future__ import annotations

from typing import Any

from connectors.api import ConnectError, DataError

MALFORMED_TYPES = frozenset({
    "document_parsing_exception", "mapper_parsing_exception", "strict_dynamic_mapping_exception",
    "illegal_argument_exception", "mapper_exception", "parse_exception",
    "illegal_state_exception", "json_parse_exception", "x_content_parse_exception",
})  # fmt: skip


class MalformedDocumentError(DataError):
    """Elasticsearch refused one document; the message carries its reason."""


def item_outcome(op: str, item: dict[str, Any]) -> str:
    """'ok', 'stale', 'retry', 'malformed' or 'fatal' for one bulk response item."""
    status = int(item.get("status", 500))
    error = item.get("error")
    if status < 300 or (op == "delete" and status == 404 and not error):
        return "ok"
    kind = error.get("type", "") if isinstance(error, dict) else ""
    if status == 409 and kind == "version_conflict_engine_exception":
        return "stale"
    if status == 429 or status >= 500:
        return "retry"
    if kind in MALFORMED_TYPES or status == 400:
        return "malformed"
    return "fatal"


def item_reason(item: dict[str, Any]) -> str:
    """'type: reason' of an item error (what goes into the DLQ record's error header)."""
    error = item.get("error")
    if isinstance(error, dict):
        reason = f"{error.get('type', 'error')}: {error.get('reason', '')}"
        cause = error.get("caused_by")
        if isinstance(cause, dict):
            reason += f" (caused by {cause.get('type')}: {cause.get('reason')})"
        return reason
    return f"status {item.get('status')}: {error}"


def request_outcome(exc: BaseException) -> str:
    """'transient' or 'terminal' for an exception from one HTTP request."""
    from elastic_transport import ConnectionError as TransportConnectionError
    from elastic_transport import ConnectionTimeout
    from elasticsearch import ApiError

    if isinstance(exc, TransportConnectionError | ConnectionTimeout):
        return "transient"
    if isinstance(exc, ApiError):
        status = int(exc.meta.status)
        return "transient" if status == 429 or status >= 500 else "terminal"
    return "terminal"


def terminal_request_error(exc: BaseException, urls: list[str], attempts: int) -> ConnectError:
    """The message the task fails with, saying what to do next."""
    from elasticsearch import ApiError

    where = ", ".join(urls)
    if isinstance(exc, ApiError) and exc.meta.status in (401, 403):
        return ConnectError(
            f"Elasticsearch at {where} refused the request ({exc.meta.status}: {exc.message}); "
            "check connection.username/connection.password, connection.api.key or "
            "connection.bearer.token and the user's index privileges (write, create_index)"
        )
    if request_outcome(exc) == "transient":
        return ConnectError(
            f"Elasticsearch at {where} still failing after {attempts} attempt(s) "
            f"({type(exc).__name__}: {exc}); check that the cluster is up and connection.url is "
            "right, or raise max.retries/retry.backoff.ms"
        )
    return ConnectError(f"Elasticsearch at {where} rejected a request: {type(exc).__name__}: {exc}")
