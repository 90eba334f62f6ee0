"""Fixtures for the registry tests: the service over its in-memory twin store, over HTTP."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from hub.api.registry import mount
from schemas.registry import SchemaRegistry
from schemas.storage import MemoryStore


@contextlib.contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    """Serve ``app`` with uvicorn in a thread on a free port; yield the base URL."""
    # proto=IPPROTO_TCP makes asyncio set TCP_NODELAY on accepted sockets; with proto 0 it
    # does not, and every keep-alive response then waits ~40 ms for a delayed ACK.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "server did not start"
            time.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def registry(store: MemoryStore) -> SchemaRegistry:
    return SchemaRegistry(store)


@pytest.fixture(scope="session")
def _registry_app() -> Iterator[tuple[FastAPI, str]]:
    app = FastAPI()
    mount(app, SchemaRegistry(MemoryStore()))
    with serve(app) as url:
        yield app, url


@pytest.fixture
def registry_url(registry: SchemaRegistry, _registry_app: tuple[FastAPI, str]) -> str:
    """One server for the session; each test gets a fresh registry behind it."""
    app, url = _registry_app
    app.state.schema_registry = registry
    return url


@pytest.fixture
def client(registry_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=registry_url) as http:
        yield http
