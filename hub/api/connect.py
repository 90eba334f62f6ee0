"""Kafka Connect's REST API: ``/connectors...`` (COMPAT.md section 1.3).

Paths, JSON shapes, status codes and messages are Kafka Connect's, so existing scripts and
client libraries work unchanged. Every handler is a plain function (FastAPI runs it on its
thread pool) because herder operations may wait for task threads to stop; nothing here
blocks the event loop. Errors are ``{"error_code": <HTTP status>, "message": ...}``.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Mapping
from typing import Annotated, Any, TypedDict

import orjson
from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from hub.api.bodies import parse_json
from hub.api.errors import ApiError, error_response
from hub.config import parse_bool
from hub.services import HubServices
from workers import offsets_api
from workers.exceptions import BadRequestError, HerderError
from workers.herder import Herder
from workers.states import TargetState

_herders: weakref.WeakKeyDictionary[HubServices, Herder] = weakref.WeakKeyDictionary()
_herders_lock = threading.Lock()


def herder_for(services: HubServices) -> Herder:
    """The herder of ``services``, created and started on first use, closed with them."""
    with _herders_lock:
        herder = _herders.get(services)
        if herder is None:
            config = services.config
            herder = Herder(
                log=services.log,
                groups=services.groups,
                worker_id=f"{config.host}:{config.port}",
                **topic_tracking_from_env(os.environ),
            )
            herder.start()
            services.on_close(herder.close)
            _herders[services] = herder
        return herder


class TopicTracking(TypedDict):
    """The herder's topic tracking keyword arguments."""

    topic_tracking: bool
    topic_tracking_allow_reset: bool


def topic_tracking_from_env(env: Mapping[str, str]) -> TopicTracking:
    """Kafka's worker settings ``topic.tracking.enable`` / ``topic.tracking.allow.reset``.

    Read from ``HUB_TOPIC_TRACKING_ENABLE`` and ``HUB_TOPIC_TRACKING_ALLOW_RESET`` (both
    default true, as in Kafka Connect); a value that is not a boolean stops the hub with a
    message naming the variable.
    """
    return {
        "topic_tracking": parse_bool(
            "HUB_TOPIC_TRACKING_ENABLE", env.get("HUB_TOPIC_TRACKING_ENABLE", "true")
        ),
        "topic_tracking_allow_reset": parse_bool(
            "HUB_TOPIC_TRACKING_ALLOW_RESET", env.get("HUB_TOPIC_TRACKING_ALLOW_RESET", "true")
        ),
    }


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON response rendered with orjson (Kafka's field names, no extra keys)."""
    return Response(orjson.dumps(body), status, headers, media_type="application/json")


def no_content(status: int = 204) -> Response:
    """An empty response (Kafka answers 202/204 without a body)."""
    return Response(status_code=status)


async def _herder_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, HerderError)
    return error_response(exc.status, exc.status, exc.message)


async def read_json(request: Request) -> Any:
    """The parsed body; malformed JSON is a 400 whose error_code is 400 (Kafka's habit)."""
    try:
        return parse_json(await request.body())
    except ApiError as exc:
        raise BadRequestError(exc.message) from None


def _config_map(body: Any, what: str) -> dict[str, Any]:
    if not isinstance(body, dict):
        msg = f"{what} must be a JSON object of config keys to values"
        raise BadRequestError(msg)
    return body


def _collection_routes(router: APIRouter, herder: Herder) -> None:
    @router.get("/health", summary="Worker health (KIP-1017)")
    def health() -> Response:
        return json_response(
            {
                "status": "healthy",
                "message": "Worker has completed startup and is ready to handle requests.",
            }
        )

    @router.get("/connectors", summary="List connectors (optionally expanded)")
    def list_connectors(expand: Annotated[list[str] | None, Query()] = None) -> Response:
        names = herder.connectors()
        wanted = [e for e in expand or [] if e in ("status", "info")]
        if not wanted:
            return json_response(names)
        out: dict[str, Any] = {}
        for name in names:
            try:
                entry = {}
                if "status" in wanted:
                    entry["status"] = herder.status(name)
                if "info" in wanted:
                    entry["info"] = herder.connector_info(name)
            except HerderError:  # deleted mid-call: skipped, as Kafka does
                continue
            out[name] = entry
        return json_response(out)

    @router.post("/connectors", status_code=201, summary="Create a connector")
    async def create_connector(request: Request) -> Response:
        body = await read_json(request)
        body = _config_map(body, "The request body")
        name = body.get("name")
        if not isinstance(name, str) or not name.strip():
            msg = 'Connector name must be given in "name" (a non-empty string)'
            raise BadRequestError(msg)
        if "/" in name:
            msg = "connector name should not contain '/'"
            raise BadRequestError(msg)
        config = _config_map(body.get("config") or {}, '"config"')
        try:
            initial = TargetState.from_initial_state(body.get("initial_state"))
        except ValueError as exc:
            raise BadRequestError(str(exc)) from None
        _, info = await _run(
            herder.put_connector_config, name.strip(), config, allow_replace=False, initial=initial
        )
        return json_response(info, 201, {"Location": f"/connectors/{name.strip()}"})


async def _run(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Run a blocking herder call off the event loop (async handlers read the body first)."""
    return await run_in_threadpool(fn, *args, **kwargs)


def _connector_routes(router: APIRouter, herder: Herder) -> None:
    @router.get("/connectors/{name}", summary="Connector info")
    def get_connector(name: str) -> Response:
        return json_response(herder.connector_info(name))

    @router.get("/connectors/{name}/config", summary="Connector config")
    def get_config(name: str) -> Response:
        return json_response(herder.connector_config(name))

    @router.put("/connectors/{name}/config", summary="Create or update a connector")
    async def put_config(name: str, request: Request) -> Response:
        config = _config_map(await read_json(request), "The request body")
        created, info = await _run(herder.put_connector_config, name, config, allow_replace=True)
        return json_response(
            info, 201 if created else 200, {"Location": f"/connectors/{name}"} if created else None
        )

    @router.patch("/connectors/{name}/config", summary="Patch a connector config")
    async def patch_config(name: str, request: Request) -> Response:
        patch = _config_map(await read_json(request), "The request body")
        current = herder.require(name)
        merged = {**current, **patch}
        merged = {k: v for k, v in merged.items() if v is not None}
        _, info = await _run(herder.put_connector_config, name, merged, allow_replace=True)
        return json_response(info)

    @router.get("/connectors/{name}/status", summary="Connector and task states")
    def get_status(name: str) -> Response:
        return json_response(herder.status(name))

    @router.post("/connectors/{name}/restart", summary="Restart a connector (and tasks)")
    def restart(name: str, includeTasks: bool = False, onlyFailed: bool = False) -> Response:
        if not includeTasks and not onlyFailed:
            herder.restart_connector(name)
            return no_content()
        status = herder.restart(name, include_tasks=includeTasks, only_failed=onlyFailed)
        return json_response(status, 202)

    @router.put("/connectors/{name}/pause", status_code=202, summary="Pause a connector")
    def pause(name: str) -> Response:
        herder.pause(name)
        return no_content(202)

    @router.put("/connectors/{name}/resume", status_code=202, summary="Resume a connector")
    def resume(name: str) -> Response:
        herder.resume(name)
        return no_content(202)

    @router.put("/connectors/{name}/stop", status_code=204, summary="Stop a connector")
    def stop(name: str) -> Response:
        herder.stop(name)
        return no_content()

    @router.delete("/connectors/{name}", status_code=204, summary="Delete a connector")
    def delete(name: str) -> Response:
        herder.delete(name)
        return no_content()


def _task_routes(router: APIRouter, herder: Herder) -> None:
    @router.get("/connectors/{name}/tasks", summary="Task configs")
    def get_tasks(name: str) -> Response:
        return json_response(herder.task_infos(name))

    @router.get("/connectors/{name}/tasks-config", summary="Task configs (deprecated shape)")
    def get_tasks_config(name: str) -> Response:
        infos = herder.task_infos(name)
        return json_response({f"{name}-{t['id']['task']}": t["config"] for t in infos})

    @router.get("/connectors/{name}/tasks/{task}/status", summary="One task's state")
    def task_status(name: str, task: int) -> Response:
        return json_response(herder.task_status(name, task))

    @router.post("/connectors/{name}/tasks/{task}/restart", status_code=204)
    def restart_task(name: str, task: int) -> Response:
        herder.restart_task(name, task)
        return no_content()

    @router.get("/connectors/{name}/topics", summary="Topics the connector used")
    def topics(name: str) -> Response:
        return json_response({name: {"topics": herder.active_topics(name)}})

    @router.put("/connectors/{name}/topics/reset", status_code=202)
    def reset_topics(name: str) -> Response:
        herder.reset_active_topics(name)
        return no_content(202)

    @router.get("/connectors/{name}/progress", summary="Snapshot/backfill progress (cdchub)")
    def progress(name: str) -> Response:
        return json_response(herder.progress(name))

    @router.get("/connectors/{name}/offsets", summary="Committed offsets")
    def get_offsets(name: str) -> Response:
        return json_response(offsets_api.get_offsets(herder, name))

    @router.patch("/connectors/{name}/offsets", summary="Alter offsets (connector STOPPED)")
    async def alter_offsets(name: str, request: Request) -> Response:
        body = await read_json(request)
        return json_response(await _run(offsets_api.alter_offsets, herder, name, body))

    @router.delete("/connectors/{name}/offsets", summary="Reset offsets (connector STOPPED)")
    def reset_offsets(name: str) -> Response:
        return json_response(offsets_api.reset_offsets(herder, name))


def register(app: FastAPI, services: HubServices) -> None:
    """Mount the Kafka Connect API and start the herder (stopped when the hub closes)."""
    herder = herder_for(services)
    app.add_exception_handler(HerderError, _herder_error)
    router = APIRouter(tags=["connect"])
    _collection_routes(router, herder)
    _connector_routes(router, herder)
    _task_routes(router, herder)
    app.include_router(router)
