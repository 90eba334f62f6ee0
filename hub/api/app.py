"""Builds the hub's single FastAPI application from the routers listed below.

Each module in :data:`ROUTER_MODULES` exposes ``register(app, services)``; the
list is the one place that says what the hub serves, so a workstream adds its
API by adding its module name here. A listed module that cannot be imported is
an error at startup (a hub silently missing its registry is worse than one that
refuses to start).
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import AsyncIterator, Callable, Sequence
from typing import cast

import anyio.to_thread
from fastapi import FastAPI

import hub
from hub.api.bodies import BodySizeLimit
from hub.api.errors import install_error_handlers
from hub.services import HubServices

ROUTER_MODULES: tuple[str, ...] = (
    "hub.api.root",
    "hub.api.topics",
    "hub.api.records",
    "hub.api.groups",
    "hub.api.registry",
    "hub.api.auth",
    "hub.api.connect",
    "hub.api.connect_plugins",
    "hub.api.metrics",
    "hub.api.ingest",
)

Register = Callable[[FastAPI, HubServices], None]

# Blocking endpoints (long-polling consumers above all) each hold a worker thread
# while they wait; anyio's default of 40 would let 40 idle long-polls stall the
# whole API.
WORKER_THREADS = 256

# A produce request is held in memory while it is parsed; refuse bodies far
# beyond any sensible batch (a topic's max.message.bytes defaults to 1 MiB).
MAX_BODY_SIZE = 64 << 20

DESCRIPTION = """\
REST API of one cdchub process: topics, produce/consume, consumer groups, and
(when installed) Kafka Connect and Schema Registry endpoints. Errors are
`{"error_code": <int>, "message": "..."}`; see docs/rest-api.md.
"""


def load_register(module_name: str) -> Register:
    """Import a router module and return its ``register`` function.

    Raises:
        RuntimeError: the module is missing or has no ``register`` callable.
    """
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        msg = (
            f"router module {module_name!r} is listed in hub.api.app.ROUTER_MODULES "
            f"but cannot be imported ({exc}); add the module or remove it from the list"
        )
        raise RuntimeError(msg) from exc
    register = getattr(module, "register", None)
    if not callable(register):
        msg = f"router module {module_name!r} has no register(app, services) function"
        raise RuntimeError(msg)
    return cast(Register, register)


@contextlib.asynccontextmanager
async def _lifespan(_: FastAPI) -> AsyncIterator[None]:
    """Size the worker thread pool once the event loop runs (the limiter is per loop)."""
    anyio.to_thread.current_default_thread_limiter().total_tokens = WORKER_THREADS
    yield


def create_app(
    services: HubServices,
    *,
    router_modules: Sequence[str] = ROUTER_MODULES,
    max_body_size: int = MAX_BODY_SIZE,
) -> FastAPI:
    """Create the application serving ``services`` (which the caller owns and closes).

    Args:
        services: the process's log and friends, shared by every router.
        router_modules: modules whose ``register`` mounts their routes; tests may
            pass a subset.
        max_body_size: larger request bodies are refused with 413 before being read.
    """
    app = FastAPI(
        title="cdchub",
        version=hub.__version__,
        description=DESCRIPTION,
        lifespan=_lifespan,
    )
    app.add_middleware(BodySizeLimit, max_bytes=max_body_size)
    app.state.services = services
    install_error_handlers(app)
    for name in router_modules:
        load_register(name)(app, services)
    return app
