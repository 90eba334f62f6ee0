"""One error shape for the whole REST API: ``{"error_code": <int>, "message": "..."}``.

Routers raise :class:`ApiError` for problems they detect themselves and let
:class:`~hub.core_log.errors.LogError` escape for problems the log detects;
:func:`install_error_handlers` turns both (and FastAPI's own validation and
routing errors) into that shape with the right HTTP status, so a client never
has to parse an HTML page or a FastAPI ``detail`` list.

The hub's own endpoints use Confluent REST Proxy style five-digit codes (HTTP
status followed by two digits, e.g. 40401 unknown topic); errors the hub did
not classify use the plain HTTP status, as Kafka Connect does.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from hub.core_log import errors as log_errors

_log = logging.getLogger(__name__)

# Error codes of the hub's own endpoints (documented in docs/rest-api.md).
MALFORMED_REQUEST = 40001
INVALID_TOPIC = 40002
INVALID_CONFIG = 40003
INVALID_PARTITIONS = 40004
INVALID_REQUEST = 40005
UNKNOWN_TOPIC = 40401
UNKNOWN_PARTITION = 40402
UNKNOWN_GROUP = 40403
TOPIC_EXISTS = 40901
RECORD_TOO_LARGE = 41301
REQUEST_TOO_LARGE = 41302
OFFSET_OUT_OF_RANGE = 41601
INTERNAL_ERROR = 50001
CORRUPT_RECORD = 50002
LOG_DIR_LOCKED = 50301
STORAGE_ERROR = 50701

# LogError subclass -> (HTTP status, error code). Looked up along the MRO so a
# subclass added to the log later inherits its parent's status.
LOG_ERROR_STATUS: dict[type[log_errors.LogError], tuple[int, int]] = {
    log_errors.OffsetOutOfRangeError: (416, OFFSET_OUT_OF_RANGE),
    log_errors.CorruptRecordError: (500, CORRUPT_RECORD),
    log_errors.UnknownTopicOrPartitionError: (404, UNKNOWN_TOPIC),
    log_errors.RecordTooLargeError: (413, RECORD_TOO_LARGE),
    log_errors.InvalidTopicError: (400, INVALID_TOPIC),
    log_errors.TopicAlreadyExistsError: (409, TOPIC_EXISTS),
    log_errors.InvalidPartitionsError: (400, INVALID_PARTITIONS),
    log_errors.InvalidConfigurationError: (400, INVALID_CONFIG),
    log_errors.InvalidRequestError: (400, INVALID_REQUEST),
    log_errors.KafkaStorageError: (507, STORAGE_ERROR),
    log_errors.GroupIdNotFoundError: (404, UNKNOWN_GROUP),
    log_errors.LogDirLockedError: (503, LOG_DIR_LOCKED),
}


class ApiError(Exception):
    """An error a router reports to the client as-is.

    Args:
        status: HTTP status of the response.
        error_code: the ``error_code`` field of the JSON body.
        message: what went wrong and what to do about it.
    """

    def __init__(self, status: int, error_code: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error_code = error_code
        self.message = message


def bad_request(message: str, error_code: int = MALFORMED_REQUEST) -> ApiError:
    """Shorthand for the most common error: the request itself is wrong (400)."""
    return ApiError(400, error_code, message)


def error_response(status: int, error_code: int, message: str) -> Response:
    """Render the API's one error shape."""
    body = orjson.dumps({"error_code": error_code, "message": message})
    return Response(body, status_code=status, media_type="application/json")


def status_for_log_error(exc: log_errors.LogError) -> tuple[int, int]:
    """Pick the HTTP status and error code for an error raised by the log."""
    for cls in type(exc).__mro__:
        found = LOG_ERROR_STATUS.get(cls)
        if found is not None:
            return found
    return 500, INTERNAL_ERROR


def describe_validation_errors(errors: Sequence[Any]) -> str:
    """Turn pydantic/FastAPI validation errors into one readable sentence.

    Malformed JSON gets the parser's own explanation and position, because
    "JSON decode error" alone does not help anyone find a stray comma.
    """
    parts = []
    for err in errors:
        loc = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body"
        if err.get("type") == "json_invalid":
            ctx = err.get("ctx") or {}
            reason = ctx.get("error", err.get("msg", "invalid JSON"))
            parts.append(f"malformed JSON body: {reason} (at {loc})")
        else:
            parts.append(f"{loc}: {err.get('msg', 'invalid value')}")
    return "; ".join(parts) or "invalid request"


async def _api_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.error_code, exc.message)


async def _log_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, log_errors.LogError)
    status, code = status_for_log_error(exc)
    if status >= 500:
        _log.error("log error answered with %d: %s", status, exc.message)
    return error_response(status, code, exc.message)


async def _validation_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    return error_response(400, MALFORMED_REQUEST, describe_validation_errors(exc.errors()))


async def _http_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    message = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    if exc.status_code == 404 and message == "Not Found":
        message = "no such endpoint; see /docs or /openapi.json for the API"
    elif exc.status_code == 405:
        message = "method not allowed on this endpoint; see /docs for the allowed methods"
    return error_response(exc.status_code, exc.status_code, message)


async def _unexpected_error(_: Request, exc: Exception) -> Response:
    # Starlette re-raises after answering, so uvicorn logs the trace; no need to here.
    message = f"internal error: {type(exc).__name__}: {exc}; see the hub's log for the trace"
    return error_response(500, INTERNAL_ERROR, message)


def install_error_handlers(app: FastAPI) -> None:
    """Make every error the API can produce use the one JSON error shape."""
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(log_errors.LogError, _log_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)


def unknown_topic(topic: str) -> ApiError:
    """404 for a topic that does not exist, saying how to create it."""
    message = (
        f"topic {topic!r} does not exist; create it with `hub topics create {topic}` "
        f'or POST /topics {{"name": "{topic}", "partitions": 1}}'
    )
    return ApiError(404, UNKNOWN_TOPIC, message)


def unknown_topic_or_partition(has_topic: bool, topic: str, partition: int | None) -> ApiError:
    """404 that tells apart a missing topic from a partition number past the end."""
    if not has_topic or partition is None:
        return unknown_topic(topic)
    message = (
        f"topic {topic!r} has no partition {partition}; partitions are numbered from 0 "
        f"(see GET /topics/{topic} for the count, POST /topics/{topic}/partitions to add more)"
    )
    return ApiError(404, UNKNOWN_PARTITION, message)
