"""``POST /ingest/{source}``: HTTP events into a topic through the HTTP ingest source.

The route hands the events to the running ``HttpIngestSource`` task that owns ``source``
(:class:`connectors.sources.http_ingest.IngestEndpoints`) and answers once every event is
durable on the log (the task learns it from the runtime's offset commit), so a 200 means
nothing can be lost any more. Body: one JSON object or a JSON array of objects.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response

from connectors.sources.http_ingest import IngestEndpoints, IngestError
from hub.api.connect import json_response, read_json
from hub.services import HubServices

ACK_TIMEOUT_S = 30.0


def _error(exc: IngestError) -> Response:
    status = int(getattr(exc, "http_status", 500))
    headers = {}
    retry_after = getattr(exc, "retry_after", None)
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    return json_response({"error_code": status, "message": str(exc)}, status, headers)


def register(app: FastAPI, services: HubServices) -> None:
    """Mount ``POST /ingest/{source}``."""
    router = APIRouter(tags=["ingest"])

    @router.post("/ingest/{source}", summary="Send events to an HTTP ingest source")
    async def ingest(source: str, request: Request) -> Response:
        body: Any = await read_json(request)
        events = body if isinstance(body, list) else [body]
        try:
            future = IngestEndpoints.offer(source, events)
        except IngestError as exc:
            return _error(exc)
        try:
            accepted = await asyncio.wait_for(asyncio.wrap_future(future), ACK_TIMEOUT_S)
        except IngestError as exc:
            return _error(exc)
        except TimeoutError:
            message = (
                f"the events for {source!r} were not durable within {ACK_TIMEOUT_S:.0f} s; "
                "they may still arrive: retry with the same events if your consumers "
                "tolerate duplicates"
            )
            return json_response({"error_code": 503, "message": message}, 503, {"Retry-After": "5"})
        return json_response({"source": source, "accepted": accepted})

    app.include_router(router)
