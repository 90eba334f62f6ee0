"""``GET /``: what is answering on this port.

Kafka Connect clients read ``version``, ``commit`` and ``kafka_cluster_id``
here, and the hub adds its name and data directory so a person can tell which
hub they reached. Health checks (and `make run`'s test) poll this endpoint.
"""

from __future__ import annotations

import base64
import uuid
from typing import Any

from fastapi import APIRouter, FastAPI

import hub
from hub.services import HubServices


def cluster_id(services: HubServices) -> str:
    """A stable id for this hub's log, derived from its absolute data directory.

    Kafka's cluster ids are 22-character URL-safe base64 UUIDs; deriving it
    from the path keeps it stable across restarts without writing a file into
    the log's directory (which the log owns).
    """
    digest = uuid.uuid5(uuid.NAMESPACE_URL, f"cdchub:{services.data_dir.resolve()}")
    return base64.urlsafe_b64encode(digest.bytes).rstrip(b"=").decode()


def register(app: FastAPI, services: HubServices) -> None:
    """Mount ``GET /``."""
    router = APIRouter(tags=["hub"])
    info = {
        "name": "cdchub",
        "version": hub.__version__,
        "commit": "",
        "kafka_cluster_id": cluster_id(services),
        "data_dir": str(services.data_dir.resolve()),
    }

    @router.get("/", summary="Version and identity of this hub")
    def root() -> dict[str, Any]:
        return info

    app.include_router(router)
