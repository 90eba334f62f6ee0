"""``GET /metrics``: Prometheus text format of the connect runtime's metrics.

Per connector and task: records polled/written/failed, DLQ records, batch latency, task
and connector state, consumer lag of sink tasks. See docs/metrics.md.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from hub.api.connect import herder_for
from hub.services import HubServices


def register(app: FastAPI, services: HubServices) -> None:
    """Mount ``GET /metrics``."""
    herder = herder_for(services)
    router = APIRouter(tags=["metrics"])

    @router.get("/metrics", summary="Prometheus metrics")
    def metrics() -> Response:
        return Response(generate_latest(herder.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    app.include_router(router)
