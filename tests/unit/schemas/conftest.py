"""Fixtures for the registry tests: the service over its in-memory twin store, over HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI

from hub.api.registry import mount
from schemas.registry import SchemaRegistry
from schemas.storage import MemoryStore
from tests.fixtures.hub import serving


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
    with serving(app, lifespan="off") as url:
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
