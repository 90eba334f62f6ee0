"""JSON request bodies parsed the same way whatever Content-Type the client sent.

``curl -d '{"name": "orders"}' :8083/topics`` sends
``application/x-www-form-urlencoded``; FastAPI's own body handling would then
report a baffling "Input should be a valid dictionary". Endpoints here take
their body through :func:`json_body` instead: orjson parses the bytes (a
malformed body gets a 400 with the parser's message and position) and the
pydantic model validates the result (a 400 naming each bad field).
:func:`body_openapi` keeps the model's schema in ``/openapi.json``.
:class:`BodySizeLimit` refuses oversized bodies with the API's JSON 413.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import orjson
from fastapi import Request
from pydantic import BaseModel, ValidationError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub.api.errors import (
    REQUEST_TOO_LARGE,
    ApiError,
    bad_request,
    describe_validation_errors,
    error_response,
)

M = TypeVar("M", bound=BaseModel)


def parse_json(raw: bytes) -> Any:
    """Parse a body, turning a syntax error into a 400 that says where it is."""
    if not raw.strip():
        msg = "the request body is empty; send a JSON object"
        raise bad_request(msg)
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        msg = f"malformed JSON body: {exc}"
        raise bad_request(msg) from None


def json_body(model: type[M]) -> Callable[[Request], Awaitable[M]]:
    """A FastAPI dependency yielding the request body validated as ``model``."""

    async def parse(request: Request) -> M:
        data = parse_json(await request.body())
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            raise bad_request(describe_validation_errors(exc.errors())) from None

    return parse


def _inline_refs(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            return _inline_refs(defs[ref.removeprefix("#/$defs/")], defs)
        return {k: _inline_refs(v, defs) for k, v in node.items() if k != "$defs"}
    if isinstance(node, list):
        return [_inline_refs(v, defs) for v in node]
    return node


def body_openapi(model: type[BaseModel]) -> dict[str, Any]:
    """``openapi_extra`` documenting ``model`` as the JSON request body."""
    schema = model.model_json_schema()
    inlined = _inline_refs(schema, schema.get("$defs", {}))
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": inlined}},
        }
    }


class BodySizeLimit:
    """ASGI middleware refusing request bodies over ``max_bytes`` with a JSON 413.

    A declared ``Content-Length`` is checked before anything is read; a chunked
    body is counted as it arrives and the read fails once past the limit (the
    endpoint's ApiError handler answers).
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def _too_large(self, declared: str = "") -> ApiError:
        size = f" ({declared} bytes)" if declared else ""
        message = (
            f"the request body{size} exceeds the {self.max_bytes} bytes this hub accepts; "
            "send fewer records per request"
        )
        return ApiError(413, REQUEST_TOO_LARGE, message)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            err = self._too_large(declared.decode())
            await error_response(err.status, err.error_code, err.message)(scope, receive, send)
            return
        seen = 0

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                raise self._too_large()
            return message

        await self.app(scope, counting_receive, send)
