"""``/connector-plugins`` (list, config definitions, validate) and ``/admin/loggers``.

Plugin listing and validation shapes are Kafka Connect's (COMPAT.md 1.2/1.3): ``PluginInfo``,
``[ConfigKeyInfo]`` and ``ConfigInfos`` (validation answers 200 even when ``error_count`` > 0).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response

from connectors.api import PluginNotFoundError, PluginType
from connectors.plugins import CONNECTOR_KINDS, PluginRegistry
from hub.api.connect import _config_map, herder_for, json_response, read_json
from hub.services import HubServices
from workers.exceptions import BadRequestError, NotFoundError

LEVELS = ("OFF", "FATAL", "ERROR", "WARN", "INFO", "DEBUG", "TRACE")
_TO_PY = {"OFF": logging.CRITICAL + 10, "FATAL": logging.CRITICAL, "ERROR": logging.ERROR,
          "WARN": logging.WARNING, "INFO": logging.INFO, "DEBUG": logging.DEBUG,
          "TRACE": logging.DEBUG}  # fmt: skip
_FROM_PY = {logging.CRITICAL: "FATAL", logging.ERROR: "ERROR", logging.WARNING: "WARN",
            logging.INFO: "INFO", logging.DEBUG: "DEBUG", logging.CRITICAL + 10: "OFF"}  # fmt: skip


def plugin_config(registry: PluginRegistry, plugin: str) -> list[dict[str, Any]]:
    """``[ConfigKeyInfo]`` of any plugin kind (404 names the unknown plugin)."""
    for kinds in (CONNECTOR_KINDS, tuple(k for k in PluginType if k not in CONNECTOR_KINDS)):
        try:
            cls = registry.resolve(kinds, plugin)
        except PluginNotFoundError:
            continue
        return list(cls().config_def().config_key_infos())
    msg = f"Unknown plugin {plugin}."
    raise NotFoundError(msg)


def _short(name: str) -> str:
    simple = name.replace("$", ".").rsplit(".", 1)[-1]
    return simple.removesuffix("Connector")


def _validate_route(router: APIRouter, services: HubServices) -> None:
    herder = herder_for(services)

    @router.put("/connector-plugins/{plugin}/config/validate", summary="Validate a config")
    async def validate(plugin: str, request: Request) -> Response:
        config = _config_map(await read_json(request), "The request body")
        given = str(config.get("connector.class") or "").strip()
        if not given:
            msg = f"Connector config {config} contains no connector type"
            raise BadRequestError(msg)
        if _short(given) != _short(plugin) and not given.endswith(plugin):
            msg = f"Included connector type {given} does not match request type {plugin}"
            raise BadRequestError(msg)
        return json_response(herder.validate(config))


class _Loggers:
    """Log levels changed through ``/admin/loggers`` and when."""

    def __init__(self) -> None:
        self.modified: dict[str, int] = {}

    def level(self, name: str) -> dict[str, Any]:
        logger = logging.getLogger(name if name != "root" else None)
        return {"level": _FROM_PY.get(logger.getEffectiveLevel(), "INFO"),
                "last_modified": self.modified.get(name)}  # fmt: skip

    def set(self, name: str, level: str) -> list[str]:
        logging.getLogger(name if name != "root" else None).setLevel(_TO_PY[level])
        self.modified[name] = int(time.time() * 1000)
        prefix = f"{name}."
        affected = [n for n in logging.root.manager.loggerDict if n == name or n.startswith(prefix)]
        return sorted({name, *affected})


def _logger_routes(router: APIRouter) -> None:
    loggers = _Loggers()

    @router.get("/admin/loggers", summary="Log levels set explicitly, plus root")
    def all_loggers() -> Response:
        names = ["root", *sorted(loggers.modified)]
        return json_response({n: loggers.level(n) for n in dict.fromkeys(names)})

    @router.get("/admin/loggers/{name}", summary="One logger's level")
    def one_logger(name: str) -> Response:
        if name != "root" and name not in logging.root.manager.loggerDict:
            msg = f"Logger {name} not found."
            raise NotFoundError(msg)
        return json_response(loggers.level(name))

    @router.put("/admin/loggers/{name}", summary="Set a logger's level")
    async def set_logger(name: str, request: Request, scope: str = "worker") -> Response:
        body = await read_json(request)
        level = body.get("level") if isinstance(body, dict) else None
        if not isinstance(level, str):
            msg = 'The request body must set "level", e.g. {"level": "DEBUG"}'
            raise BadRequestError(msg)
        if level.upper() not in LEVELS:
            msg = f"Invalid log level '{level}'; use one of {', '.join(LEVELS)}."
            raise NotFoundError(msg)
        affected = loggers.set(name, level.upper())
        return Response(status_code=204) if scope == "cluster" else json_response(affected)


def register(app: FastAPI, services: HubServices) -> None:
    """Mount ``/connector-plugins`` and ``/admin/loggers``."""
    herder = herder_for(services)
    router = APIRouter(tags=["connect"])

    @router.get("/connector-plugins", summary="Installed plugins")
    def list_plugins(connectorsOnly: bool = True) -> Response:
        kinds = CONNECTOR_KINDS if connectorsOnly else None
        return json_response([p.to_json() for p in herder.registry.list_plugins(kinds)])

    @router.get("/connector-plugins/{plugin}/config", summary="A plugin's config keys")
    def get_plugin_config(plugin: str) -> Response:
        return json_response(plugin_config(herder.registry, plugin))

    _validate_route(router, services)
    _logger_routes(router)
    app.include_router(router)
