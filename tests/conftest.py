"""Fixtures shared by the whole suite; the helpers behind them live in tests/fixtures/."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.fixtures.hub import running_hub
from tests.fixtures.redis import RedisServer, redis_factory

pytest_plugins = ["tests.fixtures.postgres"]


@pytest.fixture
def hub_data_dir(tmp_path: Path) -> Path:
    """A fresh data directory for one test's hub."""
    return tmp_path / "hub-data"


@pytest.fixture
def hub_url(hub_data_dir: Path) -> Iterator[str]:
    """Base URL of a real hub (REST API over a fresh log) that lives for one test."""
    with running_hub(hub_data_dir) as url:
        yield url


@pytest.fixture
def redis_server() -> Iterator[Callable[..., RedisServer]]:
    """Factory: ``redis_server(*extra_args)`` starts a private redis-server; all stop after."""
    with redis_factory() as start:
        yield start


@pytest.fixture
def hub_client(hub_url: str) -> Iterator[httpx.Client]:
    """An httpx client bound to the ``hub_url`` hub."""
    with httpx.Client(base_url=hub_url, timeout=30) as client:
        yield client
